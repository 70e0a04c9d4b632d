"""The coverage measure behind "not found" (rag.evidence), on hand-made texts."""

from __future__ import annotations

from rag.evidence import coverage, match_weight, proper_terms


def _idf(term: str) -> float | None:
    return 1.0


def test_names_are_the_capitalised_words_after_the_first() -> None:
    assert proper_terms("Hvad besluttede Byrådet om en ny svømmehal i Lyngvig?") == {
        "byråd",
        "lyngv",
    }


def test_a_place_alone_does_not_cover_the_topic() -> None:
    question = "Hvad koster en ny svømmehal i Lyngvig?"
    item = ["Vandværket i Lyngvig får nye rør."]
    assert coverage(question, item, _idf, 1.0) == 0.5
    assert coverage(question, item, _idf, 1.0, topic_only=True) == 0.0


def test_a_weak_verbs_past_tense_matches_its_other_forms() -> None:
    assert match_weight("stemt", {"stem"}) == 0.8  # stemte / stemme
    assert match_weight("stem", {"stemt"}) == 0.8  # stemme / stemte
    assert match_weight("kat", {"kast"}) == 0.0
