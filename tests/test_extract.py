"""PDF and Word minutes: real documents from ../shared/corpus and the demo, checked by hand."""

from __future__ import annotations

import dataclasses
import io
import warnings
from pathlib import Path

import pytest

from index.models import Meeting
from index.parsing import ParseError, parse_document, parse_file
from index.parsing.extract import docx_text, parse_docx, parse_pdf, pdf_text
from index.parsing.text_layout import parse_text
from tests.test_text_layout import (
    DEMO,
    SHARED,
    assert_closed_text_absent,
    assert_no_words_lost,
    by_number,
)

CORPUS = SHARED / "corpus"
AARHUS = CORPUS / "aarhus" / "aarhus_byraad_2025-08-27.pdf"
BALLERUP = CORPUS / "ballerup" / "ballerup_sundheds-og-forebyggelsesudvalget_2012-12-04_referat.pdf"
SCANNED = CORPUS / "ballerup" / "bilag_scannet_uden_tekstlag.pdf"
SYDDJURS = CORPUS / "syddjurs" / "syddjurs_puk_2013-06-20_referat"
DEMO_PDF = DEMO / "fjordby" / "teknik-og-miljoeudvalget_2025-09-02.pdf"
DEMO_DOCX = DEMO / "fjordby" / "beskaeftigelses-og-integrationsudvalget_2025-05-20.docx"


def require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not present (../shared beside the repository?)")
    return path


def line_start_before(text: str, marker: str) -> int:
    """Where the line before the first ``marker`` line begins: an item heading above "Sagsnr."."""
    at = text.index(marker)
    return text.rindex("\n", 0, text.rindex("\n", 0, at)) + 1


def without_first_lines(text: str, count: int, skip_first_page: bool = False) -> str:
    """Drop a fixed running header (``count`` lines) from every page of extracted text."""
    pages = text.split("\f")
    return "\f".join(
        page if (skip_first_page and number == 0) else "\n".join(page.split("\n")[count:])
        for number, page in enumerate(pages)
    )


# ---------------------------------------------------------------------------------------------
# Aarhus Byråd 27-08-2025: FirstAgenda PDF export


@pytest.fixture(scope="module")
def aarhus() -> tuple[str, Meeting]:
    text = pdf_text(require(AARHUS).read_bytes())
    return text, parse_text(text, str(AARHUS))


def test_aarhus_meeting(aarhus: tuple[str, Meeting]) -> None:
    _, meeting = aarhus
    assert (meeting.body, meeting.municipality, meeting.meeting_date) == (
        "Byrådet",
        "Aarhus",
        "2025-08-27",
    )
    assert (meeting.start_time, meeting.location) == ("16:00", "Byrådssalen")
    assert [item.number for item in meeting.items] == list(range(1, 22))


def test_aarhus_items(aarhus: tuple[str, Meeting]) -> None:
    _, meeting = aarhus
    items = by_number(meeting)
    assert items[1].title == "Godkendelse af dagsorden"
    assert items[1].case_number == "EMN-2023-009832"
    assert items[1].decisions[0].text == "Godkendt."
    # Wrapped in the heading, whole in the table of contents.
    assert items[2].title == (
        "Svar på forslag fra DD om principbeslutning om at sikre Havnens Perles fremtid på Aarhus Ø"
    )
    assert items[7].title == (
        "Afrapportering på klimaregnskab samt orientering om ny 2030-fremskrivning"
    )
    # The TOC entry is truncated ("med ti"); the heading's second line completes it.
    assert items[10].title.startswith(
        "Lokalplan 1221 (tillæg 2 til lokalplan 411) – Erhvervsområde ved Kattrup, "
        "Hasselager-Kolt, med tillæg 1"
    )
    assert items[2].case_number == "EMN-2025-003383"


