"""Where a meeting was held and who took part come from the meeting's own record."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.engine import Engine
from rag.query import meeting_detail
from tests.minutes_factory import FakeItem, FakeMeeting, engine_for

PEOPLE = ("Anna Holm", "Bo Lind", "Carl Ravn (sekretær)")


@pytest.mark.parametrize(
    ("question", "detail"),
    [
        ("Hvor holdt Social- og Sundhedsudvalget møde i april 2024?", "place"),
        ("Hvor blev direktionens møde afholdt den 3. maj?", "place"),
        ("Hvad var mødestedet for byrådets sidste møde?", "place"),
        ("Where was the council meeting held in May 2024?", "place"),
        ("Hvem deltog i direktionens møde den 14. marts 2023?", "people"),
        ("Hvem havde afbud til Økonomiudvalgets møde i maj?", "people"),
        ("Who attended the meeting on 3 May?", "people"),
        # About what a meeting treated, or where something is: not the meeting's record.
        ("Hvor skal den nye svømmehal ligge?", None),
        ("Hvad besluttede Byrådet på mødet den 9. april?", None),
        ("Hvem skal bygge den nye fløj?", None),
    ],
)
def test_questions_about_the_meeting_itself(question: str, detail: str | None) -> None:
    assert meeting_detail(question) == detail


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    meetings = {
        "a.txt": FakeMeeting(
            "03-05-2024",
            "Direktionen",
            (FakeItem(1, "Godkendelse af dagsorden"), FakeItem(2, "Budget 2025")),
            participants=PEOPLE,
        ),
        "b.txt": FakeMeeting("10-06-2024", "Direktionen", (FakeItem(1, "Budget 2025"),)),
    }
    return engine_for(tmp_path, meetings)


def test_who_took_part_lists_the_participants_and_cites_the_meeting(engine: Engine) -> None:
    answer = engine.ask("Hvem deltog i direktionens møde den 3. maj 2024?")
    assert answer.found
    for person in PEOPLE:
        assert person in answer.answer
    [citation] = answer.citations
    assert (citation.meeting_date, citation.item, citation.body) == ("2024-05-03", 1, "Direktionen")
    assert answer.retrieved == (("2024-05-03", 1, "Direktionen"),)


def test_where_names_the_place_and_time(engine: Engine) -> None:
    answer = engine.ask("Hvor holdt direktionen møde i juni 2024?")
    assert answer.found
    assert "Mødelokale A1" in answer.answer and "10-06-2024 kl. 10:00" in answer.answer
    assert "Anna Holm" not in answer.answer


def test_without_a_date_the_question_is_searched_as_usual(engine: Engine) -> None:
    answer = engine.ask("Hvem deltog i møderne om budget 2025?")
    assert "Deltagere:" not in answer.answer


def test_the_citation_quotes_the_minutes_own_words(engine: Engine) -> None:
    [citation] = engine.ask("Hvor holdt direktionen møde den 3. maj 2024?").citations
    assert citation.quote == "Mødelokale A1"
