"""Run question sets through the engine and score them: recall@1/3/5 and MRR@10 at item level,
answer-contains accuracy, refusal accuracy and closed-item leaks."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

from eval.metrics import capped_recall_at_k, contains_all, recall_at_k, reciprocal_rank_at_k
from eval.questions import Question, matches
from rag.answer import Answer

# A ranked agenda item: (meeting date, item number) or (meeting date, item number, body).
Ranked = tuple[str, int] | tuple[str, int, str]
Ranker = Callable[[Question], Sequence[Ranked]]


@dataclass(frozen=True)
class Outcome:
    question: Question
    ranked: tuple[Ranked, ...]
    answer: Answer | None = None  # baselines rank only; they do not answer


@dataclass
class Scores:
    questions: int = 0
    ranked_questions: int = 0
    recall_at: dict[int, float] = field(default_factory=dict)
    # The same with min(k, expected items) as denominator: 1 for any perfect ranking.
    capped_recall_at: dict[int, float] = field(default_factory=dict)
    # Share of questions with at least one expected item in the first k (accuracy@k).
    hit_at: dict[int, float] = field(default_factory=dict)
    mrr_at_10: float = 0.0
    answer_contains: float | None = None
    refusal: float | None = None  # share of no-answer questions refused
    false_refusals: int = 0  # answerable questions refused
    closed_leaks: int = 0
    misses: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "questions": self.questions,
            "recall@1": self.recall_at.get(1),
            "recall@3": self.recall_at.get(3),
            "recall@5": self.recall_at.get(5),
            "recall@3 capped": self.capped_recall_at.get(3),
            "hit@1": self.hit_at.get(1),
            "hit@3": self.hit_at.get(3),
            "mrr@10": self.mrr_at_10,
            "answer_contains": self.answer_contains,
            "refusal": self.refusal,
            "false_refusals": self.false_refusals,
            "closed_leaks": self.closed_leaks,
        }


def leaks(answer: Answer, markers: Sequence[str]) -> bool:
    """A quote of a closed item, or a known closed-item marker anywhere in what is shown."""
    if any(c.closed and c.quote for c in answer.citations):
        return True
    shown = answer.answer + " ".join(
        c.quote or "" for c in (*answer.citations, *answer.suggestions)
    )
    return any(marker in shown for marker in markers)


def keyed(outcome: Outcome) -> list[Hashable]:
    """The ranking with every entry that is an expected item replaced by that expectation's
    position, so the metrics compare like with like (``relevant`` is then ``range(n)``)."""
    expect = outcome.question.expect
    out: list[Hashable] = []
    for entry in outcome.ranked:
        position = next((i for i, e in enumerate(expect) if matches(entry, e)), None)
        out.append(entry if position is None else position)
    return out


def score(outcomes: Sequence[Outcome], markers: Sequence[str] = ()) -> Scores:
    scores = Scores(questions=len(outcomes))
    ranked = [
        (o, keyed(o), set(range(len(o.question.expect)))) for o in outcomes if o.question.expect
    ]
    scores.ranked_questions = len(ranked)
    n = len(ranked) or 1
    for k in (1, 3, 5):
        scores.recall_at[k] = sum(recall_at_k(keys, rel, k) for _, keys, rel in ranked) / n
        scores.capped_recall_at[k] = (
            sum(capped_recall_at_k(keys, rel, k) for _, keys, rel in ranked) / n
        )
    for k in (1, 3):
        scores.hit_at[k] = sum(bool(set(keys[:k]) & rel) for _, keys, rel in ranked) / n
    scores.mrr_at_10 = sum(reciprocal_rank_at_k(keys, rel, 10) for _, keys, rel in ranked) / n
    for o, keys, rel in ranked:
        if capped_recall_at_k(keys, rel, 3) < 1.0:
            scores.misses.append(f"{o.question.id}: not in top 3 ({o.question.question})")
    answered = [o for o in outcomes if o.answer is not None]
    if not answered:
        return scores
    with_needles = [o for o in answered if o.question.answer_contains]
    if with_needles:
        good = 0
        for o in with_needles:
            assert o.answer is not None
            if contains_all(o.answer.answer, o.question.answer_contains):
                good += 1
            else:
                scores.misses.append(
                    f"{o.question.id}: answer lacks {list(o.question.answer_contains)}"
                )
        scores.answer_contains = good / len(with_needles)
    unanswerable = [o for o in answered if not o.question.answerable]
    if unanswerable:
        refused = [o for o in unanswerable if o.answer is not None and not o.answer.found]
        scores.refusal = len(refused) / len(unanswerable)
        scores.misses += [
            f"{o.question.id}: answered a question the minutes do not answer"
            for o in unanswerable
            if o not in refused
        ]
    for o in answered:
        assert o.answer is not None
        if o.question.answerable and not o.answer.found:
            scores.false_refusals += 1
            scores.misses.append(f"{o.question.id}: refused an answerable question")
        if leaks(o.answer, markers):
            scores.closed_leaks += 1
            scores.misses.append(f"{o.question.id}: CLOSED-ITEM LEAK")
    return scores


def run_engine(ask: Callable[[str], Answer], questions: Sequence[Question]) -> list[Outcome]:
    return [Outcome(q, answer.retrieved, answer) for q in questions for answer in [ask(q.question)]]


def run_ranker(ranker: Ranker, questions: Sequence[Question]) -> list[Outcome]:
    return [Outcome(q, tuple(ranker(q))) for q in questions]