def test_aarhus_decisions_include_the_case_history(aarhus: tuple[str, Meeting]) -> None:
    _, meeting = aarhus
    item = by_number(meeting)[2]
    first, *history = item.decisions
    # "Beslutninger" names neither body nor date: they are the meeting's.
    assert (first.body, first.date) == ("Byrådet", "2025-08-27")
    assert first.text.startswith("Fremsendes til Teknisk Udvalg")
    assert [(d.body, d.date) for d in history] == [
        ("Aarhus Byråd", "2025-03-26"),
        ("Aarhus Byråd", "2025-04-09"),
        ("Magistraten", "2025-08-19"),
    ]
    assert history[0].text == "Sagens behandling blev udsat i byrådets møde den 26. marts 2025."
    assert "Socialdemokratiet tog forbehold." in history[2].text
    everything = repr(dataclasses.asdict(meeting))
    assert "Punktnummer" not in everything
    # The proposal text under the decision is a section, not part of the decision.
    assert "BESLUTNINGSFORSLAG" not in first.text
    names = [s.name for s in item.sections]
    assert names == ["Sagsfremstilling", "Baggrund", "Resume", "Indstilling", "Bilag"]
    bilag = item.sections[-1].text
    assert bilag.startswith("Indstilling\nBilag 1: Beslutningsforslag")


def test_aarhus_closed_last_item(aarhus: tuple[str, Meeting]) -> None:
    _, meeting = aarhus
    last = meeting.items[-1]
    assert (last.number, last.title, last.closed) == (21, "Lukket: Køb af landbrugsejendom", True)
    assert (last.case_number, last.sections, last.decisions) == (None, (), ())
    assert_closed_text_absent(meeting, ["EMN-2025-007940"])


def test_aarhus_no_words_lost(aarhus: tuple[str, Meeting]) -> None:
    text, meeting = aarhus
    assert_no_words_lost(text, meeting)


# ---------------------------------------------------------------------------------------------
# Ballerup Sundheds- og Forebyggelsesudvalget 04-12-2012: eDoc PDF


@pytest.fixture(scope="module")
def ballerup() -> tuple[str, Meeting]:
    text = pdf_text(require(BALLERUP).read_bytes())
    return text, parse_text(text, str(BALLERUP))


def test_ballerup_meeting(ballerup: tuple[str, Meeting]) -> None:
    _, meeting = ballerup
    assert meeting.body == "Sundheds- og Forebyggelsesudvalget"
    assert (meeting.meeting_date, meeting.start_time) == ("2012-12-04", "13:00")
    assert meeting.location == "Mødecenter C, Lokale 32 på Ballerup Rådhus"
    assert meeting.municipality == "Ballerup"
    assert meeting.participants[0] == "Lolan Ottesen (A) - formand"
    assert len(meeting.participants) == 7


def test_ballerup_items(ballerup: tuple[str, Meeting]) -> None:
    _, meeting = ballerup
    items = by_number(meeting)
    assert list(items) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert items[1].title == "Meddelelser" and items[1].case_number == "2011-29298"
    # Wrapped in the heading and, differently, in the table of contents.
    assert items[6].title == (
        "Prioritering af midler til kronisk syge borgere og hverdagsrehabilitering for ældre"
    )
    assert items[8].case_number == "2010-3082"
    for item in meeting.items:
        (decision,) = item.decisions
        assert (decision.body, decision.date) == (
            "Sundheds- og Forebyggelsesudvalget",
            "2012-12-04",
        )
    assert "Gruppen af unge i Ballerup Kommune" in items[7].decisions[0].text
    assert items[3].decisions[0].text.startswith("Indstilles til godkendelse")
    assert [s.name for s in items[2].sections][:4] == [
        "Sagsfremstilling",
        "Resume",
        "Baggrund",
        "Økonomi",
    ]


def test_ballerup_page_headers_and_toc_are_gone(ballerup: tuple[str, Meeting]) -> None:
    _, meeting = ballerup
    for item in meeting.items:
        texts = [s.text for s in item.sections] + [d.text for d in item.decisions]
        for text in texts:
            assert "Åbent referat" not in text
            assert "Dato: 04.12.2012" not in text
            assert "Side " not in text
    # "Dok.nr." beside "Sagsnr." is kept as text.
    assert by_number(meeting)[1].sections[0].text.startswith("Dok.nr.: 2012-202935")


def test_ballerup_no_words_lost(ballerup: tuple[str, Meeting]) -> None:
    text, meeting = ballerup
    # Every page starts with the same 5-line header; cut it independently of the parser.
    body = without_first_lines(text, 5)
    assert_no_words_lost(
        body, meeting, heading=r"^{n}\. ", first_item_at=line_start_before(body, "Sagsnr")
    )


