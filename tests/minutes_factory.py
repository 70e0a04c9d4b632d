"""Small FirstAgenda-style text minutes, written on the fly for index tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rag.engine import Engine


@dataclass(frozen=True)
class FakeItem:
    number: int
    title: str
    case_number: str = "24/100"
    sections: tuple[tuple[str, str], ...] = (("Baggrund", "Sagen handler om noget."),)
    decision: str = "Godkendt."
    closed_text: str | None = None  # set to make the item closed ("Lukket" title)


@dataclass(frozen=True)
class FakeMeeting:
    date: str  # DD-MM-YYYY
    body: str = "Direktionen"
    items: tuple[FakeItem, ...] = field(default_factory=tuple)
    participants: tuple[str, ...] = ()


def render(meeting: FakeMeeting) -> str:
    lines = [
        "",
        f"REFERAT {meeting.body} d. {meeting.date}",
        "",
        f"Mødedato Tirsdag d. {meeting.date} kl. 10:00",
        "",
        "Mødested Mødelokale A1",
        "",
    ]
    if meeting.participants:
        lines += [f"Mødedeltagere {', '.join(meeting.participants)}", ""]
    lines += ["Indholdsfortegnelse", ""]
    for page, item in enumerate(meeting.items, start=3):
        title = "Lukket" if item.closed_text else item.title
        lines.append(f"{title}.....\t{page}")
    lines.append("")
    for item in meeting.items:
        if item.closed_text:
            lines += [f"Punkt {item.number}: Lukket", "", item.closed_text, ""]
            continue
        lines += [f"Punkt {item.number}: {item.title}", "", item.case_number, ""]
        for name, text in item.sections:
            lines += [name, "", text, ""]
        lines += [f"Beslutning {meeting.body} den {meeting.date}", "", item.decision, ""]
    return "\n".join(lines)


SOLGAARDEN_DECISION = "Byrådet godkendte udvidelsen af Solgården med 24 pladser."
SOLGAARDEN_BACKGROUND = (
    "Plejecentret Solgården får 24 nye pladser. "
    "Udvidelsen koster 18,5 mio. kr. og står færdig i 2026."
)


def solgaarden_case(
    secret: str, byraad_background: str = SOLGAARDEN_BACKGROUND, hundige_background: str = ""
) -> dict[str, FakeMeeting]:
    """Two meetings, by file name: the Solgården case in Socialudvalget and then Byrådet, a
    closed item carrying ``secret``, and a second Byrådet item about Hundige."""
    return {
        "social.txt": FakeMeeting(
            "12-03-2024",
            body="Socialudvalget",
            items=(
                FakeItem(
                    1,
                    "Solgården udvides",
                    "24/1",
                    (
                        (
                            "Baggrund",
                            "Plejecentret Solgården får 24 nye pladser. "
                            "Udvidelsen koster 18,5 mio. kr.",
                        ),
                    ),
                    "Socialudvalget anbefaler udvidelsen af Solgården.",
                ),
                FakeItem(2, "Lukket", closed_text=secret),
            ),
        ),
        "byraad.txt": FakeMeeting(
            "09-04-2024",
            body="Byrådet",
            items=(
                FakeItem(
                    3,
                    "Solgården udvides",
                    "24/1",
                    (("Baggrund", byraad_background),),
                    SOLGAARDEN_DECISION,
                ),
                FakeItem(
                    4,
                    "Kunstgræsbane i Hundige",
                    "24/2",
                    (("Baggrund", hundige_background or "Banen slides."),),
                    "Udsat.",
                ),
            ),
        ),
    }


def write_meetings(folder: Path, meetings: dict[str, FakeMeeting]) -> list[Path]:
    """Each meeting rendered as a text file in ``folder``; the paths in the given order."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, meeting in meetings.items():
        path = folder / name
        path.write_text(render(meeting), encoding="utf-8")
        paths.append(path)
    return paths


def engine_for(folder: Path, meetings: dict[str, FakeMeeting]) -> Engine:
    """The meetings written to ``folder``, indexed with the model-free embedder into an
    in-memory store, and the engine that answers over them."""
    from index.catalog import Catalog
    from index.hash_embedder import HashEmbedder
    from index.lexical import LexicalIndex
    from index.open import LexicalRebuilder, lexical_dir
    from index.pipeline import Indexer
    from index.store import MemoryVectorStore
    from rag.engine import Engine

    db = folder / "db"
    catalog = Catalog.open(db)
    store, embedder = MemoryVectorStore(), HashEmbedder()
    Indexer(db, catalog, store, embedder, LexicalRebuilder(db)).run(
        write_meetings(folder / "minutes", meetings)
    )
    return Engine(catalog, store, embedder, LexicalIndex.load(lexical_dir(db)))
