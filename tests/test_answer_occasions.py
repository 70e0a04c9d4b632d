"""A recurring matter (a council's new member each year, a payout and then a liquidation) is
answered from each of its occasions, not only the best one; one case passing through the
bodies is still quoted once."""

from __future__ import annotations

from pathlib import Path

from tests.minutes_factory import FakeItem, FakeMeeting, engine_for

QUESTION = "Hvem er blevet udpeget som nyt medlem af Bystrategisk Råd?"


def new_member(number: int, title: str, case: str, name: str) -> FakeItem:
    return FakeItem(
        number,
        title,
        case,
        (("Sagsfremstilling", "Et medlem af Bystrategisk Råd har meldt sig ud af rådet."),),
        f"{name} er udpeget som nyt medlem af Bystrategisk Råd.",
    )


def two_occasions(
    second_title: str = "Bystrategisk Råd, nyt medlem - april 2024",
) -> dict[str, FakeMeeting]:
    return {
        "a.txt": FakeMeeting(
            "12-09-2023",
            "Plan- og Tryghedsudvalget",
            (new_member(3, "Bystrategisk Råd, nyt medlem", "22/11", "Karen Holm"),),
        ),
        "b.txt": FakeMeeting(
            "10-06-2024",
            "Plan- og Tryghedsudvalget",
            (new_member(9, second_title, "22/11", "Peter Ejstrup"),),
        ),
    }


def test_each_occasion_of_a_recurring_matter_is_quoted(tmp_path: Path) -> None:
    answer = engine_for(tmp_path, two_occasions()).ask(QUESTION)
    assert answer.found, answer.answer
    assert "Karen Holm" in answer.answer
    assert "Peter Ejstrup" in answer.answer
    assert "Samme emne" in answer.answer
    quoted = {(c.meeting_date, c.item) for c in answer.citations if c.quote}
    assert {("2023-09-12", 3), ("2024-06-10", 9)} <= quoted


def test_a_title_sharing_one_word_is_not_another_occasion(tmp_path: Path) -> None:
    # "Bystrategisk Råd, nyt medlem" and "Rådets årsberetning" share only "råd".
    meetings = two_occasions(second_title="Årsberetning fra rådet")
    answer = engine_for(tmp_path, meetings).ask(QUESTION)
    assert answer.found, answer.answer
    assert "Samme emne" not in answer.answer


def test_another_years_edition_is_not_quoted_when_the_question_names_the_year(
    tmp_path: Path,
) -> None:
    def result(date: str, year: str, surplus: str) -> FakeMeeting:
        return FakeMeeting(
            date,
            "Direktionen",
            (
                FakeItem(
                    2,
                    f"Regnskab {year} - foreløbigt resultat",
                    f"{year}/1",
                    (("Sagsfremstilling", f"Driftsoverskuddet blev {surplus} mio. kr."),),
                    "Taget til efterretning.",
                ),
            ),
        )

    meetings = {
        "a.txt": result("14-03-2023", "2022", "61,2"),
        "b.txt": result("17-03-2025", "2024", "48,9"),
    }
    engine = engine_for(tmp_path, meetings)
    undated = engine.ask("Hvor stort var driftsoverskuddet i regnskabet?")
    assert "61,2" in undated.answer and "48,9" in undated.answer, undated.answer
    answer = engine.ask("Hvor stort var driftsoverskuddet i regnskabet for 2022?")
    assert answer.found, answer.answer
    assert "61,2" in answer.answer
    assert "48,9" not in answer.answer


def test_one_case_through_the_bodies_is_quoted_once(tmp_path: Path) -> None:
    # The committee's item opened the matter; Økonomiudvalget and Byrådet then passed a later
    # case: that case is one occasion, quoted once.
    meetings = {
        "kfu.txt": FakeMeeting(
            "14-08-2024",
            "Kultur- og Fritidsudvalget",
            (
                FakeItem(
                    4,
                    "Lokaletilskud til Greve Golfklub",
                    "24/1",
                    (("Sagsfremstilling", "Lokaletilskuddet til Greve Golfklub er 80.000 kr."),),
                    "Udvalget ønsker en ny sag om lokaletilskuddet til Greve Golfklub.",
                ),
            ),
        ),
        "oeu.txt": FakeMeeting(
            "02-10-2024",
            "Økonomiudvalget",
            (
                FakeItem(
                    5,
                    "Lokaletilskud til Greve Golfklub - ny sag",
                    "24/2",
                    (("Sagsfremstilling", "Tilskuddet hæves til 120.000 kr. om året."),),
                    "Anbefales.",
                ),
            ),
        ),
        "byr.txt": FakeMeeting(
            "09-10-2024",
            "Byrådet",
            (
                FakeItem(
                    6,
                    "Lokaletilskud til Greve Golfklub - ny sag",
                    "24/2",
                    (("Sagsfremstilling", "Økonomiudvalget anbefaler 120.000 kr. om året."),),
                    "Godkendt.",
                ),
            ),
        ),
    }
    answer = engine_for(tmp_path, meetings).ask(
        "Hvor stort er lokaletilskuddet til Greve Golfklub?"
    )
    assert answer.found, answer.answer
    assert answer.answer.count("Samme emne") == 1, answer.answer
    assert "Se også: Byrådet, 09-10-2024, punkt 6" in answer.answer


def test_the_same_case_months_later_is_another_occasion(tmp_path: Path) -> None:
    # Økonomiudvalget gave a mandate in January; Byrådet fixed the loan in March, in the same
    # case: a later round, not the January case passing on to the council.
    def loan(date: str, body: str, number: int, text: str) -> FakeMeeting:
        return FakeMeeting(
            date,
            body,
            (
                FakeItem(
                    number,
                    "Lånoptag 2025 vedrørende regnskab 2024",
                    "25/3",
                    (("Sagsfremstilling", text),),
                    "Godkendt.",
                ),
            ),
        )

    meetings = {
        "jan.txt": loan(
            "20-01-2025", "Økonomiudvalget", 10, "Mandat til lånoptag på 24,2 mio. kr."
        ),
        "mar.txt": loan("19-03-2025", "Byrådet", 17, "Det endelige lånoptag er 31,3 mio. kr."),
    }
    answer = engine_for(tmp_path, meetings).ask("Hvor meget endte lånoptaget på i 2025?")
    assert answer.found, answer.answer
    assert "24,2" in answer.answer and "31,3" in answer.answer, answer.answer
