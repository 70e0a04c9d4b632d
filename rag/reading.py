"""Reading: the reader (``rag.reader``) re-ranks what retrieval found and says whether it answers.

Retrieval hands over more items than an answer cites (``ReadingConfig.candidates``); the
reader scores each item's best passages against the question, and the items are ordered by
the reader's log-odds less a prior for retrieval's rank (the reader alone ranks worse than
retrieval; together they rank as well and read the question as asked). An item's reader
score is also what "not found" looks at: an item the reader gives less than
``ReadingConfig.min_answer`` does not answer, whatever words it shares with the question (a
veto off by default since round 6: so far it refused answerable questions, not unanswerable ones).
The weights were chosen on the tuning part of the eval files with
``python -m eval.calibrate_reader``, the threshold (0) on the tuning split (see eval/README.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from index.chunking import TITLE_SECTION
from rag.reader import Reader, log_odds, passage_text
from rag.retriever import ItemHit, Retrieval


@dataclass(frozen=True)
class ReadingConfig:
    candidates: int = 20  # items retrieval hands the reader
    passages_per_item: int = 3  # of each item's best passages, how many the reader reads
    rank_weight: float = 4.0  # the prior for retrieval's rank, per unit of log(1 + rank)
    # An item that scores less does not answer the question. 0 (no veto): on the tuning split
    # (eval/README.md, "Round 6") 0.05 refused no no-answer question and 3-4 answerable ones.
    min_answer: float = 0.0


def item_passages(hit: ItemHit, count: int) -> list[str]:
    """What the reader reads of an item: its best passages, with title and section. A closed
    item has only its title."""
    record = hit.record
    out = []
    for passage in hit.passages[:count]:
        chunk = passage.chunk
        if chunk.section == TITLE_SECTION:
            out.append(passage_text(record.title, None, ""))
        else:
            out.append(passage_text(record.title, chunk.section, chunk.text))
    return out or [passage_text(record.title, None, "")]


def read(
    reader: Reader, question: str, retrieval: Retrieval, config: ReadingConfig, k: int
) -> Retrieval:
    """``retrieval`` with its hits ordered by the reader's log-odds less the rank prior (each
    hit keeps the reader's probability in ``ItemHit.reader``), the first ``k`` kept. Equal
    scores keep retrieval's order."""
    hits = list(retrieval.hits)
    if not hits:
        return retrieval
    passages: list[str] = []
    owners: list[int] = []
    for n, hit in enumerate(hits):
        for text in item_passages(hit, config.passages_per_item):
            passages.append(text)
            owners.append(n)
    scores = reader.score(question, passages)
    best = [0.0] * len(hits)
    for owner, value in zip(owners, scores, strict=True):
        best[owner] = max(best[owner], value)

    def combined(n: int) -> float:
        return log_odds(best[n]) - config.rank_weight * math.log1p(n)

    ranked = sorted(range(len(hits)), key=lambda n: (-combined(n), n))
    read_hits = tuple(replace(hits[n], reader=best[n]) for n in ranked[:k])
    return replace(retrieval, hits=read_hits)


def answers(hit: ItemHit, config: ReadingConfig) -> bool:
    """Whether the reader found that this item answers the question. A closed item it cannot
    judge (it reads only the title): that is left to the rules, which cite it without its text."""
    if hit.record.item.closed:
        return True
    return hit.reader is not None and hit.reader >= config.min_answer
