"""Metric values computed by hand."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from eval.metrics import (
    capped_recall_at_k,
    contains_all,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank_at_k,
)


def test_recall_counts_the_share_of_relevant_found() -> None:
    ranked = ["a", "b", "c", "d"]
    assert recall_at_k(ranked, {"c", "z"}, 3) == 0.5
    assert recall_at_k(ranked, {"c", "z"}, 2) == 0.0
    assert recall_at_k(ranked, {"a"}, 1) == 1.0
    with pytest.raises(ValueError):
        recall_at_k(ranked, set(), 3)


def test_capped_recall_divides_by_at_most_k() -> None:
    ranked = ["a", "b", "c", "d"]
    assert capped_recall_at_k(ranked, {"a", "b", "c", "d"}, 3) == 1.0
    assert recall_at_k(ranked, {"a", "b", "c", "d"}, 3) == 0.75
    assert capped_recall_at_k(ranked, {"c", "z"}, 3) == 0.5


def test_reciprocal_rank_is_one_over_the_first_hit() -> None:
    assert reciprocal_rank_at_k(["a", "b", "c"], {"c", "b"}, 10) == 0.5
    assert reciprocal_rank_at_k(["a", "b", "c"], {"c"}, 2) == 0.0


def test_ndcg_matches_a_hand_computation() -> None:
    # Relevant at ranks 2 and 3, two relevant in all: (1/log2 3 + 1/log2 4) / (1 + 1/log2 3).
    expected = (1 / math.log2(3) + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(["x", "a", "b"], {"a", "b"}, 10) == pytest.approx(expected)
    assert ndcg_at_k(["a", "b"], {"a", "b"}, 10) == pytest.approx(1.0)


def test_contains_all_ignores_case_and_spacing() -> None:
    assert contains_all("Godkendt med 70  borgere.", ["70 borgere", "godkendt"])
    assert not contains_all("Godkendt.", ["70 borgere"])


def test_contains_all_reads_thousands_with_or_without_dots() -> None:
    assert contains_all("en diæt på 2.250 kr. for undervisningen", ["2250 kr."])
    assert contains_all("i alt 2250 kr.", ["2.250 kr."])
    # Decimals and dates keep their dots.
    assert not contains_all("1,916 mio. kr. den 14.06", ["1916"])
    assert not contains_all("kl. 14.30", ["1430"])


def test_a_list_of_needles_is_met_by_any_one() -> None:
    needles = [["91 afgivne stemmer", "91 brevstemmer"], "Langagergaard"]
    assert contains_all("modtagelsen af 91 brevstemmer på Langagergaard", needles)
    assert not contains_all("modtagelsen af 90 brevstemmer på Langagergaard", needles)
    assert not contains_all("91 brevstemmer", needles)


def test_score_aggregates_by_hand() -> None:
    from eval.questions import Expected, Question
    from eval.runner import Outcome, score
    from rag.answer import Answer, Citation

    a = Expected("2024-01-01", 1)
    b = Expected("2024-01-01", 2)
    c = Expected("2024-02-01", 1)
    trail = Question("q1", "?", "decision", (a, b), ("godkendt",))
    single = Question("q2", "?", "fact", (c,), ("42 kr.",))
    nothing = Question("q3", "?", "none", ())
    closed = Citation(
        "2024-01-01", "Byrådet", None, 3, "Lukket", None, None, "f", "x", True, None, "id"
    )
    outcomes = [
        Outcome(trail, (c, a, b), Answer("?", "Godkendt.", True)),
        Outcome(single, (a, b, c), Answer("?", "Det koster 41 kr.", True)),
        Outcome(nothing, (a,), Answer("?", "svar", True, citations=(closed,))),
    ]
    scores = score(outcomes)
    # recall@1: q1 0/2, q2 0/1 -> 0; recall@3: q1 2/2, q2 1/1 -> 1.
    assert scores.recall_at[1] == 0.0
    assert scores.recall_at[3] == 1.0
    assert scores.hit_at[1] == 0.0 and scores.hit_at[3] == 1.0
    # MRR: q1 first hit at rank 2, q2 at rank 3 -> (1/2 + 1/3) / 2.
    assert math.isclose(scores.mrr_at_10, (1 / 2 + 1 / 3) / 2)
    assert scores.answer_contains == 0.5
    assert scores.refusal == 0.0
    assert scores.closed_leaks == 1  # a closed item quoted is a leak


def test_an_expected_body_must_match_when_given() -> None:
    from eval.questions import Expected, Question, same_body
    from eval.runner import Outcome, score

    wanted = Expected("2024-06-26", 2, "Økonomiudvalget")
    q = Question("q", "?", "fact", (wanted,))
    other_body = ("2024-06-26", 2, "Byråd 2022-2025")
    right_body = ("2024-06-26", 2, "ØKONOMIUDVALGET")
    assert score([Outcome(q, (other_body, right_body))]).recall_at[1] == 0.0
    assert score([Outcome(q, (right_body, other_body))]).recall_at[1] == 1.0
    # Without a body in the expectation (the dev_questions format) any body's item counts,
    # and a ranking without bodies is matched on date and item alone.
    plain = Question("p", "?", "fact", (Expected("2024-06-26", 2),))
    assert score([Outcome(plain, (other_body,))]).recall_at[1] == 1.0
    assert score([Outcome(q, (("2024-06-26", 2),))]).recall_at[1] == 1.0
    assert same_body("Økonomiudvalget (ØU)", "Økonomiudvalget")
    assert not same_body("Byrådet", "Økonomiudvalget")


def test_question_files_read_an_optional_body(tmp_path: Path) -> None:
    from eval.questions import Expected, load_questions

    path = tmp_path / "q.jsonl"
    path.write_text(
        '{"id": "a", "question": "?", "expect": [{"meeting_date": "2024-01-01", "item": 3}]}\n'
        '{"id": "b", "question": "?", "expect": [{"meeting_date": "2024-01-01", "item": 3, '
        '"body": "Byrådet"}]}\n',
        encoding="utf-8",
    )
    a, b = load_questions(path)
    assert a.expect == (Expected("2024-01-01", 3, None),)
    assert b.expect == (Expected("2024-01-01", 3, "Byrådet"),)
