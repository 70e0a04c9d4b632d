"""FirstAgenda formats: publication API JSON (Greve) and the saved web page (Aarhus).

Inline fixtures run everywhere; the real documents in ../shared/corpus are spot-checked against
values read by hand from the files, and the whole Greve corpus (marked slow) is checked for
counts, closed items and lost words.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from dataclasses import asdict
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from index.models import AgendaItem, Meeting
from index.parsing import ParseError, firstagenda_json, html_page, parse_document
from index.parsing.common import DANISH_MONTHS, SECTION_ALIASES
from index.parsing.html_sections import html_to_text

SHARED = Path(__file__).parents[1].parent / "shared"
GREVE = SHARED / "corpus" / "greve"
AARHUS_PAGE = SHARED / "corpus" / "aarhus" / "aarhus_teknisk-udvalg_2025-10-01_referat.html"
DEMO = Path(__file__).parents[1] / "demo"
WORD = re.compile(r"\w+")


def words(text: str) -> Counter[str]:
    return Counter(word.lower() for word in WORD.findall(text))


def item(meeting: Meeting, number: int) -> AgendaItem:
    (found,) = [entry for entry in meeting.items if entry.number == number]
    return found


def serialised(meeting: Meeting) -> str:
    return json.dumps(asdict(meeting), ensure_ascii=False)


# --- inline fixture --------------------------------------------------------------------------

CLOSED_SECRET = "Tilbagekøb af grunden sker for 4,2 mio. kr. fra sælger Hansen"


def publication(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "Udvalg": {"Navn": "Økonomiudvalget"},
        "Moede": {
            "Dato": "2024-03-11T16:30:00+01:00",
            "Sted": "Mødelokale 1",
            "Moededeltagere": [
                {"Name": "Anna Holm", "Absent": False, "ParticipationCancelled": False},
                {"Name": "Bo Berg", "Absent": True, "ParticipationCancelled": False},
                {"Name": "Cai Dahl", "Absent": False, "ParticipationCancelled": True},
            ],
        },
        "Dagsordenpunkter": [
            {
                "Punktnummer": "1",
                "Navn": "Ny cykelsti på Strandvejen",
                "SagsNummer": "24-001234",
                "IsOpen": False,
                "Felter": [
                    {
                        "Navn": "",
                        "Html": (
                            "<div><div id='sagsfremstillingContainer'><div><h3>Beslutning</h3>"
                            "<span>Godkendt.<br><br>(Ø) stemte imod.</span></div>"
                            "<h3>Fremstilling</h3><span class='ukendt'>"
                            "<h4>Resume</h4><p>Stien koster 2 mio. kr.</p>"
                            "<h4>Sagsbeskrivelse</h4><p>Strækningen er 1,2 km.</p></span>"
                            "<h3>Sagens forløb</h3><span class='sagsforloeb'>"
                            "<u>04-03-2024 Klima-, Teknik- og Miljøudvalget</u><br>"
                            "<p>Anbefales.</p></span></div></div>"
                        ),
                    }
                ],
                "Bilag": [{"Navn": "Kort over stien"}, {"Navn": "Budget"}],
            },
            {
                "Punktnummer": "2",
                "Navn": "Lukket: Køb af grund",
                "SagsNummer": "24-000999",
                "IsOpen": True,
                "Felter": [{"Html": f"<div><p>{CLOSED_SECRET}.</p></div>"}],
                "Bilag": [{"Navn": "Skøde"}],
            },
            {
                "Punktnummer": "3",
                "Caption": "Orientering",
                "SagsNummer": "",
                "Felter": [{"Html": "<div><h3>Beslutning</h3><span><br></span></div>"}],
                "Bilag": [],
            },
        ],
        "Lydfiler": None,
        "Id": "x",
    }
    document.update(overrides)
    return document


def parse_inline(document: dict[str, Any]) -> Meeting:
    data = json.dumps(document, ensure_ascii=False).encode()
    return firstagenda_json.parse(data, "inline.json")


def test_inline_meeting_details() -> None:
    meeting = parse_inline(publication())
    assert meeting.body == "Økonomiudvalget"
    assert meeting.meeting_date == "2024-03-11"
    assert meeting.start_time == "16:30"
    assert meeting.location == "Mødelokale 1"
    assert meeting.participants == ("Anna Holm", "Bo Berg (fraværende)", "Cai Dahl (afbud)")
    assert meeting.municipality is None  # no dagsordener.<kommune>.dk link in the file
    assert [entry.number for entry in meeting.items] == [1, 2, 3]


def test_inline_open_item_sections_and_decision() -> None:
    first = item(parse_inline(publication()), 1)
    assert first.title == "Ny cykelsti på Strandvejen"
    assert first.case_number == "24-001234"
    assert not first.closed  # IsOpen false is no closed flag
    (decision,) = first.decisions
    assert decision.text == "Godkendt.\n\n(Ø) stemte imod."
    assert (decision.body, decision.date) == ("Økonomiudvalget", "2024-03-11")
    sections = {section.name: section.text for section in first.sections}
    assert sections == {
        "Resume": "Stien koster 2 mio. kr.",
        "Sagsfremstilling": "Strækningen er 1,2 km.",
        "Sagsforløb": "04-03-2024 Klima-, Teknik- og Miljøudvalget\n\nAnbefales.",
        "Bilag": "Kort over stien\nBudget",
    }


def test_inline_closed_item_keeps_number_and_title_only() -> None:
    meeting = parse_inline(publication())
    closed = item(meeting, 2)
    assert closed == AgendaItem(
        number=2, title="Lukket: Køb af grund", case_number="24-000999", closed=True
    )
    assert "Hansen" not in serialised(meeting)
    assert "Skøde" not in serialised(meeting)


def test_inline_caption_and_empty_decision() -> None:
    third = item(parse_inline(publication()), 3)
    assert third.title == "Orientering"
    assert third.case_number is None
    assert third.decisions == ()  # an empty Beslutning field is not a decision
    assert third.sections == ()


def test_municipality_from_the_site_links() -> None:
    document = publication()
    document["Dagsordenpunkter"][0]["Felter"][0]["Link"] = "https://dagsordener.greve.dk/vis/pdf"
    assert parse_inline(document).municipality == "Greve"


def test_json_that_is_not_firstagenda_is_refused_clearly() -> None:
    with pytest.raises(ParseError, match="JSON, but not a FirstAgenda publication"):
        firstagenda_json.parse(b'{"meetings": []}', "other.json")
    with pytest.raises(ParseError, match="JSON, but not a FirstAgenda publication"):
        firstagenda_json.parse(b"[1, 2]", "list.json")
    with pytest.raises(ParseError, match="not valid JSON"):
        firstagenda_json.parse(b"{oops", "broken.json")
    with pytest.raises(ParseError, match="committee"):
        parse_inline(publication(Udvalg={}))
    with pytest.raises(ParseError, match="meeting date"):
        parse_inline(publication(Moede={"Sted": "Rådhuset"}))


def test_dispatch_reads_json_and_utf8_bom() -> None:
    data = b"\xef\xbb\xbf" + json.dumps(publication()).encode()
    assert parse_document(data, "meeting.json").body == "Økonomiudvalget"


# --- real Greve meetings, values read by hand from the JSON ----------------------------------


def greve_file(name: str) -> Path:
    path = GREVE / name
    if not path.is_file():
        pytest.skip("../shared/corpus/greve is not present beside the repository")
    return path


@cache
def greve_meeting(name: str) -> Meeting:
    path = greve_file(name)
    return firstagenda_json.parse(path.read_bytes(), str(path))


def test_greve_byraad_with_votes_and_closed_items() -> None:
    meeting = greve_meeting("greve_2022-01-31_byraad-2022-2025_779d518b.json")
    assert (meeting.body, meeting.meeting_date, meeting.start_time) == (
        "Byråd 2022-2025",
        "2022-01-31",
        "19:00",
    )
    assert meeting.municipality == "Greve"
    assert meeting.location == "Byrådssalen"
    assert len(meeting.participants) == 21
    assert [entry.number for entry in meeting.items] == list(range(1, 26))
    assert [entry.number for entry in meeting.items if entry.closed] == [4, 5, 6, 7]
    assert item(meeting, 7).title == "Lukket: Tilbagekøb af matrikel 3db Hundige by, Kildebrønde"
    assert item(meeting, 7).case_number == "22-000177"
    # Closed items carry their decision text in the JSON; none of it may leave the parser.
    assert "betingede købsaftale" not in serialised(meeting)

    votes = item(meeting, 22)
    assert votes.title == "Afledte anlægsprojekter ifm. salg af Hundige Øst"
    assert votes.case_number == "21-012897"
    (decision,) = votes.decisions
    assert decision.text.startswith("Byrådet godkendte Økonomiudvalgets indstilling.")
    assert "(Ø) og (F) stemte imod indstillingen." in decision.text
    assert "Fraværende: Pernille Beckmann, Tina Rottbøll" in decision.text
    assert (decision.body, decision.date) == ("Byråd 2022-2025", "2022-01-31")
    names = [section.name for section in votes.sections]
    assert names[:4] == ["Sagsprocedure", "Resume", "Indstilling", "Sagsfremstilling"]

    budget = item(meeting, 10)
    assert budget.title == "Budgetopfølgning 0 2022"
    history = {s.name: s.text for s in budget.sections}["Sagsforløb"]
    assert history.startswith("24-01-2022 Økonomiudvalget\n\nØkonomiudvalget anbefaler")
    assert item(meeting, 19).case_number == "19-033355K"


def test_greve_committee_meeting_with_a_closed_item() -> None:
    meeting = greve_meeting("greve_2022-01-10_oekonomiudvalget_e049b9bf.json")
    assert (meeting.body, meeting.meeting_date, meeting.start_time, meeting.location) == (
        "Økonomiudvalget",
        "2022-01-10",
        "07:45",
        "Biblioteket",
    )
    assert [(e.number, e.closed) for e in meeting.items] == [
        (1, False),
        (2, False),
        (3, True),
        (4, False),
    ]
    closed = item(meeting, 3)
    assert closed.title == (
        "Lukket: Orientering om politiets afgørelse om anmeldelse af tidligere kommunaldirektør"
    )
    assert closed.case_number == "22-000056"
    assert (closed.sections, closed.decisions) == ((), ())
    assert "anmeldelse som administrationen har sendt til politiet" not in serialised(meeting)
    (approval,) = item(meeting, 1).decisions
    assert approval.text == "Dagsordenen blev godkendt.\n\nFraværende: Mehmet Zeki Dogru"
    assert (approval.body, approval.date) == ("Økonomiudvalget", "2022-01-10")
    assert item(meeting, 4).decisions == ()  # "Beslutning: ." is no decision


def test_greve_item_quoting_earlier_decisions_of_other_bodies() -> None:
    meeting = greve_meeting("greve_2025-01-07_plan-og-tryghedsudvalget_3ad58620.json")
    assert (meeting.body, meeting.meeting_date, meeting.location) == (
        "Plan- og Tryghedsudvalget",
        "2025-01-07",
        "Mødelokale 1",
    )
    housing = item(meeting, 8)
    assert housing.case_number == "24-005230"
    assert [(d.body, d.date) for d in housing.decisions] == [
        ("Plan- og Tryghedsudvalget", "2025-01-07"),
        ("Plan- og Tryghedsudvalget", "2024-10-08"),
        ("Økonomiudvalget", "2024-10-30"),
    ]
    today, earlier, finance = housing.decisions
    assert "(Ø) stemmer imod 3) og 4)." in today.text
    assert earlier.text.startswith("Ikke til stede: Kenneth Jerkel (A)")
    assert "sende sagen tilbage til Plan- og Tryghedsudvalget" in finance.text


def test_greve_questions_and_answers_file() -> None:
    meeting = greve_meeting(
        "greve_2023-01-01_spoergsmaal-svar-til-byraadet-2022-2025_ed202165.json"
    )
    assert meeting.body == "Spørgsmål / Svar til Byrådet 2022-2025"
    assert (meeting.meeting_date, meeting.location) == ("2023-01-01", "Virtuelt møde")
    (questions,) = meeting.items
    assert (questions.number, questions.title, questions.case_number) == (
        1,
        "Spørgsmål/Svar Byrådet 2023",
        "21-015217",
    )
    assert questions.decisions == ()
    (attachments,) = questions.sections
    assert attachments.name == "Bilag"
    lines = attachments.text.split("\n")
    assert len(lines) == 98
    assert lines[0] == "Spørgsmål svar vedr. Hundige Boldklubs kunstbane"


# --- the whole Greve corpus ------------------------------------------------------------------

HEADING_VOCABULARY = {
    word
    for phrase in [*SECTION_ALIASES, "beslutning", "beslutninger", "fremstilling", "den", "i"]
    for word in words(phrase)
}


def allowed_heading_words(entry: AgendaItem) -> set[str]:
    """Words a heading may take with it: section vocabulary and what decision headings name."""
    allowed = set(HEADING_VOCABULARY)
    for decision in entry.decisions:
        allowed |= set(words(decision.body or ""))
        if decision.date:
            year, month, day = decision.date.split("-")
            month_name = [name for name, number in DANISH_MONTHS.items() if number == int(month)]
            allowed |= {year, month, day, str(int(day)), str(int(month)), *month_name}
    return allowed


@pytest.fixture(scope="module")
def greve_corpus() -> list[tuple[Path, bytes, Meeting]]:
    if not GREVE.is_dir():
        pytest.skip("../shared/corpus/greve is not present beside the repository")
    files = sorted(GREVE.glob("*.json"))
    loaded = [(path, path.read_bytes()) for path in files]
    started = time.perf_counter()
    meetings = [firstagenda_json.parse(data, str(path)) for path, data in loaded]
    elapsed = time.perf_counter() - started
    # Well under a minute for 26 M characters (measured: about 4 s, ~90 meetings/second).
    assert elapsed < 60, f"{len(meetings)} meetings took {elapsed:.1f} s"
    return [(path, data, meeting) for (path, data), meeting in zip(loaded, meetings, strict=True)]


@pytest.mark.slow
def test_greve_counts(greve_corpus: list[tuple[Path, bytes, Meeting]]) -> None:
    meetings = [meeting for _, _, meeting in greve_corpus]
    items = [entry for meeting in meetings for entry in meeting.items]
    assert len(meetings) == 373
    assert len(items) == 5553
    assert sum(entry.closed for entry in items) == 385
    assert all(meeting.municipality == "Greve" for meeting in meetings)
    for entry in items:
        if entry.closed:
            assert entry.title.lower().startswith("lukket")
            assert (entry.sections, entry.decisions) == ((), ())
    decided = [entry for entry in items if entry.decisions]
    assert len(decided) > 4800
    # Each item's own decision comes first; later ones quote earlier treatment elsewhere.
    for meeting in meetings:
        for entry in meeting.items:
            if entry.decisions:
                own = entry.decisions[0]
                assert (own.body, own.date) == (meeting.body, meeting.meeting_date)


@pytest.mark.slow
def test_greve_no_words_of_open_items_are_lost(
    greve_corpus: list[tuple[Path, bytes, Meeting]],
) -> None:
    for path, data, meeting in greve_corpus:
        raw_items = json.loads(data)["Dagsordenpunkter"]
        for raw, entry in zip(raw_items, meeting.items, strict=True):
            if entry.closed:
                continue
            source = words(" ".join(html_to_text(f.get("Html") or "") for f in raw["Felter"]))
            parts = [entry.title, entry.case_number or ""]
            parts += [s.text for s in entry.sections] + [d.text for d in entry.decisions]
            lost = source - words(" ".join(parts))
            unexpected = set(lost) - allowed_heading_words(entry)
            assert not unexpected, f"{path.name} item {entry.number} lost {sorted(unexpected)}"


@pytest.mark.slow
def test_greve_closed_item_text_never_leaves_the_parser(
    greve_corpus: list[tuple[Path, bytes, Meeting]],
) -> None:
    checked = 0
    for _, data, meeting in greve_corpus:
        output = serialised(meeting)
        open_text = " ".join(
            html_to_text(f.get("Html") or "")
            for raw in json.loads(data)["Dagsordenpunkter"]
            if not raw["Navn"].lower().startswith("lukket")
            for f in raw["Felter"]
        )
        for raw in json.loads(data)["Dagsordenpunkter"]:
            if not raw["Navn"].lower().startswith("lukket"):
                continue
            for paragraph in html_to_text(raw["Felter"][0]["Html"] or "").split("\n"):
                # Only phrases that occur nowhere in the meeting's open items can be tested.
                if len(paragraph) > 40 and paragraph not in open_text:
                    assert paragraph not in output
                    checked += 1
    assert checked > 100


# --- the saved FirstAgenda web page (Aarhus) -------------------------------------------------

PAGE = """<html><head><title>Teknisk Udvalg</title><link href="/dist/css/aarhus.css"></head>
<body><img src="/Content/img/aarhus_logo.png">
<h1 class="green dato">Referat 1. oktober 2025 kl. 15.45</h1>
<span class="udvalg">Teknisk Udvalg</span>
<table class="dagsordeninfo"><tr><td>Mødedato:</td>
<td><span class="dato">onsdag den 1. oktober 2025 kl. 15.45</span></td></tr>
<tr><td>Mødested:</td><td><span class="sted">Udvalgsværelse 398</span></td></tr></table>
<table id="dagsordenDetaljer"><tbody>
<tr class="punktrow"><td><span class="label label-default">1</span></td><td>
<button><h2 class="overskrift">Lokalplan 1221 - endelig</h2></button><div class="details">
<span class="sagsnummer">EMN-2025-008468</span><div class="punkt"><h3></h3>
<div><div id="sagsfremstillingContainer"><div><h3>Beslutninger</h3>
<span class="resume"><div>Sagen blev udsat.</div></span>
<h3></h3><span class="resume"><div>Endelig vedtagelse af lokalplan.</div></span>
<h3>Beslutningspunkter</h3>
<span class="resume"><div>Det indstilles, at planen vedtages.</div></span>
<h3>Sagsforløb</h3><span class="resume"><div>Udvalg: Magistraten</div><div>Dato: 19-08-2025</div>
<div> Punktnummer: 7</div><div>Fremsendes til byrådet.</div></span></div></div></div></div>
<h3>Bilag</h3><ul><li><span class="label pdf-label">PDF</span>
<a href="/vis/pdf/bilag/1">Bilag 1: Kort</a></li></ul>
</div></td></tr>
<tr class="punktrow"><td><span class="label label-default">2</span></td><td>
<h2 class="overskrift">Lukket: Personalesag</h2><div class="details"><div class="punkt">
<h3>Beslutninger</h3><span>Hemmelig afgørelse om medarbejderen.</span></div></div></td></tr>
</tbody></table></body></html>"""


def test_inline_firstagenda_page() -> None:
    meeting = html_page.parse(PAGE.encode(), "page.html")
    assert (meeting.body, meeting.meeting_date, meeting.start_time) == (
        "Teknisk Udvalg",
        "2025-10-01",
        "15:45",
    )
    assert (meeting.location, meeting.municipality) == ("Udvalgsværelse 398", "Aarhus")
    plan, closed = meeting.items
    assert (plan.number, plan.title, plan.case_number) == (
        1,
        "Lokalplan 1221 - endelig",
        "EMN-2025-008468",
    )
    (decision,) = plan.decisions
    assert (decision.text, decision.body, decision.date) == (
        "Sagen blev udsat.",
        "Teknisk Udvalg",
        "2025-10-01",
    )
    sections = {section.name: section.text for section in plan.sections}
    assert sections["Sagsfremstilling"] == "Endelig vedtagelse af lokalplan."
    assert sections["Indstilling"] == "Det indstilles, at planen vedtages."
    assert sections["Sagsforløb"].split("\n\n")[2] == "Punktnummer: 7"
    assert sections["Bilag"] == "Bilag 1: Kort"  # without the "PDF" badge
    assert closed == AgendaItem(number=2, title="Lukket: Personalesag", closed=True)
    assert "Hemmelig" not in serialised(meeting)


def test_html_that_is_not_a_firstagenda_page_is_refused() -> None:
    with pytest.raises(ParseError, match="not a saved FirstAgenda meeting page"):
        html_page.parse(b"<html><body><p>Hej</p></body></html>", "x.html")


def test_aarhus_teknisk_udvalg_page() -> None:
    if not AARHUS_PAGE.is_file():
        pytest.skip("../shared/corpus/aarhus is not present beside the repository")
    meeting = parse_document(AARHUS_PAGE.read_bytes(), str(AARHUS_PAGE))
    assert (meeting.body, meeting.meeting_date, meeting.start_time) == (
        "Teknisk Udvalg",
        "2025-10-01",
        "15:45",
    )
    assert (meeting.location, meeting.municipality) == ("Udvalgsværelse 398", "Aarhus")
    assert [(e.number, e.case_number) for e in meeting.items] == [
        (1, "EMN-2025-010561"),
        (2, "EMN-2025-009242"),
        (3, "EMN-2025-008468"),
        (4, "EMN-2025-010561"),
        (5, None),
        (6, "EMN-2024-035156"),
    ]
    assert item(meeting, 2).title == "Udviklingsplan Aarhus Ø - endelig vedtagelse"
    assert item(meeting, 5).title == "Eventuelt"
    assert not any(entry.closed for entry in meeting.items)
    for entry in meeting.items:
        (decision,) = entry.decisions
        assert (decision.body, decision.date) == ("Teknisk Udvalg", "2025-10-01")
    assert item(meeting, 1).decisions[0].text == "Ingen bemærkninger."
    assert (
        item(meeting, 2)
        .decisions[0]
        .text.startswith("Et flertal i udvalget kunne tiltræde indstillingen")
    )
    assert "Solveig Munk kunne ikke tiltræde indstillingen." in item(meeting, 2).decisions[0].text
    assert item(meeting, 6).decisions[0].text == "Sagen blev udsat uden behandling."
    # "Sagsforløb" rows ("Punktnummer: 12") are history, not items or body text.
    history = {s.name: s.text for s in item(meeting, 2).sections}["Sagsforløb"]
    assert "Udvalg: Magistraten\n\nDato: 02-09-2025\n\nPunktnummer: 12" in history
    resume = {s.name: s.text for s in item(meeting, 2).sections}["Resume"]
    assert resume.startswith("Der er indkommet i alt 1149 høringssvar")


# --- demo minutes written for the fictional municipality --------------------------------------


def test_demo_structured_minutes_parse() -> None:
    structured = [
        path
        for path in sorted(DEMO.rglob("*"))
        if path.suffix.lower() in {".json", ".xml", ".html", ".htm"}
    ]
    if not structured:
        pytest.skip("no structured demo minutes yet")
    for path in structured:
        meeting = parse_document(path.read_bytes(), str(path))
        assert meeting.items, path
