"""Choose the reader's "not found" threshold: ``python -m eval.calibrate_reader DB=FILE ...``.

Each argument is an index folder and the question files asked over it, ``DB=FILE[,FILE...]``.
Every question is retrieved and read once (``rag.reading.read``); its evidence is the best
reader score among the first ``evidence_depth`` items. The threshold is the one that makes
the fewest errors (a no-answer question answered, an answerable one refused) on the tuning
part of the questions only (``eval.questions.held_out`` false), the middle of the best
interval; the held-out part is then reported with it, as are recall@3 before and after the
reader's re-ranking.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from eval.questions import Question, held_out, load_questions, matches


@dataclass(frozen=True)
class Evidence:
    question: Question
    best: float  # the best reader score among the first items
    found_before: bool  # an expected item in retrieval's first three
    found_after: bool  # ... in the reader's first three


def errors(evidence: Sequence[Evidence], threshold: float) -> tuple[int, int]:
    """(no-answer questions answered, answerable questions refused) at ``threshold``."""
    answered = sum(1 for e in evidence if not e.question.answerable and e.best >= threshold)
    refused = sum(1 for e in evidence if e.question.answerable and e.best < threshold)
    return answered, refused


def best_threshold(evidence: Sequence[Evidence]) -> float:
    """The threshold with the fewest errors on ``evidence``: the middle of the widest-scoring
    run of candidate cut points that reach the minimum (cut points lie between scores)."""
    values = sorted({e.best for e in evidence} | {0.0, 1.0})
    cuts = [(a + b) / 2 for a, b in pairwise(values)] or [0.5]
    costs = [sum(errors(evidence, cut)) for cut in cuts]
    low = min(costs)
    best = [cut for cut, cost in zip(cuts, costs, strict=True) if cost == low]
    return best[len(best) // 2]


def _collect(db: Path, files: Sequence[Path], depth: int) -> list[Evidence]:
    from dataclasses import replace

    from index.settings import load_settings
    from rag.engine import Engine
    from rag.reading import read
    from rag.retriever import ItemHit

    engine = Engine.open(load_settings().with_overrides(db_dir=str(db)))
    if engine.reader is None:
        raise SystemExit("REFERAT_READER is off: there is no reader to calibrate")
    reading = replace(engine.reading, min_answer=0.0)
    out = []
    for path in files:
        for question in load_questions(path):
            if question.kind in ("closed", "meta"):
                continue
            found = engine.retriever.search(question.question, None, reading.candidates)
            readout = read(engine.reader, question.question, found, reading, 5)

            def top3(hits: Sequence[ItemHit], q: Question = question) -> bool:
                keys = [(h.record.meeting_date, h.record.number, h.record.body) for h in hits]
                return any(matches(key, e) for key in keys[:3] for e in q.expect)

            best = max((h.reader or 0.0 for h in readout.hits[:depth]), default=0.0)
            out.append(Evidence(question, best, top3(found.hits), top3(readout.hits)))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or any("=" not in a for a in args):
        print(__doc__, file=sys.stderr)
        return 2
    evidence: list[Evidence] = []
    for arg in args:
        db, _, names = arg.partition("=")
        evidence += _collect(Path(db), [Path(n) for n in names.split(",")], depth=3)
    tuning = [e for e in evidence if not held_out(e.question)]
    held = [e for e in evidence if held_out(e.question)]
    threshold = best_threshold(tuning)
    print(f"threshold (fewest errors on {len(tuning)} tuning questions): {threshold:.3f}")
    for name, part in (("tuning", tuning), ("held out", held), ("all", evidence)):
        answered, refused = errors(part, threshold)
        none = sum(1 for e in part if not e.question.answerable)
        expected = [e for e in part if e.question.expect]
        before = sum(e.found_before for e in expected) / max(1, len(expected))
        after = sum(e.found_after for e in expected) / max(1, len(expected))
        print(
            f"{name:9} questions {len(part):4}: none answered {answered}/{none}, answerable "
            f"refused {refused}/{len(part) - none}; hit@3 retrieval {before:.3f} -> reader "
            f"{after:.3f}"
        )
    for e in sorted(evidence, key=lambda e: e.best):
        right = e.question.answerable == (e.best >= threshold)
        missed = e.question.expect and not e.found_after
        marks = ("" if right else "  WRONG") + ("  (not in top 3)" if missed else "")
        kind = "none" if not e.question.answerable else e.question.kind
        print(f"  {e.best:.3f} {kind:8} {e.question.id}{marks}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
