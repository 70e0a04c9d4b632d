"""Item-level retrieval metrics, as sentence-transformers' InformationRetrievalEvaluator defines
them: for one query, a ranked list of retrieved ids and the set of relevant ids. Pure."""

from __future__ import annotations

import math
import re
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


# "2.250 kr." and "2250 kr." are one amount: a dot between thousands is left out.
_THOUSANDS = re.compile(r"(?<=\d)\.(?=\d{3}(?!\d))")


def _normalised(text: str) -> str:
    return " ".join(_THOUSANDS.sub("", text.lower()).split())


#: An expected string, or a list of strings of which any one will do.
Needle = str | Sequence[str]


def contains_all(text: str, needles: Sequence[Needle]) -> bool:
    """Answer-contains: every expected string occurs, ignoring case, spacing and the dots
    between thousands. A needle that is a list is met by any one of its strings (one fact
    written two ways: "91 afgivne stemmer" or "91 brevstemmer")."""
    folded = _normalised(text)
    return all(
        any(_normalised(option) in folded for option in ([n] if isinstance(n, str) else n))
        for n in needles
    )
