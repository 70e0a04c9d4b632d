"""A fact question quotes the case's sentence that answers it, then the decision in full, even
when the decision is the passage retrieval ranks highest."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rag.query import parse_query
from tests.minutes_factory import FakeItem, FakeMeeting, engine_for

QUESTION = "Hvor meget koster det, når Byrådet udvider Solgården med 24 pladser?"
COST = "Udvidelsen koster 18,5 mio. kr. og står færdig i 2026."
# The decision repeats nearly every word of the question; the case sentence holds the answer.
DECISION = "Byrådet godkendte, at Solgården udvides med 24 pladser, som det koster."


def test_a_fact_question_quotes_the_case_then_the_decision(tmp_path: Path) -> None:
    assert parse_query(QUESTION, date(2024, 6, 1), ()).kind == "fact"
    item = FakeItem(
        1,
        "Plejecentret Solgården",
        "24/1",
        (("Sagsfremstilling", f"Plejecentret har i dag 60 pladser. {COST}"),),
        DECISION,
    )
    engine = engine_for(tmp_path, {"b.txt": FakeMeeting("09-04-2024", "Byrådet", (item,))})
    answer = engine.ask(QUESTION)
    first, second = answer.citations[:2]
    assert first.section == "Sagsfremstilling" and first.quote is not None
    assert COST in first.quote
    assert (second.section, second.quote) == ("Beslutning", DECISION)
    assert answer.answer.index("18,5 mio. kr.") < answer.answer.index(DECISION)


RECOMMENDATION = "Magistraten indstiller, at byrådet godkender indstilling af 7. marts 2024."


def test_a_fact_question_also_quotes_the_earlier_decision_the_item_repeats(
    tmp_path: Path,
) -> None:
    # Aarhus' Byråd items repeat the Magistrat's recommendation as a decision of its own;
    # "Hvilken indstilling anbefalede Magistraten?" is read as a fact question.
    question = "Hvilken indstilling om Kongeruten indstiller Magistraten?"
    assert parse_query(question, date(2024, 6, 1), ()).kind == "fact"
    item = FakeItem(
        2,
        "Anlægsbevilling til Kongeruten",
        "24/7",
        (
            ("Sagsfremstilling", "Kongeruten bliver en sti gennem Kongelunden."),
            ("Beslutning Magistraten den 01-04-2024", RECOMMENDATION),
        ),
        "Vedtaget.",
    )
    engine = engine_for(tmp_path, {"b.txt": FakeMeeting("09-04-2024", "Byrådet", (item,))})
    answer = engine.ask(question)
    decisions = [c for c in answer.citations if c.section == "Beslutning"]
    assert [c.quote for c in decisions] == ["Vedtaget.", RECOMMENDATION]
    assert "Magistraten besluttede den 01-04-2024" in answer.answer
