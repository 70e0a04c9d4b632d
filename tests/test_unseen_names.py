"""A question naming a place or party the archive never mentions is not answered from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.store import SearchFilter
from rag.engine import Engine
from rag.evidence import name_words
from tests.minutes_factory import engine_for, solgaarden_case


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("Hvornår kommer letbanen til Esbjerg?", ["Esbjerg"]),
        ("Hvad besluttede Byrådet om Solgårdens udvidelse?", ["Byrådet", "Solgårdens"]),
        # The first word is capitalised as a sentence, not as a name.
        ("Esbjerg har fået en letbane?", []),
        # Acronyms and product names are often written another way in the minutes.
        ("Hvad må SOSU-elever bruge ChatGPT til?", []),
        ("Hvad koster en ny skøjtehal?", []),
    ],
)
def test_name_words(question: str, names: list[str]) -> None:
    assert name_words(question) == names


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return engine_for(tmp_path, solgaarden_case("HEMMELIGT-N1"))


def test_a_name_the_archive_never_mentions_is_refused_with_the_reason(engine: Engine) -> None:
    answer = engine.ask("Hvad blev der besluttet om udvidelsen af plejecentret i Esbjerg?")
    assert not answer.found
    assert "et navn i spørgsmålet står ikke" in answer.answer
    # Not echoed: only a closed item's text might hold the name (tests/test_closed_e2e.py).
    assert "Esbjerg" not in answer.answer
    # The nearest items are still offered: the plejecenter matter is one of them.
    assert any(s.title == "Solgården udvides" for s in answer.suggestions)


def test_the_same_question_without_the_name_is_answered(engine: Engine) -> None:
    answer = engine.ask("Hvad blev der besluttet om udvidelsen af plejecentret?")
    assert answer.found
    assert answer.citations[0].title == "Solgården udvides"


@pytest.mark.parametrize("name", ["Solgårdens", "Solgaarden", "Hundige"])
def test_names_the_archive_holds_in_any_form_are_answered(engine: Engine, name: str) -> None:
    answer = engine.ask(f"Hvad blev der besluttet om {name}?")
    assert answer.found, answer.answer


def test_a_case_number_is_answered_whatever_names_the_question_holds(engine: Engine) -> None:
    answer = engine.ask("Hvad skete der i sagen om Esbjerg?", SearchFilter(case_number="24/1"))
    assert answer.found
    assert all(c.case_number == "24/1" for c in answer.citations)
