"""Hostile files beside good ones: the real ``Indexer`` reports each with its name and problem,
indexes the good files, and keeps what the index already held.

Every hostile file is generated here in ``tmp_path``. Each case says how it is made, how the
run must report it (a regex on the reason, or None when the file is understood after all) and,
for files that are understood, what must be true of the parsed meeting.
"""

from __future__ import annotations

import io
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.catalog import Catalog
from index.hash_embedder import HashEmbedder
from index.models import Meeting
from index.parsing import MAX_TEXT_BYTES, ParseError, parse_document, parse_file, parse_paths
from index.pipeline import Indexer, IndexSummary
from index.store import MemoryVectorStore
from tests.minutes_factory import FakeItem, FakeMeeting, render
from tests.test_text_layout import (
    DEMO,
    _generated_meeting,
    _render_generated,
    assert_no_words_lost,
)

FJORDBY = DEMO / "fjordby"
DEMO_PDF = FJORDBY / "teknik-og-miljoeudvalget_2025-09-02.pdf"
DEMO_EDOC = FJORDBY / "plan-og-boligudvalget_2024-11-05_edoc.xml"
DEMO_SBSYS = FJORDBY / "digitaliserings-og-it-udvalget_2024-10-01_Publication71.xml"
DEMO_JSON = FJORDBY / "byraadet_2024-05-07.json"

GOOD = {
    "good_a.txt": FakeMeeting(
        "01-02-2024",
        items=(
            FakeItem(1, "Solgården udvides", "24/1", (("Baggrund", "Plejecentret vokser."),)),
            FakeItem(2, "Budget for skoler", "24/2", (("Baggrund", "Skolerne får mere."),)),
        ),
    ),
    "good_b.txt": FakeMeeting(
        "15-03-2024",
        items=(FakeItem(1, "Kunstgræsbane", "24/3", (("Baggrund", "Banen er slidt."),)),),
    ),
}


def minutes(date: str, *items: FakeItem) -> bytes:
    return render(FakeMeeting(date, items=items)).encode("utf-8")


def one_item(date: str = "05-05-2024") -> bytes:
    return minutes(date, FakeItem(1, "Cykelsti ved havnen", "24/9", (("Baggrund", "Ny sti."),)))


# ---------------------------------------------------------------------------------------------
# The hostile files


def blank_pdf() -> bytes:
    """A PDF with a page and no text layer, as a scanner makes it."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def damaged_pdf() -> bytes:
    """The demo PDF with garbage written over one page's compressed content stream."""
    data = DEMO_PDF.read_bytes()
    cut = int(len(data) * 0.2)
    return data[:cut] + b"\x00garbage\xff" * 50 + data[cut + 500 :]


def not_firstagenda_json() -> bytes:
    return json.dumps({"results": [{"title": "Referat"}], "count": 1}).encode()


def mixed_encodings() -> bytes:
    utf8 = minutes("05-05-2024", FakeItem(1, "Solgården udvides", "24/1"))
    cp1252 = "\nPunkt 2: Børnehus på Ågade\n\n24/7\n\nBaggrund\n\nRenovering af tagværket.\n"
    return utf8 + cp1252.encode("cp1252")


def with_nul_byte() -> bytes:
    return one_item().replace(b"Ny sti.", b"Ny cykel\x00sti.")


def duplicate_numbers() -> bytes:
    return minutes(
        "05-05-2024",
        FakeItem(1, "Solgården udvides", "24/1", decision="Godkendt med 24 pladser."),
        FakeItem(1, "Budget for skoler", "24/2", decision="Udsat til næste møde."),
        FakeItem(2, "Kunstgræsbane", "24/3", decision="Taget til efterretning."),
    )


def edoc_cut_off() -> bytes:
    data = DEMO_EDOC.read_bytes()
    return data[: int(len(data) * 0.6)]


def sbsys_broken() -> bytes:
    return DEMO_SBSYS.read_bytes().replace(b"</Caption>", b"</Capton>", 1)


def json_nul_in_strings() -> bytes:
    payload = json.loads(DEMO_JSON.read_text(encoding="utf-8"))
    payload["Dagsordenpunkter"][0]["Navn"] = "Valg\x00af formand"
    payload["Dagsordenpunkter"][0]["Felter"][0]["Html"] = "<h3>Beslutning</h3><p>God\x00kendt.</p>"
    return json.dumps(payload).encode()


def json_impossible_date() -> bytes:
    payload = json.loads(DEMO_JSON.read_text(encoding="utf-8"))
    payload["Moede"]["Dato"] = "2024-02-31T18:00:00+01:00"
    return json.dumps(payload).encode()


def titles(meeting: Meeting) -> list[tuple[int, str]]:
    return [(item.number, item.title) for item in meeting.items]


