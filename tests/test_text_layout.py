"""The text-layout parser: FirstAgenda text referater, seeds, demo minutes and generated documents.

The central check is ``assert_no_words_lost``: every word of an open item's source text must
reappear in the parsed item (title, case number, sections or decisions). Only layout is allowed
to disappear: the item heading prefix, section and decision headings, status lines, page
numbers, running page headers and the rows of a "Sagsforløb" table.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st

from index.models import AgendaItem, Meeting
from index.parsing import ParseError, parse_document
from index.parsing.common import (
    is_closed_status,
    is_open_status,
    normalise_section_name,
    parse_decision_heading,
)
from index.parsing.text_layout import decision_heading, decode_text, parse, parse_text

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEEDS = SHARED / "seeds"
DEMO = REPO / "demo"

# ---------------------------------------------------------------------------------------------
# The no-words-lost helper, shared with test_extract.py

_WORD = re.compile(r"\w+")
_PAGE_NUMBER = re.compile(
    r"^(?:(?:side|page)\s+\d+(?:\s*(?:af|of|/)\s*\d+)?|\d+\s*(?:af|of|/)\s*\d+|\d{1,3})$", re.I
)
_CASE_LABEL = re.compile(r"^(?:Sagsnr|Sags nr|Sagsnummer|Sag nr)\.?\s*:?", re.I)
_HISTORY_ROW = re.compile(r"^(?:Udvalg|Dato|Punktnummer)\s*:", re.I)
_STATUS_LINES = {"åbent referat", "lukket referat"}


def words(text: str) -> Counter[str]:
    return Counter(word.casefold() for word in _WORD.findall(text))


def item_words(item: AgendaItem) -> Counter[str]:
    found = words(item.title) + words(item.case_number or "")
    for section in item.sections:
        found += words(section.text)
    for decision in item.decisions:
        found += words(decision.text)
    return found


def _is_layout_line(line: str, item: AgendaItem) -> bool:
    """Lines that are layout, not content: their words may legitimately disappear."""
    folded = re.sub(r"\s+", " ", line).strip().strip(":.").casefold()
    if not folded:
        return True
    if _PAGE_NUMBER.match(folded) or folded in _STATUS_LINES:
        return True
    if is_open_status(line) or is_closed_status(line) or _HISTORY_ROW.match(line.strip()):
        return True
    if normalise_section_name(line) is not None or parse_decision_heading(line) is not None:
        return True
    # Kalundborg repeats "N. Title" under the heading; its words are the title's.
    repeat = re.match(rf"^\s*{item.number}\.?\s+(.*)$", line)
    if repeat is None:
        return False
    return item.title.casefold().startswith(repeat.group(1).strip().casefold())


def source_spans(
    raw: str, meeting: Meeting, heading: str, first_item_at: int = 0
) -> list[tuple[AgendaItem, str]]:
    """Each item with its source text, found by ``heading`` (a pattern with ``{n}``)."""
    positions: list[int] = []
    cursor = first_item_at
    for item in meeting.items:
        pattern = re.compile(heading.format(n=item.number) + r"\s*(?P<rest>.*)", re.M)
        # The heading line must also start the title: "4. Udbud ..." in a wrapped paragraph
        # is not item 4's heading.
        title_start = re.sub(r"\s+", " ", item.title)[:12].casefold()
        match = next(
            (
                found
                for found in pattern.finditer(raw, cursor)
                if re.sub(r"\s+", " ", found.group("rest")).casefold().startswith(title_start)
            ),
            None,
        )
        assert match, f"item {item.number} heading not found in the source"
        positions.append(match.start())
        cursor = match.end()
    ends = [*positions[1:], len(raw)]
    return [
        (item, raw[start:end])
        for item, start, end in zip(meeting.items, positions, ends, strict=True)
    ]


def assert_no_words_lost(
    raw: str,
    meeting: Meeting,
    heading: str = r"^Punkt {n}:",
    first_item_at: int = 0,
    running: Callable[[str], bool] = lambda line: False,
    trailer: str | None = None,
) -> None:
    raw = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    if trailer and trailer in raw:
        raw = raw[: raw.rindex(trailer)]
    for item, span in source_spans(raw, meeting, heading, first_item_at):
        if item.closed:
            continue
        lines = span.splitlines()
        lines[0] = re.sub(heading.format(n=item.number).lstrip("^"), "", lines[0], count=1)
        expected: Counter[str] = Counter()
        for line in lines:
            if running(line.strip()) or _is_layout_line(line, item):
                continue
            expected += words(_CASE_LABEL.sub("", line.strip()))
        missing = expected - item_words(item)
        assert not missing, f"item {item.number} lost words: {sorted(missing)[:20]}"


def assert_closed_text_absent(meeting: Meeting, phrases: list[str]) -> None:
    serialised = repr(dataclasses.asdict(meeting))
    for phrase in phrases:
        assert phrase not in serialised, f"closed text leaked: {phrase!r}"


def seed(prefix: str) -> Path:
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is not present beside the repository")
    return next(SEEDS.glob(f"{prefix}_*.txt"))


def parse_path(path: Path) -> Meeting:
    return parse_document(path.read_bytes(), str(path))


def by_number(meeting: Meeting) -> dict[int, AgendaItem]:
    return {item.number: item for item in meeting.items}


# ---------------------------------------------------------------------------------------------
# Seeds, checked by hand


def test_seed_000_direktionen_2016() -> None:
    path = seed("000")
    meeting = parse_path(path)
    assert (meeting.body, meeting.meeting_date, meeting.start_time) == (
        "Direktionen",
        "2016-09-20",
        "13:30",
    )
    assert meeting.municipality == "Høje-Taastrup"
    assert meeting.location == "Mødelokale A101"
    # The participant list wraps mid-name onto a second line.
    assert meeting.participants == (
        "Lars Holte",
        "Jørgen Lerhard",
        "Per Aalbæk Nielsen",
        "Charlotte Markussen",
        "Kathrine Seier Skastrup (sekretær)",
    )
    items = by_number(meeting)
    assert list(items) == [1, 2, 3, 4, 5, 6, 7]
    assert items[1].title == "Status direktionens puljer - september 2016"
    assert items[1].case_number == "16/5057"
    assert [s.name for s in items[1].sections] == [
        "Baggrund",
        "Indstilling",
        "Sagsfremstilling",
        "Bilag",
    ]
    (decision,) = items[1].decisions
    assert (decision.body, decision.date) == ("Direktionen", "2016-09-20")
    assert "pinden vedr. IT-midler udgik" in decision.text
    # Sub-headings inside a decision are content, kept as lines.
    assert items[2].decisions[0].text.startswith("Månedssagerne på de specialiserede områder")
    assert "Budgetavis 2017\n\nGodkendt" in items[2].decisions[0].text
    assert items[6].case_number == "15/26452" and not items[6].sections
    assert items[7].closed and items[7].title == "Lukket" and items[7].case_number is None
    assert_no_words_lost(path.read_text(encoding="utf-8"), meeting)


def test_seed_001_solgaarden_decision_and_closed_items() -> None:
    path = seed("001")
    meeting = parse_path(path)
    assert (meeting.body, meeting.meeting_date) == ("Direktionen", "2017-06-19")
    assert meeting.location == "Quality Hotel, Carl Gustavs gade 1, 263 VIP lokale"
    items = by_number(meeting)
    assert len(items) == 14
    assert [n for n, item in items.items() if item.closed] == [2, 3, 8]
    for number in (2, 3, 8):
        assert items[number].sections == () and items[number].decisions == ()
    solgaarden = items[5]
    assert (solgaarden.title, solgaarden.case_number) == ("Budgetanalyser", "17/163")
    assert "70 borgere" in solgaarden.decisions[0].text
    assert solgaarden.decisions[0].date == "2017-06-19"
    # "Solgården" and "Taxhuset" are sub-headings, kept as body text.
    sagsfremstilling = next(s for s in solgaarden.sections if s.name == "Sagsfremstilling")
    assert "\nSolgården\n" in sagsfremstilling.text
    assert "\nTaxhuset\n" in sagsfremstilling.text
    assert items[6].title == "Proces for direktionens strategibrev 2018"
    assert_no_words_lost(path.read_text(encoding="utf-8"), meeting)


def test_seed_002_upper_case_headings_and_two_decision_dates() -> None:
    path = seed("002")
    meeting = parse_path(path)
    assert (meeting.meeting_date, meeting.start_time, meeting.participants) == (
        "2015-03-10",
        "10:00",
        (),
    )
    items = by_number(meeting)
    assert [n for n, item in items.items() if item.closed] == [5, 8]
    # Text before the first heading goes to Sagsfremstilling.
    assert items[1].sections[0].name == "Sagsfremstilling"
    assert items[1].sections[0].text == "Økonomiopfølgning 10-03-2015"
    assert [s.name for s in items[3].sections][:2] == ["Bilag", "Baggrund"]
    dates = [(d.body, d.date) for d in items[6].decisions]
    assert dates == [("Direktionen", "2015-03-10"), ("Direktionen", "2015-02-24")]
    assert "Jane og Stine/ØDC deltog under punktet." in items[6].decisions[1].text
    assert "Indstilling" in {s.name for s in items[3].sections}  # from "INDSTILLING"
    assert_no_words_lost(path.read_text(encoding="utf-8"), meeting)


def test_seed_003_title_with_abbreviation_keeps_its_dot() -> None:
    path = seed("003")
    meeting = parse_path(path)
    items = by_number(meeting)
    assert meeting.meeting_date == "2018-09-24"
    assert items[5].title == (
        "Fordeling af lokaler på rådhus i forlængelse af organisationsændringer mv."
    )
    assert items[5].case_number == "18/11206"
    assert not any(item.closed for item in meeting.items)
    assert "Tidsplan" in {s.name for s in items[6].sections}
    assert_no_words_lost(path.read_text(encoding="utf-8"), meeting)


def test_seed_004_kalundborg_layout() -> None:
    path = seed("004")
    raw = path.read_text(encoding="utf-8")
    meeting = parse_path(path)
    assert (meeting.body, meeting.meeting_date, meeting.start_time) == (
        "Direktionen",
        "2019-09-09",
        "12:31",
    )
    assert meeting.municipality == "Kalundborg"
    assert meeting.location == "Holbækvej 141 B, Kalundborg"
    items = by_number(meeting)
    assert list(items) == [1, 2, 3, 4, 5, 6]
    assert items[1].case_number == "326-2019-6577"
    assert items[3].title == "Pilotprojekt - samarbejde reception og omstilling (borgerservice)"
    names = [s.name for s in items[1].sections]
    assert names[:3] == ["Sagsfremstilling", "Sagstype", "Resume"]
    assert "Behandling" in names and "Økonomi" in names
    # J.nr. and Dokumentnr. beside the case number are kept, not thrown away.
    assert items[1].sections[0].text.startswith("J.nr.: 00.32.00 Dokumentnr.: 326-2019-256150")
    (decision,) = items[1].decisions
    assert (decision.body, decision.date, decision.text) == (
        "Direktionen",
        "2019-09-09",
        "Anbefales.",
    )
    # "Sagstype: Beslutning" is a value, not a decision heading.
    assert next(s.text for s in items[3].sections if s.name == "Sagstype") == "Beslutning"
    assert items[4].closed and items[5].closed
    assert items[4].title == (
        "Lukket: Formidling af Direktionens drøftelser og beslutninger til organisationen"
    )
    assert items[6].decisions[0].text == "-"
    # The "Åbent" status lines under the headings are layout, not text.
    assert all("Åbent" not in s.text for item in meeting.items for s in item.sections)
    assert_no_words_lost(raw, meeting)


# ---------------------------------------------------------------------------------------------
# Every seed and every demo text file: nothing lost, closed text gone


def _text_files() -> list[Path]:
    files = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
    # Only demo/fjordby/ holds minutes; demo/CLOSED_MARKERS.txt is a list of secrets.
    return files + sorted(DEMO.glob("fjordby/*.txt"))


@pytest.mark.parametrize("path", _text_files(), ids=lambda p: p.name)
def test_no_words_lost_in_real_text_minutes(path: Path) -> None:
    meeting = parse_path(path)
    raw = decode_text(path.read_bytes())
    running = re.compile(r"^(?:.+ - Referat .+ \d\d-\d\d-\d{4})$")
    assert meeting.items and meeting.meeting_date
    assert_no_words_lost(raw, meeting, running=lambda line: bool(running.match(line)))
    closed = [item for item in meeting.items if item.closed]
    for item in closed:
        assert not item.sections and not item.decisions and item.case_number is None


def test_closed_text_never_reaches_the_output() -> None:
    raw = (
        "REFERAT Økonomiudvalget d. 02-05-2024\n\nMødedato Torsdag d. 2. maj 2024 kl. 09:00\n\n"
        "Punkt 1: Lukket: Personalesag\n\n24/999\n\nBaggrund\n\nMedarbejder Hans Hemmeligsen "
        "er opsagt.\n\nBeslutning Økonomiudvalget den 02-05-2024\n\nGodkendt fratrædelse.\n\n"
        "Punkt 2: Budget\n\n24/17\n\nBaggrund\n\nÅbent om budgettet.\n\n"
        "Punkt 3: Personaleforhold\n\nLukket\n\nSagsnr.: 24/555\n\nIndstilling\n\n"
        "Fortrolig løn til Grete Gemt.\n"
    )
    meeting = parse_text(raw, "x.txt")
    items = by_number(meeting)
    assert [item.closed for item in meeting.items] == [True, False, True]
    assert items[1].title == "Lukket: Personalesag" and items[3].title == "Personaleforhold"
    assert_closed_text_absent(
        meeting,
        ["Hemmeligsen", "Godkendt fratrædelse", "24/999", "24/555", "Grete Gemt", "Fortrolig"],
    )


def test_closed_text_absent_from_real_seeds() -> None:
    meeting = parse_path(seed("001"))
    # Item 3 is closed; its case number 17/163 is Solgården's (item 5) too, so look for
    # the closed items' own number 17/200 (item 2) and 17/10040 (item 8).
    assert_closed_text_absent(meeting, ["17/200", "17/10040"])


# ---------------------------------------------------------------------------------------------
# Encodings, line endings, page furniture


MINI = (
    "REFERAT Byrådet d. 07-05-2024\n\nMødedato Tirsdag d. 7. maj 2024 kl. 19:00\n\n"
    "Mødested Byrådssalen, Fjordby Rådhus\n\nIndholdsfortegnelse\n\nSkolestruktur i "
    "Nørreskov.....\t3\n\nPunkt 1: Skolestruktur i Nørreskov\n\n24/1234\n\nBaggrund\n\n"
    "Elevtallet på Nørreskov Skole falder.\n\nBeslutning Byrådet den 07-05-2024\n\nGodkendt.\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_encodings_and_line_endings(encoding: str, newline: str) -> None:
    meeting = parse(MINI.replace("\n", newline).encode(encoding), "mini.txt")
    (item,) = meeting.items
    assert item.title == "Skolestruktur i Nørreskov"
    assert item.sections[0].text == "Elevtallet på Nørreskov Skole falder."
    assert meeting.municipality == "Fjordby"
    assert meeting.location == "Byrådssalen, Fjordby Rådhus"


def test_form_feeds_running_headers_and_page_numbers_are_removed() -> None:
    pages = [
        MINI.split("Punkt 1", maxsplit=1)[0],
        "Punkt 1: Skolestruktur i Nørreskov\n24/1234\nBaggrund\nElevtallet på Nørreskov",
        "Skole falder, siger prognosen.\nBeslutning Byrådet den 07-05-2024\nGodkendt.",
    ]
    header = "Fjordby Kommune\nByrådet 07-05-2024\n"
    text = "\f".join(f"{header}{page}\nSide {n} af 3" for n, page in enumerate(pages, 1))
    meeting = parse_text(text, "x.pdf")
    (item,) = meeting.items
    assert item.sections[0].text.endswith("Skole falder, siger prognosen.")
    assert "Fjordby Kommune" not in item.sections[0].text
    assert "Side" not in item.sections[0].text
    assert item.decisions[0].text == "Godkendt."


def test_toc_lines_are_neither_items_nor_text() -> None:
    meeting = parse(MINI.encode(), "mini.txt")
    assert len(meeting.items) == 1
    assert ".....\t" not in repr(dataclasses.asdict(meeting))


def test_sentence_mentioning_a_meeting_is_not_a_decision_heading() -> None:
    assert (
        decision_heading("Sagens behandling blev udsat i byrådets møde den 26. marts 2025.") is None
    )
    heading = decision_heading("Direktionens møde den 9. september 2019:")
    assert heading is not None and (heading.body, heading.date) == ("Direktionen", "2019-09-09")
    heading = decision_heading(
        "Sundheds- og Forebyggelsesudvalgets beslutning den 04.12.2012 Punkt 1"
    )
    assert heading is not None and heading.date == "2012-12-04"


def test_documents_without_items_or_date_are_refused_with_a_reason() -> None:
    with pytest.raises(ParseError, match="no agenda items"):
        parse("Bare en indkøbsliste\nmælk\nbrød\n".encode(), "liste.txt")
    with pytest.raises(ParseError, match="date"):
        parse(b"REFERAT Direktionen\n\nPunkt 1: Noget\n\n24/1\n", "x.txt")
    with pytest.raises(ParseError, match="binary"):
        parse(bytes(range(256)) * 20, "x.txt")


# ---------------------------------------------------------------------------------------------
# Generated documents

# Real words and the odd number; none is a heading, a status or a date on its own.
_VOCABULARY_TEXT = (
    "budget skole plejecenter borgere direktionen økonomi projekt udvalget forslag model "
    "kommunen område sagen indsats drift anlæg pulje tilbud center ansatte ledelse plan "
    "opfølgning status proces høringssvar erfaringer ventetid trafik vej cykelsti bibliotek "
    "kultur idræt ældre børn unge familier handicap sundhed klima energi bygning lokaler "
    "medarbejdere rekruttering sygefravær rengøring udbud kontrakt leverandør portal "
    "12,5 mio. kr. 2024 48 pct. 3,1 – (ØDC) §17 stk. 4 Nørreskov Solgården Fjordby"
)
_VOCABULARY = _VOCABULARY_TEXT.split()
_word = st.sampled_from(_VOCABULARY)
_sentence = st.lists(_word, min_size=3, max_size=16).map(lambda ws: " ".join(ws).capitalize() + ".")
_paragraph = st.lists(_sentence, min_size=1, max_size=4).map(" ".join)
_SECTION_HEADINGS = {
    "Baggrund": ["Baggrund", "BAGGRUND", "Baggrund:"],
    "Indstilling": ["Indstilling", "INDSTILLING", "Indstillinger"],
    "Sagsfremstilling": ["Sagsfremstilling", "Sagsbeskrivelse"],
    "Økonomi": ["Økonomi", "Økonomiske konsekvenser"],
    "Resume": ["Resume", "Resumé"],
}
_DATES = st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2030, 12, 31))
_CASE_NUMBERS = st.one_of(
    st.builds("{}/{}".format, st.integers(10, 25), st.integers(1, 99999)),
    st.builds(
        "{}-20{}-{}".format, st.integers(100, 999), st.integers(10, 25), st.integers(1, 99999)
    ),
    st.builds("EMN-20{}-{:06d}".format, st.integers(10, 25), st.integers(1, 999999)),
)


@st.composite
def _generated_item(draw: st.DrawFn, number: int) -> dict[str, object]:
    closed = draw(st.booleans()) and draw(st.booleans())
    names = draw(st.lists(st.sampled_from(sorted(_SECTION_HEADINGS)), max_size=4, unique=True))
    return {
        "number": number,
        "title": " ".join(draw(st.lists(_word, min_size=2, max_size=16))).capitalize(),
        "closed": closed,
        "case": draw(_CASE_NUMBERS),
        "sections": [
            (
                name,
                draw(st.sampled_from(_SECTION_HEADINGS[name])),
                draw(st.lists(_paragraph, min_size=1, max_size=3)),
            )
            for name in names
        ],
        "decisions": draw(
            st.lists(
                st.tuples(_DATES, _paragraph),
                max_size=3,
            )
        ),
        "secret": f"Hemmelig{number}tekst",
    }


_EDOC_BODIES = ["Økonomiudvalget", "Teknik- og Miljøudvalget", "Sundheds- og Forebyggelsesudvalget"]
_MONTH_NAMES = "januar februar marts april maj juni juli august september oktober november december"


@st.composite
def _generated_meeting(draw: st.DrawFn) -> dict[str, object]:
    count = draw(st.integers(1, 6))
    style = draw(st.sampled_from(["firstagenda", "edoc"]))
    bodies = ["Direktionen", *_EDOC_BODIES] if style == "firstagenda" else _EDOC_BODIES
    return {
        "style": style,
        "body": draw(st.sampled_from(bodies)),
        "date": draw(_DATES),
        "items": [draw(_generated_item(n)) for n in range(1, count + 1)],
        "wrap": draw(st.booleans()),
        "pages": draw(st.booleans()),
    }


def _wrap(text: str, width: int = 70) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return [*lines, current]


def _render_edoc(doc: dict[str, object]) -> str:
    """eDoc layout (Ballerup): front page, "N. Title", "Sagsnr.:", no blank lines, page headers."""
    date = doc["date"]
    assert isinstance(date, datetime.date)
    items = doc["items"]
    assert isinstance(items, list)
    body = str(doc["body"])
    wrap = bool(doc["wrap"])
    month = _MONTH_NAMES.split()[date.month - 1]
    lines = ["Referat", body, f"tirsdag den {date.day}. {month} {date.year}, kl. 13:00"]
    lines += ["i Mødecenter C, Lokale 32", "Åbent referat", "Tilstede", "Anna Holm (A)"]
    lines += ["Bo Ravn (V)", "Afbud/Fraværende", "INDHOLDSFORTEGNELSE", "Åbent referat"]

    def title_of(item: dict[str, object]) -> str:
        return f"Lukket punkt: {item['title']}" if item["closed"] else str(item["title"])

    def wrapped(text: str, width: int = 70) -> list[str]:
        return _wrap(text, width) if wrap else [text]

    serial = iter(f"q{a}{b}" for a in "abcdefghijklmnopqrstuvwxyz" for b in "abcdefghijklmnoprstuv")
    for item in items:
        lines += wrapped(f"{item['number']}. {title_of(item)} {item['number'] + 2}", 90)
    for item in items:
        lines += wrapped(f"{item['number']}. {title_of(item)}")
        lines += [f"Sagsnr.: {item['case']}", f"Dok.nr.: 2024-{item['number']:06d}"]
        paragraphs: list[str] = []
        if item["closed"]:
            paragraphs.append(f"Fortroligt: {item['secret']} om en medarbejder.")
        for _, heading, texts in item["sections"]:
            lines += [*(f"{line} {next(serial)}" for p in paragraphs for line in wrapped(p))]
            paragraphs = list(texts)
            lines.append(heading)
        for decided, text in item["decisions"]:
            lines += [*(f"{line} {next(serial)}" for p in paragraphs for line in wrapped(p))]
            paragraphs = [text]
            lines.append(f"{body}s beslutning den {decided:%d.%m.%Y} Punkt {item['number']}")
        lines += [*(f"{line} {next(serial)}" for p in paragraphs for line in wrapped(p))]
    if not doc["pages"]:
        return "\n".join(lines)
    header = [body, "Referat", "Åbent referat", f"Dato: {date:%d.%m.%Y}"]
    chunks = [lines[i : i + 14] for i in range(0, len(lines), 14)]
    return "\f".join("\n".join([*header, f"Side {n}", *chunk]) for n, chunk in enumerate(chunks, 1))


def _render_generated(doc: dict[str, object]) -> str:
    if doc["style"] == "edoc":
        return _render_edoc(doc)
    date = doc["date"]
    assert hasattr(date, "strftime")
    day = date.strftime("%d-%m-%Y")
    wrap = bool(doc["wrap"])
    blank = [] if wrap else [""]
    lines = [f"REFERAT {doc['body']} d. {day}", *blank, f"Mødedato d. {day} kl. 10:00", *blank]
    lines += ["Mødested Mødelokale 1", *blank, "Indholdsfortegnelse", *blank]
    items = doc["items"]
    assert isinstance(items, list)
    for item in items:
        lines.append(f"{'Lukket' if item['closed'] else item['title']}.....\t{item['number'] + 2}")
    lines += blank

    # Letters, not digits: running-line detection ignores digits.
    serial = iter(f"q{a}{b}" for a in "abcdefghijklmnopqrstuvwxyz" for b in "abcdefghijklmnoprstuv")

    def para(text: str) -> list[str]:
        if not wrap:
            return [text, *blank]
        # A serial word per line keeps two pages from ending in the same generated line, a
        # coincidence real minutes do not have and the header/footer detector would remove.
        return [f"{line} {next(serial)}" for line in _wrap(text)]

    for item in items:
        if item["closed"]:
            lines += [f"Punkt {item['number']}: Lukket", *blank, item["case"], *blank]
            lines += para(f"Fortroligt: {item['secret']} om en medarbejder.")
            continue
        heading = f"Punkt {item['number']}: {item['title']}"
        lines += [*(_wrap(heading) if wrap else [heading]), *blank]
        lines += [item["case"], *blank]
        for _, heading, paragraphs in item["sections"]:
            lines += [heading, *blank]
            for paragraph in paragraphs:
                lines += para(paragraph)
        for decided, text in item["decisions"]:
            lines += [f"Beslutning {doc['body']} den {decided.strftime('%d-%m-%Y')}", *blank]
            lines += para(text)
        lines += blank
    text = "\n".join(lines)
    if doc["pages"]:
        # Cut into pages of 12 lines with a running header and a page number, like a PDF.
        chunks = [lines[i : i + 12] for i in range(0, len(lines), 12)]
        text = "\f".join(
            "\n".join(["Fjordby Kommune", f"Referat {day}", *chunk, f"Side {n}"])
            for n, chunk in enumerate(chunks, 1)
        )
    return text


# Found by this test on a fresh clone: the table's last entry lost its page number at a page
# break, so the closed item 2 was not listed and its text was read as item 1's.
_LOST_TOC_ENTRY = {
    "style": "edoc",
    "body": "Økonomiudvalget",
    "date": datetime.date(2000, 1, 1),
    "items": [
        {
            "number": 1,
            "title": "Budget budget",
            "closed": False,
            "case": "10/1",
            "sections": [],
            "decisions": [],
            "secret": "Hemmelig1tekst",
        },
        {
            "number": 2,
            "title": "Budget budget budget budget budget plejecenter borgere cykelsti cykelsti",
            "closed": True,
            "case": "10/1",
            "sections": [],
            "decisions": [],
            "secret": "Hemmelig2tekst",
        },
    ],
    "wrap": True,
    "pages": True,
}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=_generated_meeting(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
@example(doc=_LOST_TOC_ENTRY, encoding="utf-8")
def test_generated_documents_round_trip(doc: dict[str, object], encoding: str) -> None:
    raw = _render_generated(doc)
    note(raw)
    newline = "\r\n" if encoding == "cp1252" else "\n"
    meeting = parse(raw.replace("\n", newline).encode(encoding), "generated.txt")
    date = doc["date"]
    assert hasattr(date, "isoformat")
    assert (meeting.body, meeting.meeting_date) == (doc["body"], date.isoformat())
    items = doc["items"]
    assert isinstance(items, list)
    assert [item.number for item in meeting.items] == [item["number"] for item in items]
    edoc = doc["style"] == "edoc"
    for parsed, source in zip(meeting.items, items, strict=True):
        assert parsed.closed == source["closed"]
        if source["closed"]:
            assert parsed.title == (f"Lukket punkt: {source['title']}" if edoc else "Lukket")
            continue
        assert parsed.title == source["title"]
        assert parsed.case_number == source["case"]
        names = [name for name, _, _ in source["sections"]]
        if edoc:  # "Dok.nr." under "Sagsnr." opens the case description
            names = ["Sagsfremstilling", *(name for name in names if name != "Sagsfremstilling")]
        assert [s.name for s in parsed.sections] == names
        assert [(d.body, d.date) for d in parsed.decisions] == [
            (doc["body"], decided.isoformat()) for decided, _ in source["decisions"]
        ]
        if not doc["wrap"] and not edoc:
            for section, (_, _, paragraphs) in zip(
                parsed.sections, source["sections"], strict=True
            ):
                assert section.text == "\n\n".join(paragraphs)
            for decision, (_, text) in zip(parsed.decisions, source["decisions"], strict=True):
                assert decision.text == text
    if edoc:
        header = {str(doc["body"]), "Referat", "Åbent referat", f"Dato: {date:%d.%m.%Y}"}
        first = raw.rindex("\n1. ", 0, raw.index("Sagsnr.:")) + 1
        assert_no_words_lost(
            raw, meeting, heading=r"^{n}\. ", first_item_at=first, running=header.__contains__
        )
        assert meeting.location == "Mødecenter C, Lokale 32"
        assert meeting.participants == ("Anna Holm (A)", "Bo Ravn (V)")
    else:
        assert_no_words_lost(
            raw,
            meeting,
            running=lambda line: line in {"Fjordby Kommune"} or line.startswith("Referat "),
        )
    assert_closed_text_absent(meeting, [str(item["secret"]) for item in items if item["closed"]])


# ---------------------------------------------------------------------------------------------
# Speed


def test_parsing_speed_is_reported() -> None:
    files = [path for path in _text_files() if path.exists()]
    if not files:
        pytest.skip("no seed or demo minutes present")
    blobs = [(path.read_bytes(), str(path)) for path in files]
    rounds = 5
    started = time.perf_counter()
    for _ in range(rounds):
        for data, source in blobs:
            parse(data, source)
    elapsed = time.perf_counter() - started
    rate = rounds * len(blobs) / elapsed
    print(f"\ntext-layout parser: {rate:.0f} meetings/second over {len(blobs)} files")
    assert rate > 20


def test_a_renumbered_closed_part_is_never_read_as_open_text() -> None:
    raw = MINI + "\nPunkt 1: Lukket: Personalesag\n\n24/9\n\nBaggrund\n\nHemmelig oplysning.\n"
    meeting = parse(raw.encode(), "mini.txt")
    assert [(item.number, item.closed) for item in meeting.items] == [(1, False), (1, True)]
    assert_closed_text_absent(meeting, ["Hemmelig oplysning", "24/9"])


def test_a_lower_open_punkt_line_is_body_text() -> None:
    raw = MINI.replace("Godkendt.\n", "Godkendt.\n\nPunkt 1: behandles igen i juni.\n")
    (item,) = parse(raw.encode(), "mini.txt").items
    assert item.decisions[0].text == "Godkendt.\n\nPunkt 1: behandles igen i juni."


_EDOC_TWO_LISTED = """Referat
Økonomiudvalget
tirsdag den 5. marts 2024, kl. 13:00
INDHOLDSFORTEGNELSE
1. Budget 3
2. Cykelsti langs Havnevej 4
1. Budget
Sagsnr.: 10/1
Budgettet blev drøftet.
2. Cykelsti langs Havnevej
Sagsnr.: 10/2
Cykelstien anlægges.
3. Lukket punkt: Personalesag
Fortroligt: en medarbejders sygdom.
"""


def test_an_unlisted_closed_edoc_heading_still_starts_a_closed_item() -> None:
    # The table lost its last entry and the closed item has no "Sagsnr." line: its heading
    # alone must end the open item before it.
    meeting = parse(_EDOC_TWO_LISTED.encode(), "edoc.txt")
    assert [(item.number, item.closed) for item in meeting.items] == [
        (1, False),
        (2, False),
        (3, True),
    ]
    assert meeting.items[1].sections[0].text.endswith("Cykelstien anlægges.")
    assert_closed_text_absent(meeting, ["medarbejders sygdom"])


def test_an_unlisted_numbered_line_without_a_case_line_stays_text() -> None:
    raw = _EDOC_TWO_LISTED.replace(
        "3. Lukket punkt: Personalesag\nFortroligt: en medarbejders sygdom.\n",
        "2025. Det er året, hvor stien åbner.\n",
    )
    meeting = parse(raw.encode(), "edoc.txt")
    assert [item.number for item in meeting.items] == [1, 2]
    assert "2025. Det er året" in meeting.items[1].sections[0].text
