"""Metric values computed by hand."""

from __future__ import annotations

import math

import pytest

from eval.metrics import contains_all, ndcg_at_k, recall_at_k, reciprocal_rank_at_k


def test_recall_counts_the_share_of_relevant_found() -> None:
    ranked = ["a", "b", "c", "d"]
    assert recall_at_k(ranked, {"c", "z"}, 3) == 0.5
    assert recall_at_k(ranked, {"c", "z"}, 2) == 0.0
    assert recall_at_k(ranked, {"a"}, 1) == 1.0
    with pytest.raises(ValueError):
        recall_at_k(ranked, set(), 3)


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


def test_score_aggregates_by_hand() -> None:
    from eval.questions import Question
    from eval.runner import Outcome, score
    from rag.answer import Answer, Citation

    a = ("2024-01-01", 1)
    b = ("2024-01-01", 2)
    c = ("2024-02-01", 1)
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