@dataclass(frozen=True)
class Hostile:
    name: str
    make: Callable[[], bytes]
    reason: str | None  # regex the skip reason must match; None: the file is understood
    check: Callable[[Meeting], None] = lambda meeting: None


def _check_mixed(meeting: Meeting) -> None:
    assert titles(meeting) == [(1, "Solgården udvides"), (2, "Børnehus på Ågade")]


def _check_nul(meeting: Meeting) -> None:
    assert meeting.items[0].sections[0].text == "Ny cykelsti."


def _check_duplicates(meeting: Meeting) -> None:
    assert titles(meeting) == [
        (1, "Solgården udvides"),
        (1, "Budget for skoler"),
        (2, "Kunstgræsbane"),
    ]
    assert [item.decisions[0].text for item in meeting.items] == [
        "Godkendt med 24 pladser.",
        "Udsat til næste møde.",
        "Taget til efterretning.",
    ]


def _check_json_nul(meeting: Meeting) -> None:
    assert meeting.items[0].title == "Valgaf formand"
    assert meeting.items[0].decisions[0].text == "Godkendt."


HOSTILE = [
    Hostile("empty.txt", lambda: b"", r"empty"),
    Hostile("blanks.txt", lambda: b" \r\n\t\n", r"empty"),
    Hostile("garbage.txt", lambda: os.urandom(3000) + bytes(range(32)) * 50, r"binary data"),
    Hostile("garbage.pdf", lambda: os.urandom(5000), r"PDF is damaged"),
    Hostile("garbage.docx", lambda: os.urandom(5000), r"Word file is damaged or not a \.docx"),
    Hostile("garbage.json", lambda: b"\xff\xfe\x00" + os.urandom(500), r"JSON"),
    Hostile("truncated.pdf", lambda: DEMO_PDF.read_bytes()[:12000], r"PDF is damaged"),
    Hostile("damaged.pdf", damaged_pdf, r"PDF is damaged: the text of page\(s\) \d+"),
    Hostile("scanned.pdf", blank_pdf, r"no text layer.*OCR"),
    Hostile("nul byte.txt", with_nul_byte, None, _check_nul),
    Hostile("edoc_cut_off.xml", edoc_cut_off, r"eDoc agenda XML: the XML is damaged or cut off"),
    Hostile("sbsys_broken.xml", sbsys_broken, r"SBSYS publication XML: the XML is damaged"),
    Hostile("not_xml_at_all.xml", lambda: b"Punkt 1: <<<", r"XML is damaged"),
    Hostile("other.json", not_firstagenda_json, r"not a FirstAgenda publication"),
    Hostile("list.json", lambda: b"[1, 2, 3]", r"not a FirstAgenda publication"),
    Hostile("broken.json", lambda: b'{"Dagsordenpunkter": [', r"not valid JSON"),
    Hostile("json_nul.json", json_nul_in_strings, None, _check_json_nul),
    Hostile("json_31_feb.json", json_impossible_date, r"'2024-02-31'.*not a real date"),
    Hostile(
        "no_items.txt",
        lambda: b"REFERAT Direktionen d. 05-05-2024\n\nMoedested Lokale 1\n\nIntet at behandle.\n",
        r"no agenda items",
    ),
    Hostile("duplicates.txt", duplicate_numbers, None, _check_duplicates),
    Hostile("feb31.txt", lambda: one_item("31-02-2024"), r"'31-02-2024'.*not a real date"),
    Hostile("year9999.txt", lambda: one_item("01-02-9999"), r"'01-02-9999'.*not a real date"),
    Hostile("mixed encodings.txt", mixed_encodings, None, _check_mixed),
    Hostile("Møde i Ældrerådet æøå ÆØÅ.txt", one_item, None, lambda m: None),
    Hostile("notes.html", lambda: b"<html><body><p>Hej</p></body></html>", r"not a saved"),
]


# ---------------------------------------------------------------------------------------------
# Driving the indexer


@dataclass
class Run:
    indexer: Indexer
    store: MemoryVectorStore

    def index(self, folder: Path) -> IndexSummary:
        return self.indexer.run([folder])

    def texts(self) -> set[str]:
        return {c.text for c in self.indexer.catalog.chunks(sorted(self.store.ids())).values()}

    def sources(self) -> set[str]:
        chunks = self.indexer.catalog.chunks(sorted(self.store.ids())).values()
        return {Path(c.source).name for c in chunks}


def new_run(db: Path) -> Run:
    store = MemoryVectorStore()
    return Run(Indexer(db, Catalog.open(db), store, HashEmbedder()), store)


