"""A deterministic, model-free reader: the share of the question's content words a passage has.

The fake shipped beside the trained cross-encoder (``rag.reader``), as ``index.hash_embedder``
is beside the real embedder: tests use it to decide ranking, quotes and refusals without
torch, and ``REFERAT_READER=overlap`` tries referat without the model.
"""

from __future__ import annotations

from collections.abc import Sequence

from index.danish import term_set
from rag.evidence import content_terms


class OverlapReader:
    name = "overlap"

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []  # (question, passages scored): what tests check

    def score(self, question: str, passages: Sequence[str]) -> list[float]:
        self.calls.append((question, len(passages)))
        wanted = set(content_terms(question))
        if not wanted:
            return [0.0 for _ in passages]
        return [len(wanted & term_set(p)) / len(wanted) for p in passages]
