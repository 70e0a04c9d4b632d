"""Item-level retrieval metrics, as sentence-transformers' InformationRetrievalEvaluator defines
them: for one query, a ranked list of retrieved ids and the set of relevant ids. Pure."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence, Set


def recall_at_k(ranked: Sequence[Hashable], relevant: Set[Hashable], k: int) -> float:
    """Share of the relevant ids found in the first k."""
    if not relevant:
        raise ValueError("recall is undefined for a query with no relevant items")
    return len(set(ranked[:k]) & relevant) / len(relevant)


def capped_recall_at_k(ranked: Sequence[Hashable], relevant: Set[Hashable], k: int) -> float:
    """Recall with min(k, |relevant|) as the denominator, so a perfect ranking scores 1 even
    when more than k items are relevant (a case that went through four bodies, k = 3)."""
    if not relevant:
        raise ValueError("recall is undefined for a query with no relevant items")
    return len(set(ranked[:k]) & relevant) / min(k, len(relevant))


def reciprocal_rank_at_k(ranked: Sequence[Hashable], relevant: Set[Hashable], k: int) -> float:
    for rank, item in enumerate(ranked[:k], start=1):
        if item in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[Hashable], relevant: Set[Hashable], k: int) -> float:
    """Binary-relevance nDCG: DCG of the ranking over DCG of an ideal one."""
    dcg = sum(
        1.0 / math.log2(rank + 1)
        for rank, item in enumerate(ranked[:k], start=1)
        if item in relevant
    )
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return dcg / ideal if ideal else 0.0


def contains_all(text: str, needles: Sequence[str]) -> bool:
    """Answer-contains: every expected string occurs, ignoring case and spacing differences."""
    folded = " ".join(text.lower().split())
    return all(" ".join(n.lower().split()) in folded for n in needles)