def write_good(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, meeting in GOOD.items():
        (folder / name).write_text(render(meeting), encoding="utf-8")


def reasons(summary: IndexSummary) -> dict[str, str]:
    return {Path(s.source).name: s.reason for s in summary.skipped}


@pytest.mark.parametrize("case", HOSTILE, ids=lambda case: case.name)
def test_hostile_file_beside_good_ones(tmp_path: Path, case: Hostile) -> None:
    folder = tmp_path / "minutes"
    write_good(folder)
    run = new_run(tmp_path / "db")
    run.index(folder)
    before_ids, before_texts = set(run.store.ids()), run.texts()
    assert before_ids and "Plejecentret vokser." in before_texts

    (folder / case.name).write_bytes(case.make())
    summary = run.index(folder)

    skipped = reasons(summary)
    if case.reason is None:
        assert skipped == {}, f"{case.name} should be understood: {skipped}"
        assert summary.indexed == 1 and case.name in run.sources()
        case.check(parse_document((folder / case.name).read_bytes(), case.name))
    else:
        assert set(skipped) == {case.name}, f"the message must name the file: {skipped}"
        assert re.search(case.reason, skipped[case.name]), skipped[case.name]
        assert summary.exit_code == 2
        assert summary.indexed == 0
    assert summary.unchanged == len(GOOD), "the good files are still there, untouched"
    assert before_ids <= set(run.store.ids()), "nothing already indexed is lost"
    assert before_texts <= run.texts()


# A good file overwritten by a broken version keeps its good version in the index.
BREAKERS: dict[str, Callable[[], bytes]] = {
    "garbage": lambda: os.urandom(4000),
    "empty": lambda: b"",
    "impossible date": lambda: one_item("31-02-2024"),
    "no items": lambda: b"REFERAT Direktionen d. 05-05-2024\n\nIntet.\n",
    "binary with a NUL-heavy head": lambda: b"\x00" * 5000,
}


@pytest.mark.parametrize("breaker", sorted(BREAKERS))
def test_a_good_file_broken_later_keeps_its_indexed_version(tmp_path: Path, breaker: str) -> None:
    folder = tmp_path / "minutes"
    write_good(folder)
    run = new_run(tmp_path / "db")
    run.index(folder)
    before_ids, before_stats = set(run.store.ids()), run.indexer.catalog.stats()
    (folder / "good_a.txt").write_bytes(BREAKERS[breaker]())
    summary = run.index(folder)
    assert set(reasons(summary)) == {"good_a.txt"}
    assert set(run.store.ids()) == before_ids
    after = run.indexer.catalog.stats()
    assert (after.meetings, after.items, after.chunks) == (
        before_stats.meetings,
        before_stats.items,
        before_stats.chunks,
    )
    assert "Plejecentret vokser." in run.texts()


@pytest.mark.parametrize("demo", [DEMO_EDOC, DEMO_SBSYS], ids=lambda p: p.suffix + p.stem[:8])
def test_a_cut_off_xml_replacing_a_good_one_loses_nothing(tmp_path: Path, demo: Path) -> None:
    folder = tmp_path / "minutes"
    folder.mkdir()
    target = folder / demo.name
    target.write_bytes(demo.read_bytes())
    run = new_run(tmp_path / "db")
    run.index(folder)
    items_before = run.indexer.catalog.stats().items
    texts_before = run.texts()
    for fraction in (0.3, 0.6, 0.9):
        target.write_bytes(demo.read_bytes()[: int(demo.stat().st_size * fraction)])
        summary = run.index(folder)
        assert "damaged or cut off" in reasons(summary)[demo.name]
        assert run.indexer.catalog.stats().items == items_before
        assert run.texts() == texts_before


def test_a_file_over_the_size_limit_is_refused_quickly(tmp_path: Path) -> None:
    folder = tmp_path / "minutes"
    write_good(folder)
    run = new_run(tmp_path / "db")
    run.index(folder)
    before = set(run.store.ids())
    big = folder / "fifty_megabytes.txt"
    with big.open("wb") as handle:
        handle.write(one_item())
        line = b"Kommunen har arbejdet med budget og skole for borgerne i hele omraadet.\n"
        handle.write(line * (50 * 1024 * 1024 // len(line)))
    started = time.perf_counter()
    summary = run.index(folder)
    elapsed = time.perf_counter() - started
    reason = reasons(summary)["fifty_megabytes.txt"]
    assert re.search(r"the file is 50\.\d MB, more than the 20 MB", reason), reason
    assert set(run.store.ids()) == before
    assert elapsed < 5, f"refusing a 50 MB file took {elapsed:.1f} s"
    # parse_file looks at the size before reading the file at all.
    skipped = parse_file(big)
    assert not isinstance(skipped, Meeting) and "MB" in skipped.reason
    assert big.stat().st_size > MAX_TEXT_BYTES


def test_the_indexer_refuses_a_file_over_the_limit_without_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "minutes"
    write_good(folder)
    big = folder / "sparse.txt"
    with big.open("wb") as handle:  # sparse: 21 MB long, nothing written but one item
        handle.write(one_item())
        handle.truncate(MAX_TEXT_BYTES + 1024 * 1024)
    read: list[str] = []
    real_read_bytes = Path.read_bytes

    def tracked(self: Path) -> bytes:
        read.append(self.name)
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", tracked)
    run = new_run(tmp_path / "db")
    summary = run.index(folder)
    assert re.search(r"the file is 21\.0 MB, more than the 20 MB", reasons(summary)["sparse.txt"])
    assert sorted(read) == sorted(GOOD), "the good files are read, the big one never"
    assert run.sources() == set(GOOD)


def make_symlink_loops(folder: Path) -> None:
    """Folder links back up the tree and to themselves, and two file links to each other."""
    (folder / "sub").mkdir()
    (folder / "sub" / "back_to_top").symlink_to(folder, target_is_directory=True)
    (folder / "sub" / "self").symlink_to(folder / "sub", target_is_directory=True)
    (folder / "ping.txt").symlink_to(folder / "pong.txt")
    (folder / "pong.txt").symlink_to(folder / "ping.txt")


def test_a_symlink_loop_neither_traps_the_walk_nor_stops_parsing(tmp_path: Path) -> None:
    folder = tmp_path / "minutes"
    write_good(folder)
    make_symlink_loops(folder)
    result = parse_paths([folder, folder / "sub" / "back_to_top"])
    assert sorted(Path(m.source).name for m in result.meetings) == sorted(GOOD)
    skipped = {Path(s.source).name: s.reason for s in result.skipped}
    assert set(skipped) == {"ping.txt", "pong.txt"}
    assert all("Too many levels of symbolic links" in r for r in skipped.values()), skipped


def test_a_symlink_loop_does_not_stop_an_index_run(tmp_path: Path) -> None:
    folder = tmp_path / "minutes"
    write_good(folder)
    make_symlink_loops(folder)
    run = new_run(tmp_path / "db")
    summary = run.index(folder)
    assert summary.indexed == len(GOOD), "each good file once, however many ways lead to it"
    skipped = reasons(summary)
    assert set(skipped) == {"ping.txt", "pong.txt"}
    assert all("symbolic links" in reason for reason in skipped.values()), skipped
    assert run.sources() == set(GOOD)


# ---------------------------------------------------------------------------------------------
# Properties: the parser raises nothing but ParseError and loses no words of an open item


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(max_size=400),
    suffix=st.sampled_from([".txt", ".json", ".xml", ".html", ".htm", ".md", ""]),
)
def test_parse_document_on_any_text_raises_only_parse_error(text: str, suffix: str) -> None:
    try:
        meeting = parse_document(text.encode("utf-8", "surrogatepass"), f"any{suffix}")
    except ParseError as error:
        assert str(error), "a refusal always says why"
        return
    assert meeting.items and meeting.body and meeting.meeting_date


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.binary(max_size=600),
    suffix=st.sampled_from([".txt", ".pdf", ".docx", ".json", ".xml", ".html"]),
)
def test_parse_file_on_any_bytes_never_raises(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, suffix: str
) -> None:
    path = tmp_path_factory.mktemp("bytes") / f"any{suffix}"
    path.write_bytes(data)
    outcome = parse_file(path)
    if not isinstance(outcome, Meeting):
        assert outcome.source == str(path) and outcome.reason
        assert "unexpected parser failure" not in outcome.reason, outcome.reason


_NOISE = st.sampled_from(["\x00", "\x07", "\x0b", "\u00ad", "\u200b", "\ufeff", "\t"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    doc=_generated_meeting(), noise=st.lists(st.tuples(st.integers(0, 10**6), _NOISE), max_size=8)
)
def test_generated_minutes_with_hostile_bytes_lose_no_open_words(
    doc: dict[str, object], noise: list[tuple[int, str]]
) -> None:
    """The generated minutes of test_text_layout, with control characters and invisible marks
    sprinkled between words: parsed, and no word of an open item lost."""
    raw = _render_generated(doc)
    noisy = raw
    for position, char in sorted(noise, reverse=True):
        at = position % (len(noisy) + 1)
        # Only at a word boundary: "Sol\0gården" is one word to the parser, two to the helper.
        if 0 < at < len(noisy) and noisy[at - 1].isspace() and noisy[at].isalnum():
            noisy = noisy[:at] + char + noisy[at:]
    try:
        meeting = parse_document(noisy.encode("utf-8"), "generated.txt")
    except ParseError as error:
        pytest.fail(f"generated minutes refused: {error}")
    if doc["style"] == "edoc":
        return  # the eDoc rendering needs its own heading pattern; covered in test_text_layout
    assert_no_words_lost(
        raw,
        meeting,
        running=lambda line: line in {"Fjordby Kommune"} or line.startswith("Referat "),
    )
