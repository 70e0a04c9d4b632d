from __future__ import annotations

import pytest

from rag.fusion import group_by, reciprocal_rank_fusion


def test_rrf_sums_reciprocal_ranks() -> None:
    fused = dict(reciprocal_rank_fusion([["a", "b", "c"], ["b", "a"]], k=60))
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["c"] == pytest.approx(1 / 63)


def test_rrf_orders_best_first_and_breaks_ties_by_first_appearance() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "a", "d"]], k=60)
    assert [d for d, _ in fused] == ["a", "b", "c", "d"]  # a and b tie; a was met first
    assert fused[2][1] == pytest.approx(1 / 63)
    assert fused[3][1] == pytest.approx(1 / 63)


def test_rrf_weights() -> None:
    fused = dict(reciprocal_rank_fusion([["a"], ["b"]], k=60, weights=[1.0, 2.0]))
    assert fused == pytest.approx({"a": 1 / 61, "b": 2 / 61})
    assert [d for d, _ in reciprocal_rank_fusion([["a"], ["b"]], weights=[1, 2])] == ["b", "a"]


def test_rrf_counts_a_repeated_id_once_per_ranking() -> None:
    fused = dict(reciprocal_rank_fusion([["a", "a", "b"]], k=0))
    assert fused == pytest.approx({"a": 1 / 1, "b": 1 / 3})


def test_rrf_with_k_zero_and_empty_input() -> None:
    assert reciprocal_rank_fusion([["x", "y"]], k=0) == [("x", 1.0), ("y", 0.5)]
    assert reciprocal_rank_fusion([]) == []
    assert reciprocal_rank_fusion([[], []]) == []


def test_rrf_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="weights"):
        reciprocal_rank_fusion([["a"], ["b"]], weights=[1.0])
    with pytest.raises(ValueError, match="k must"):
        reciprocal_rank_fusion([["a"]], k=-1)


HITS = [
    ("item1#0", 0.9),
    ("item2#0", 0.8),
    ("item1#1", 0.7),
    ("item1#2", 0.95),
    ("item3#0", 0.1),
    ("item2#1", 0.85),
]


def _item(chunk_id: str) -> str:
    return chunk_id.partition("#")[0]


def test_group_by_orders_groups_by_best_member() -> None:
    groups = group_by(HITS, _item, per_group=2)
    assert [g for g, _ in groups] == ["item1", "item2", "item3"]
    assert groups[0][1] == [("item1#2", 0.95), ("item1#0", 0.9)]
    assert groups[1][1] == [("item2#1", 0.85), ("item2#0", 0.8)]
    assert groups[2][1] == [("item3#0", 0.1)]


def test_group_by_per_group_one_and_ties() -> None:
    groups = group_by([("b#0", 0.5), ("a#0", 0.5), ("a#1", 0.5)], _item, per_group=1)
    assert groups == [("b", [("b#0", 0.5)]), ("a", [("a#0", 0.5)])]


def test_group_by_empty_and_bad_per_group() -> None:
    assert group_by([], _item, per_group=3) == []
    with pytest.raises(ValueError, match="per_group"):
        group_by(HITS, _item, per_group=0)


def test_fusion_then_grouping() -> None:
    fused = reciprocal_rank_fusion([["i1#0", "i2#0", "i1#1"], ["i2#1", "i1#0"]], k=60)
    groups = group_by(fused, _item, per_group=3)
    assert groups[0][0] == "i1"
    best_id, best_score = groups[0][1][0]
    assert best_id == "i1#0"
    assert best_score == pytest.approx(1 / 61 + 1 / 62)