# ---------------------------------------------------------------------------------------------
# Syddjurs PUK 20-06-2013: the damaged Acadre PDF and the Word original


@pytest.fixture(scope="module", params=["pdf", "docx"])
def syddjurs(request: pytest.FixtureRequest) -> tuple[str, str, Meeting]:
    path = require(SYDDJURS.with_suffix(f".{request.param}"))
    data = path.read_bytes()
    text = pdf_text(data) if request.param == "pdf" else docx_text(data)
    return request.param, text, parse_text(text, str(path))


def test_syddjurs_one_item_three_decision_dates(syddjurs: tuple[str, str, Meeting]) -> None:
    _, _, meeting = syddjurs
    assert meeting.body == "Udvalget for plan, udvikling og kultur (PUK)"
    assert (meeting.meeting_date, meeting.start_time) == ("2013-06-20", "10:30")
    assert meeting.location == "Kaløvig Kursuscenter, Præstekravevej 46, Følle Strand, 8410 Rønde"
    assert meeting.municipality == "Syddjurs"
    assert meeting.participants[0] == "Jesper Mathiesen (A)"
    (item,) = meeting.items
    assert (item.number, item.title, item.case_number) == (
        715,
        "Kulturkommune 2017. Politiske fokusområder",
        "12/27845",
    )
    assert [(d.body, d.date) for d in item.decisions] == [
        ("Udvalget for plan, udvikling og kultur (PUK)", "2013-04-10"),
        ("Udvalget for plan, udvikling og kultur (PUK)", "2013-04-24"),
        ("Udvalget for plan, udvikling og kultur (PUK)", "2013-06-20"),
    ]
    assert "ekstraordinært møde d. 24. april 2013" in item.decisions[0].text
    # The first decision continues across the page break.
    assert "eksperimenter/træningsbanen" in item.decisions[0].text
    assert item.decisions[2].text.startswith("Punktet blev drøftet.")
    names = [s.name for s in item.sections]
    assert {"Resume", "Indstilling", "Supplerende sagsfremstilling", "Bilag"} <= set(names)
    # The signature page after the last item belongs to no item.
    assert "Underskriftsside" not in repr(dataclasses.asdict(meeting))


def test_syddjurs_no_words_lost(syddjurs: tuple[str, str, Meeting]) -> None:
    kind, text, meeting = syddjurs
    if kind == "pdf":
        text = without_first_lines(text, 3, skip_first_page=True)
    assert_no_words_lost(
        text,
        meeting,
        heading=r"^{n}\.\s",
        first_item_at=line_start_before(text, "Sagsnr"),
        trailer="Underskriftsside",
    )


def test_damaged_pdf_parses_silently(capfd: pytest.CaptureFixture[str]) -> None:
    data = require(SYDDJURS.with_suffix(".pdf")).read_bytes()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        meeting = parse_pdf(data, "syddjurs.pdf")
    assert meeting.items and not caught
    out, err = capfd.readouterr()
    assert out == "" and err == ""


# ---------------------------------------------------------------------------------------------
# Files that cannot be read give a reason, never an empty success


def test_scanned_pdf_needs_ocr() -> None:
    with pytest.raises(ParseError, match=r"no text layer.*scanned.*OCR"):
        parse_pdf(require(SCANNED).read_bytes(), str(SCANNED))
    skipped = parse_file(SCANNED)
    assert "OCR" in getattr(skipped, "reason", "")


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.4\n garbage", b"not a pdf at all", b"%PDF-1.7\n" + bytes(range(256)) * 10],
)
def test_broken_pdf_bytes_are_refused_with_a_reason(data: bytes) -> None:
    with pytest.raises(ParseError, match="PDF"):
        parse_pdf(data, "broken.pdf")


