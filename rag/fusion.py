"""Combining rankings: reciprocal rank fusion, and grouping chunk hits by agenda item. Pure."""

from __future__ import annotations

from collections.abc import Callable, Sequence


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], k: int = 60, weights: Sequence[float] | None = None
) -> list[tuple[str, float]]:
    """Fuse rankings (ids, best first): score(d) = sum of weight / (k + rank), ranks from 1.

    An id repeated within one ranking counts at its best rank only. Ties keep the order in
    which the ids were first met (ranking by ranking), so the result is deterministic.

    >>> [(d, round(s, 5)) for d, s in reciprocal_rank_fusion([["a", "b"], ["b"]], k=60)]
    [('b', 0.03252), ('a', 0.01639)]
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, not {k}")
    if weights is None:
        weights = [1.0] * len(rankings)
    elif len(weights) != len(rankings):
        raise ValueError(f"{len(weights)} weights for {len(rankings)} rankings")

    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        seen: set[str] = set()
        for rank, item in enumerate(ranking, start=1):
            if item in seen:
                continue
            seen.add(item)
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda kv: kv[1], reverse=True)


def group_by(
    hits: Sequence[tuple[str, float]], key: Callable[[str], str], per_group: int
) -> list[tuple[str, list[tuple[str, float]]]]:
    """Group (id, score) hits by ``key(id)`` (e.g. chunk → agenda item).

    Groups are ordered by their best member's score; each keeps its ``per_group`` best members,
    best first. Ties keep input order.
    """
    if per_group < 1:
        raise ValueError(f"per_group must be >= 1, not {per_group}")
    groups: dict[str, list[tuple[str, float]]] = {}
    for hit in hits:
        groups.setdefault(key(hit[0]), []).append(hit)
    ordered: list[tuple[str, list[tuple[str, float]]]] = []
    for group, members in groups.items():
        members.sort(key=lambda hit: hit[1], reverse=True)
        ordered.append((group, members[:per_group]))
    ordered.sort(key=lambda kv: kv[1][0][1], reverse=True)
    return ordered
