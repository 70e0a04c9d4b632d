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