def test_truncated_pdf_is_refused_with_a_reason() -> None:
    data = require(DEMO_PDF).read_bytes()
    with pytest.raises(ParseError, match="damaged"):
        parse_pdf(data[: len(data) // 3], "truncated.pdf")


def test_encrypted_pdf_is_refused_with_a_reason() -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt(user_password="hemmelig", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(ParseError, match="password"):
        parse_pdf(buffer.getvalue(), "locked.pdf")


@pytest.mark.parametrize("data", [b"PK\x03\x04 broken", b"{\\rtf1 old word}", b""])
def test_broken_docx_is_refused_with_a_reason(data: bytes) -> None:
    with pytest.raises(ParseError, match="Word file"):
        parse_docx(data, "broken.docx")


def test_docx_without_text_is_refused() -> None:
    import docx

    buffer = io.BytesIO()
    docx.Document().save(buffer)
    with pytest.raises(ParseError, match="no text"):
        parse_docx(buffer.getvalue(), "empty.docx")


def test_docx_reads_tables_in_body_order() -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Referat")
    document.add_paragraph("Økonomiudvalget")
    document.add_paragraph("Tirsdag den 5. marts 2024")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "3. Budget 2025"
    table.cell(0, 1).text = ""
    table.cell(1, 0).text = "Sagsnr.:"
    table.cell(1, 1).text = "24/100"
    document.add_paragraph("Baggrund")
    document.add_paragraph("Budgettet er i balance.")
    document.add_paragraph("Beslutning i Økonomiudvalget den 05-03-2024")
    document.add_paragraph("Godkendt.")
    buffer = io.BytesIO()
    document.save(buffer)
    meeting = parse_docx(buffer.getvalue(), "mini.docx")
    (item,) = meeting.items
    assert (meeting.body, meeting.meeting_date) == ("Økonomiudvalget", "2024-03-05")
    assert (item.number, item.title, item.case_number) == (3, "Budget 2025", "24/100")
    assert item.sections[0].text == "Budgettet er i balance."
    assert item.decisions[0].text == "Godkendt."


# ---------------------------------------------------------------------------------------------
# Demo minutes (always present in the repository)


def test_demo_pdf() -> None:
    data = require(DEMO_PDF).read_bytes()
    text = pdf_text(data)
    meeting = parse_document(data, str(DEMO_PDF))
    assert (meeting.body, meeting.meeting_date) == ("Teknik- og Miljøudvalget", "2025-09-02")
    items = by_number(meeting)
    assert items[8].closed and items[8].title == (
        "Lukket: Erstatningskrav fra entreprenør - cykelsti langs Strandvejen"
    )
    assert items[2].case_number == "23-006230"
    assert items[2].decisions[0].text.startswith("Godkendt. Ordningen med nedgravede containere")
    assert_no_words_lost(text, meeting)


def test_demo_docx() -> None:
    data = require(DEMO_DOCX).read_bytes()
    text = docx_text(data)
    meeting = parse_document(data, str(DEMO_DOCX))
    assert (meeting.body, meeting.meeting_date, meeting.start_time) == (
        "Beskæftigelses- og Integrationsudvalget",
        "2025-05-20",
        "16:00",
    )
    # "Medlemmer" minus "Fraværende".
    assert "Niels Ravn (V)" not in meeting.participants
    assert meeting.participants[0] == "Nadia Hussein (A), formand"
    items = by_number(meeting)
    assert [(d.date, d.text.split(".")[0]) for d in items[4].decisions] == [
        ("2025-04-22", "Udsat"),
        (
            "2025-05-20",
            "Godkendt, at danskuddannelsen udbydes med krav om, at der fortsat "
            "undervises i Lyngvig to dage om ugen",
        ),
    ]
    assert items[7].closed and items[7].title.startswith("Lukket: Klagesag")
    assert_no_words_lost(
        text,
        meeting,
        heading=r"^{n}\.\s",
        first_item_at=line_start_before(text, "Sagsnr"),
        trailer="Underskriftsside",
    )


def _closed_markers() -> list[tuple[str, str]]:
    listing = DEMO / "CLOSED_MARKERS.txt"
    if not listing.exists():
        return []
    rows = [line.split("\t") for line in listing.read_text(encoding="utf-8").splitlines()]
    return [
        (row[0], row[1])
        for row in rows
        if len(row) > 2
        and not row[0].startswith("#")
        and row[1].endswith((".txt", ".pdf", ".docx"))
    ]


@pytest.mark.parametrize(("marker", "name"), _closed_markers())
def test_demo_closed_markers_never_reach_the_output(marker: str, name: str) -> None:
    path = require(DEMO / "fjordby" / name)
    meeting = parse_document(path.read_bytes(), str(path))
    assert any(item.closed for item in meeting.items)
    assert_closed_text_absent(meeting, [marker])
