"""Closed items end to end: in every format and by every closed convention, indexed with the CLI
into a real (Chroma) index, their text is found neither by `referat ask --json`, nor by the chat
API's serialisers for /ask, /item and /trail, nor as bytes anywhere under the index folder.

Every closed item carries a marker "HEMMELIGT-<FORMAT>-<n>"; open items carry "SYNLIGT-..."
markers, which must be found on disk, so a grep that finds nothing proves something.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from index.catalog import Catalog

SECRET = b"hemmeligt"  # compared with lower-cased bytes: lexical indexes store folded tokens
OPEN = b"synligt"
DATE = "12-03-2024"


def secret(fmt: str, n: int) -> str:
    return f"HEMMELIGT-{fmt}-{n} fortrolig aftale med Zebulon Krakowiak"


def visible(fmt: str, n: int) -> str:
    return f"SYNLIGT-{fmt}-{n} plejecentret Solgården får nye pladser"


# ---------------------------------------------------------------------------------------------
# The same meeting in every format: item 1 open, item 2 "Lukket: ..." in the title, item 3
# closed by the format's own flag (status line, IsPublic, agenda type, label), item 4 open.


def text_lines(fmt: str) -> list[str]:
    return [
        f"REFERAT Direktionen d. {DATE}",
        f"Mødedato Tirsdag d. {DATE} kl. 10:00",
        "Mødested Mødelokale A1",
        "Punkt 1: Udvidelse af Solgården",
        "24/101",
        "Baggrund",
        visible(fmt, 1),
        f"Beslutning Direktionen den {DATE}",
        "Godkendt.",
        "Punkt 2: Lukket: Personalesag",
        "24/102",
        "Baggrund",
        secret(fmt, 2),
        f"Beslutning Direktionen den {DATE}",
        secret(fmt, 2),
        "Punkt 3: Køb af ejendommen Havnevej 14",
        "Lukket",
        "Sagsnr.: 24/103",
        "Baggrund",
        secret(fmt, 3),
        f"Beslutning Direktionen den {DATE}",
        secret(fmt, 3),
        "Punkt 4: Kunstgræsbane",
        "24/104",
        "Baggrund",
        visible(fmt, 4),
        f"Beslutning Direktionen den {DATE}",
        "Udsat.",
    ]


def make_txt() -> bytes:
    return "\n\n".join(text_lines("TXT")).encode("utf-8")


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def make_pdf() -> bytes:
    """A PDF with a real text layer, two pages, written by hand (no PDF writer is a dependency)."""
    lines = text_lines("PDF")
    pages = [lines[:15], lines[15:]]
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # the page tree, filled in below
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    kids: list[int] = []
    for page in pages:
        body = (
            b"BT /F1 10 Tf 14 TL 50 800 Td "
            + b" ".join(_pdf_string(line) + b" Tj T*" for line in page)
            + b" ET"
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream")
        content = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % content
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % kid for kid in kids),
        len(kids),
    )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def make_docx() -> bytes:
    import docx

    document = docx.Document()
    for line in text_lines("DOCX"):
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _json_item(number: int, title: str, text: str, case: str) -> dict[str, Any]:
    html = f"<h3>Beslutning</h3><p>{text}</p><h3>Sagsbeskrivelse</h3><p>{text}</p>"
    return {
        "Punktnummer": number,
        "Navn": title,
        "SagsNummer": case,
        "IsOpen": False,
        "Felter": [{"Navn": "Fremstilling", "Html": html}],
    }


def make_json() -> bytes:
    # FirstAgenda JSON has no closed flag of its own ("IsOpen" is false everywhere): item 3 is
    # titled just "Lukket", the other convention the format uses.
    payload = {
        "Udvalg": {"Navn": "Direktionen"},
        "Moede": {"Dato": "2024-03-12T10:00:00+01:00", "Sted": "Mødelokale A1"},
        "Dagsordenpunkter": [
            _json_item(1, "Udvidelse af Solgården", visible("JSON", 1), "24-000101"),
            _json_item(2, "Lukket: Personalesag", secret("JSON", 2), "24-000102"),
            _json_item(3, "Lukket", secret("JSON", 3), "24-000103"),
            _json_item(4, "Kunstgræsbane", visible("JSON", 4), "24-000104"),
        ],
    }
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def _edoc_item(number: int, title: str, text: str) -> str:
    return (
        f"<MeetingAgendaItem><AgendaItemNumber>{number}</AgendaItemNumber>"
        f"<Document><Title>{title}</Title></Document><FullText>{number}.\t{title}\n\n"
        f"Sagsnr.: 2024-{number}\n\nSagsfremstilling\n{text}\n\n"
        f"Direktionens beslutning den 12.03.2024 Punkt {number}\n{text}\n</FullText>"
        "</MeetingAgendaItem>"
    )


def make_edoc() -> bytes:
    def agenda(kind: str, items: str, full_text: str) -> str:
        return (
            f"<MeetingAgendaType><AgendaType>{kind}</AgendaType>"
            f"<MeetingAgendaItems>{items}</MeetingAgendaItems>"
            f"<FullText>{full_text}</FullText></MeetingAgendaType>"
        )

    open_items = (
        _edoc_item(1, "Udvidelse af Solgården", visible("EDOC", 1))
        + _edoc_item(2, "Lukket: Personalesag", secret("EDOC", 2))
        + _edoc_item(4, "Kunstgræsbane", visible("EDOC", 4))
    )
    closed_items = _edoc_item(3, "Køb af ejendommen Havnevej 14", secret("EDOC", 3))
    return (
        '<?xml version="1.0"?><Meeting><Committee>Direktionen</Committee>'
        "<MeetingDate>12-03-2024 10:00:00</MeetingDate><MeetingAgendaTypes>"
        + agenda("Åben dagsorden", open_items, "Referat&#xC;Mødelokale A1")
        + agenda("Lukket dagsorden", closed_items, f"Lukket referat {secret('EDOC', 3)}")
        + "</MeetingAgendaTypes></Meeting>"
    ).encode("utf-8")


def _sbsys_item(number: int, caption: str, text: str, public: bool) -> str:
    def field(caption: str, content: str, feedback: bool, index: int) -> str:
        return (
            f"<ItemField><Caption><![CDATA[{caption}]]></Caption><Index>{index}</Index>"
            f"<IsFeedback><![CDATA[{feedback}]]></IsFeedback>"
            f"<Content><![CDATA[<p>{content}</p>]]></Content></ItemField>"
        )

    return (
        f"<Item><Number>{number}</Number><Caption><![CDATA[{caption}]]></Caption>"
        f"<Case><Number>24/{number}</Number></Case>"
        f"<IsPublic><![CDATA[{public}]]></IsPublic><Fields>"
        + field("Sagsfremstilling", text, False, 1)
        + field("Beslutning", text, True, 2)
        + "</Fields></Item>"
    )


def make_sbsys() -> bytes:
    return (
        "<?xml version='1.0' encoding='utf-8'?><Publication><Agendas><Agenda>"
        "<Meeting><When><![CDATA[12-03-2024 10:00:00]]></When>"
        "<Where><![CDATA[Mødelokale A1]]></Where></Meeting>"
        "<Committee><Name><![CDATA[Direktionen]]></Name></Committee><Items>"
        + _sbsys_item(1, "Udvidelse af Solgården", visible("SBSYS", 1), True)
        + _sbsys_item(2, "Lukket: Personalesag", secret("SBSYS", 2), True)
        + _sbsys_item(3, "Køb af ejendommen Havnevej 14", secret("SBSYS", 3), False)
        + _sbsys_item(4, "Kunstgræsbane", visible("SBSYS", 4), True)
        + "</Items></Agenda></Agendas></Publication>"
    ).encode("utf-8")


def _html_row(number: int, title: str, text: str, label: str = "") -> str:
    badge = f'<span class="label">{label}</span>' if label else ""
    return (
        f'<tr class="punktrow"><td><span class="label label-default">{number}</span></td><td>'
        f'<h2 class="overskrift">{title}</h2>{badge}<div class="details">'
        f'<span class="sagsnummer">EMN-2024-00010{number}</span><div class="punkt">'
        f"<h3>Beslutninger</h3><span>{text}</span><h3>Sagsfremstilling</h3><div>{text}</div>"
        "</div></div></td></tr>"
    )


def make_html() -> bytes:
    return (
        "<html><body><span class='udvalg'>Direktionen</span>"
        "<span class='dato'>tirsdag den 12. marts 2024 kl. 10.00</span>"
        "<span class='sted'>Mødelokale A1</span><table><tbody>"
        + _html_row(1, "Udvidelse af Solgården", visible("HTML", 1))
        + _html_row(2, "Lukket: Personalesag", secret("HTML", 2))
        + _html_row(3, "Køb af ejendommen Havnevej 14", secret("HTML", 3), label="Lukket")
        + _html_row(4, "Kunstgræsbane", visible("HTML", 4))
        + "</tbody></table></body></html>"
    ).encode("utf-8")


FORMATS: dict[str, tuple[str, Callable[[], bytes]]] = {
    "TXT": ("direktionen.txt", make_txt),
    "PDF": ("direktionen.pdf", make_pdf),
    "DOCX": ("direktionen.docx", make_docx),
    "JSON": ("direktionen.json", make_json),
    "EDOC": ("direktionen_edoc.xml", make_edoc),
    "SBSYS": ("direktionen_Publication1.xml", make_sbsys),
    "HTML": ("direktionen.html", make_html),
}


# ---------------------------------------------------------------------------------------------
# Helpers


def cli(runner: CliRunner, *args: str) -> Any:
    from ui.cli import cli as referat

    return runner.invoke(referat, list(args), catch_exceptions=False)


def served(answer: dict[str, Any]) -> str:
    """What an answer tells, lower-cased, without the echo of the question that was asked."""
    return json.dumps({k: v for k, v in answer.items() if k != "question"}).lower()


def bytes_under(folder: Path) -> Iterator[tuple[Path, bytes]]:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield path, path.read_bytes().lower()


def files_with(folder: Path, needle: bytes) -> list[str]:
    return [str(path) for path, data in bytes_under(folder) if needle in data]


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    # Everything (models, logs, index) stays in tmp_path; nothing is read from the user's setup.
    monkeypatch.setenv("REFERAT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("REFERAT_DB", raising=False)
    monkeypatch.delenv("REFERAT_CHROMA_URL", raising=False)
    monkeypatch.setenv("REFERAT_EMBED_MODEL", "hash")
    return CliRunner()


# ---------------------------------------------------------------------------------------------
# Tests


def test_closed_items_of_every_format_never_leak(tmp_path: Path, runner: CliRunner) -> None:
    minutes = tmp_path / "minutes"
    minutes.mkdir()
    for name, make in FORMATS.values():
        (minutes / name).write_bytes(make())
    db = tmp_path / "data" / "db"

    indexed = cli(runner, "index", "--json", "--db", str(db), "--embed-model", "hash", str(minutes))
    summary = json.loads(indexed.stdout)
    assert indexed.exit_code == 0 and summary["skipped"] == [], indexed.output
    assert summary["meetings"] == len(FORMATS)
    assert summary["closed_items"] == 2 * len(FORMATS), "both conventions, in every format"
    assert SECRET not in indexed.output.lower().encode()

    # The CLI: ask for each secret by its own words.
    for fmt in FORMATS:
        for n in (2, 3):
            question = f"{secret(fmt, n)} Havnevej personalesag"
            asked = cli(runner, "ask", "--json", "--db", str(db), "--embed-model", "hash", question)
            assert asked.exit_code == 0, asked.output
            answer = served(json.loads(asked.stdout))
            assert "hemmeligt" not in answer and "krakowiak" not in answer

    # The chat API's serialisers, over every item and every trail of the index.
    from index.settings import load_settings
    from rag.engine import Engine, answer_to_json
    from ui.app import item_to_json, trail_to_json

    engine = Engine.open(load_settings().with_overrides(db_dir=str(db), embed_model="hash"))
    catalog: Catalog = engine.catalog
    records = catalog.items_where()
    assert len(records) == 4 * len(FORMATS)
    shown: list[str] = []
    for fmt in FORMATS:
        reply = engine.ask(f"{secret(fmt, 3)} Køb af ejendommen Havnevej 14")
        shown.append(served(answer_to_json(reply)))
        for citation in reply.citations:
            record = engine.item(citation.item_id)
            assert record is not None
            shown.append(json.dumps(item_to_json(record), ensure_ascii=False))
            shown.append(json.dumps(trail_to_json(engine.trail(citation.item_id))))
    for record in records:
        shown.append(json.dumps(item_to_json(record), ensure_ascii=False))
    text = "\n".join(shown).lower()
    assert "hemmeligt" not in text and "krakowiak" not in text
    assert "havnevej 14" in text, "closed items are named by their title"

    # Every byte under the data folder: index, Chroma, lexical, logs.
    assert files_with(tmp_path / "data", SECRET) == []
    assert files_with(tmp_path / "data", b"krakowiak") == []
    assert files_with(tmp_path / "data", OPEN), "the grep must be able to find indexed text"


CHANGED = "SKIFTER-1 forhandling om lejemålet med Zebulon Krakowiak"


def _kalundborg(closed: bool) -> bytes:
    lines = text_lines("SKIFT")
    at = lines.index("Punkt 4: Kunstgræsbane")
    # Item 4 turns closed in the newer version by a "Lukket" status line, keeping its title.
    lines[at + 1 : at + 1] = ["Lukket"] if closed else []
    lines[lines.index(visible("SKIFT", 4))] = CHANGED
    return "\n\n".join(lines).encode("utf-8")


def _index_open_then_closed(tmp_path: Path, runner: CliRunner) -> Path:
    """Index the meeting with item 4 open, then its newer version with item 4 closed."""
    minutes = tmp_path / "minutes"
    minutes.mkdir()
    path = minutes / "direktionen.txt"
    path.write_bytes(_kalundborg(closed=False))
    db = tmp_path / "data" / "db"
    args = ["index", "--json", "--db", str(db), "--embed-model", "hash", str(minutes)]
    first = cli(runner, *args)
    assert first.exit_code == 0, first.output
    assert files_with(tmp_path / "data", b"skifter-1"), "the open version is indexed"
    path.write_bytes(_kalundborg(closed=True))
    second = json.loads(cli(runner, *args).stdout)
    assert (second["indexed"], second["closed_items"]) == (1, 3)
    return db


def test_an_item_closed_in_a_newer_version_loses_its_text(
    tmp_path: Path, runner: CliRunner
) -> None:
    db = _index_open_then_closed(tmp_path, runner)
    from index.settings import load_settings
    from rag.engine import Engine, answer_to_json
    from ui.app import item_to_json

    engine = Engine.open(load_settings().with_overrides(db_dir=str(db), embed_model="hash"))
    assert all("skifter" not in text.lower() for _, text in engine.catalog.lexical_rows())
    (record,) = [r for r in engine.catalog.items_where() if r.title == "Kunstgræsbane"]
    assert "skifter" not in json.dumps(item_to_json(record)).lower()
    answer = engine.ask(CHANGED)
    assert "skifter" not in served(answer_to_json(answer))
    assert "krakowiak" not in served(answer_to_json(answer))


def test_an_item_closed_in_a_newer_version_leaves_no_bytes_on_disk(
    tmp_path: Path, runner: CliRunner
) -> None:
    _index_open_then_closed(tmp_path, runner)
    leaks = files_with(tmp_path / "data", b"skifter-1") + files_with(
        tmp_path / "data", b"krakowiak"
    )
    assert leaks == [], f"the old open text survives on disk in {leaks}"


def test_a_long_item_closed_later_is_zeroed_in_the_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many pages of text freed at once (not overwritten by the new version's rows): SQLite's
    secure_delete zeroes them and the checkpoint empties the WAL. Connections start with
    secure_delete off, as SQLite's default is unless it was built with SQLITE_SECURE_DELETE
    (Debian's is): the catalog must turn it on itself."""
    import sqlite3

    connect = sqlite3.connect

    def connect_without_secure_delete(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection = connect(*args, **kwargs)
        connection.execute("PRAGMA secure_delete=OFF")
        return connection

    monkeypatch.setattr(sqlite3, "connect", connect_without_secure_delete)
    from index.hash_embedder import HashEmbedder
    from index.pipeline import Indexer
    from index.store import MemoryVectorStore
    from tests.minutes_factory import FakeItem, FakeMeeting, render

    paragraph = "SKIFTER-2 lejemålet med Zebulon Krakowiak i Havnegade, side {n}. " * 8
    long_text = "\n\n".join(paragraph.format(n=n) for n in range(200))
    path = tmp_path / "minutes" / "direktionen.txt"
    path.parent.mkdir()
    db = tmp_path / "db"
    indexer = Indexer(db, Catalog.open(db), MemoryVectorStore(), HashEmbedder())
    for closed in (False, True):
        item = (
            FakeItem(2, "Lejemål", closed_text="Lukket punkt.")
            if closed
            else FakeItem(2, "Lejemål", sections=(("Baggrund", long_text),))
        )
        meeting = FakeMeeting(DATE, items=(FakeItem(1, "Solgården", decision="Godkendt."), item))
        path.write_text(render(meeting), encoding="utf-8")
        summary = indexer.run([path.parent])
        assert (summary.indexed, summary.closed_items) == (1, int(closed))
        if not closed:
            assert files_with(db, b"skifter-2"), "the grep must be able to find indexed text"
    assert files_with(db, b"skifter-2") == []
    assert files_with(db, b"krakowiak") == []
