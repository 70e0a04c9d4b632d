"""The vocabulary every parser shares: section names, dates, case numbers, decision headings."""

from __future__ import annotations

import pytest

from index.parsing.common import (
    DecisionHeading,
    find_case_number,
    fold_heading,
    is_case_number_line,
    is_closed_status,
    is_closed_title,
    is_open_status,
    normalise_section_name,
    parse_date,
    parse_decision_heading,
)


@pytest.mark.parametrize(
    ("heading", "name"),
    [
        ("Baggrund", "Baggrund"),
        ("BAGGRUND", "Baggrund"),
        ("Baggrund:", "Baggrund"),
        ("  Indstillinger ", "Indstilling"),
        ("Resumé", "Resume"),
        ("Sagsbeskrivelse", "Sagsfremstilling"),
        ("Supplerende Sagsfremstilling", "Supplerende sagsfremstilling"),
        ("Økonomiske konsekvenser", "Økonomi"),
        ("Bilag", "Bilag"),
        # Kalundborg (FirstAgenda text), Ballerup (eDoc), Syddjurs (Acadre), Aarhus headings.
        ("Resume og sagens baggrund", "Resume"),
        ("Behandling", "Behandling"),
        ("Sammendrag", "Resume"),
        ("Økonomiske konsekvenser og finansiering", "Økonomi"),
        ("Økonomi og organisatoriske konsekvenser", "Økonomi"),
        ("Beslutningspunkter", "Indstilling"),
        ("Sagstype", "Sagstype"),
    ],
)
def test_section_names_are_canonical(heading: str, name: str) -> None:
    assert normalise_section_name(heading) == name


@pytest.mark.parametrize(
    "line", ["Taxhuset", "Solgården", "Forslag til proces", "Bilag 1: Beslutningsforslag", ""]
)
def test_sub_headings_are_not_section_names(line: str) -> None:
    assert normalise_section_name(line) is None


def test_fold_heading() -> None:
    assert fold_heading("  Økonomiske   konsekvenser: ") == "økonomiske konsekvenser"


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("REFERAT Direktionen d. 20-09-2016", "2016-09-20"),
        ("Dato: 04.12.2012", "2012-12-04"),
        ("Mødedato Tirsdag d. 20. september 2016 kl. 13:30", "2016-09-20"),
        ("Direktionens møde den 9. september 2019:", "2019-09-09"),
        ("Torsdag den 20. juni 2013", "2013-06-20"),
        ("2022-01-11T16:00:00", "2022-01-11"),
        ("Dato: 45-02-2019", None),  # not a date
        ("ingen dato her", None),
    ],
)
def test_parse_date(text: str, iso: str | None) -> None:
    assert parse_date(text) == iso


@pytest.mark.parametrize(
    ("text", "case"),
    [
        ("16/5057", "16/5057"),
        ("Sagsnr.: 326-2019-6577 J.nr.: 00.32.00 Dokumentnr.: 326-2019-256150", "326-2019-6577"),
        ("Sagsnr.:\t12/27845", "12/27845"),
        ("Sagsnr.: 2011-29298", "2011-29298"),
        ("EMN-2025-003383", "EMN-2025-003383"),
        ("Sag 21-014482 om vejen", "21-014482"),
    ],
)
def test_find_case_number(text: str, case: str) -> None:
    assert find_case_number(text) == case


def test_case_number_lines() -> None:
    assert is_case_number_line(" 17/163 ")
    assert is_case_number_line("EMN-2023-009832")
    assert not is_case_number_line("Side 2 af 7")
    assert not is_case_number_line("17/163 og mere")


@pytest.mark.parametrize(
    ("line", "body", "date"),
    [
        ("Beslutning Direktionen den 20-09-2016", "Direktionen", "2016-09-20"),
        ("BESLUTNING DIREKTIONEN DEN 10-03-2015", "Direktionen", "2015-03-10"),
        ("Direktionens møde den 9. september 2019:", "Direktionen", "2019-09-09"),
        (
            "Sundheds- og Forebyggelsesudvalgets beslutning den 04.12.2012 Punkt 1",
            "Sundheds- og Forebyggelsesudvalget",
            "2012-12-04",
        ),
        (
            "Beslutning i Udvalget for plan, udvikling og kultur (PUK) den 10-04-2013",
            "Udvalget for plan, udvikling og kultur (PUK)",
            "2013-04-10",
        ),
        ("Beslutninger", None, None),
        ("Beslutning:", None, None),
    ],
)
def test_decision_headings(line: str, body: str | None, date: str | None) -> None:
    assert parse_decision_heading(line) == DecisionHeading(body=body, date=date)


@pytest.mark.parametrize(
    "line",
    ["Beslutningen om indstillingspunkterne afventer den overordnede ramme.", "Godkendt."],
)
def test_prose_is_not_a_decision_heading(line: str) -> None:
    assert parse_decision_heading(line) is None


def test_closed_and_open_markers() -> None:
    for title in ("Lukket", "Lukket: Personalesag", "Lukket punkt", "LUKKET - Køb af jord"):
        assert is_closed_title(title), title
    for title in ("Lukkedage i dagtilbud 2025", "Lukket vej ved skolen", "Budget"):
        assert not is_closed_title(title), title
    assert is_closed_status("Lukket") and is_closed_status("Lukket punkt")
    assert not is_closed_status("Lukkedage")
    assert is_open_status("Åbent") and is_open_status("Åben sag")
    assert not is_open_status("Åbent referat")


def test_impossible_dates_are_not_dates() -> None:
    from index.parsing.common import parse_date

    assert parse_date("Mødedato 31-02-2019") is None
    # A valid date later on the line is still found.
    assert parse_date("flyttet fra 31-02-2019 til 01-03-2019") == "2019-03-01"
