"""Train the reader: ``python -m eval.train_reader`` (or ``referat reader train``).

Pairs are mined from the minutes given (``eval.reader_pairs``; by default Greve 2022-2023 from
``../shared/corpus/greve``, meetings no evaluation file of the reader's is asked over: the
blind files ask about Greve 2024-2025, the seeds, the demo and other municipalities). The
meetings are split by a hash of their file name: nine in ten train, one in ten measure.
Only LoRA adapters and a head on multilingual-e5-small are trained (``rag.reader_model``);
what is written is ``reader.safetensors`` (about a megabyte) and ``reader.json``, the card
with the seed, the split, the data and the figures.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from eval.reader_pairs import (
    AnsweredQuestion,
    Pair,
    WrittenQuestion,
    mine_pairs,
    read_answered,
    read_written,
)
from index.models import Meeting

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MINUTES = REPO.parent / "shared" / "corpus" / "greve"
DEFAULT_PATTERNS = ("greve_2022-*.json", "greve_2023-*.json")


@dataclass(frozen=True)
class TrainingConfig:
    seed: int = 13
    epochs: int = 1
    batch_size: int = 16
    learning_rate: float = 5e-4
    max_length: int = 160
    rank: int = 8
    first_layer: int = 8  # adapters in the top four of twelve layers
    layers: int | None = None  # keep only the encoder's bottom layers (None: all twelve)
    alpha: float = 16.0
    max_pairs: int = 0  # 0: all mined pairs; written questions' pairs are all kept
    validation_share: int = 10  # one meeting in this many measures


def validation_meeting(source: str, share: int) -> bool:
    name = Path(source).name
    return int(hashlib.md5(name.encode()).hexdigest(), 16) % share == 0


def auc(labels: Sequence[int], scores: Sequence[float]) -> float:
    """The probability that a random positive scores above a random negative (ties count
    half): the area under the ROC curve."""
    ranked = sorted(zip(scores, labels, strict=True))
    positives = sum(labels)
    negatives = len(labels) - positives
    if not positives or not negatives:
        return float("nan")
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mean_rank = (i + j + 1) / 2  # 1-based average rank of the tie group
        rank_sum += mean_rank * sum(label for _, label in ranked[i:j])
        i = j
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def figures(pairs: Sequence[Pair], scores: Sequence[float]) -> dict[str, Any]:
    """AUC over all pairs and per kind, and how often a question's positive passage is
    scored above all its negatives (per question, where it has both)."""
    out: dict[str, Any] = {"pairs": len(pairs), "auc": auc([p.label for p in pairs], scores)}
    kinds: dict[str, list[int]] = defaultdict(list)
    for n, pair in enumerate(pairs):
        kinds[pair.kind].append(n)
    for kind, members in sorted(kinds.items()):
        out[f"auc_{kind}"] = auc([pairs[n].label for n in members], [scores[n] for n in members])
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for n, pair in enumerate(pairs):
        base = "sentence" if pair.kind.endswith("-sentence") else "passage"
        groups[(pair.question, base)].append(n)
    won = total = 0
    for members in groups.values():
        pos = [scores[n] for n in members if pairs[n].label == 1]
        neg = [scores[n] for n in members if pairs[n].label == 0]
        if pos and neg:
            total += 1
            won += max(pos) > max(neg)
    out["top1_questions"] = total
    out["top1"] = won / total if total else float("nan")
    return out


def _batches(pairs: Sequence[Pair], size: int, rng: random.Random) -> list[list[Pair]]:
    """Batches of similar length (less padding), in random order."""
    ordered = sorted(pairs, key=lambda p: len(p.question) + len(p.passage))
    batches = [list(ordered[i : i + size]) for i in range(0, len(ordered), size)]
    rng.shuffle(batches)
    return batches


def score_pairs(model: Any, tokenizer: Any, pairs: Sequence[Pair], max_length: int) -> list[float]:
    import torch

    model.eval()
    scores: list[float] = [0.0] * len(pairs)
    order = sorted(range(len(pairs)), key=lambda n: len(pairs[n].passage))
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        for start in range(0, len(order), 64):
            chunk = order[start : start + 64]
            batch = tokenizer(
                [pairs[n].question for n in chunk],
                [pairs[n].passage for n in chunk],
                truncation="only_second",
                max_length=max_length,
                padding=True,
                return_tensors="pt",
            )
            logits = model(batch["input_ids"], batch["attention_mask"]).float()
            for n, value in zip(chunk, torch.sigmoid(logits).tolist(), strict=True):
                scores[n] = float(value)
    return scores


def train(
    meetings: Sequence[Meeting],
    base_path: Path,
    out: Path,
    config: TrainingConfig,
    log: Callable[[str], None] = print,
    written: Sequence[WrittenQuestion] = (),
    init: Path | None = None,
    answered: Sequence[AnsweredQuestion] = (),
    answered_measure: Sequence[AnsweredQuestion] = (),
    templates: bool = True,
) -> dict[str, Any]:
    """Mine, split, train and save; returns the card written beside the weights. ``written``
    adds pairs of questions a language model wrote (``eval.question_writer``), ``answered``
    pairs of questions people wrote (``eval.reader_pairs.read_answered``), and
    ``answered_measure``'s pairs are measured, never trained on; ``templates=False`` trains on
    those questions alone; ``init`` starts from the adapters and head of an earlier training
    instead of from zero."""
    import torch

    from rag.reader_model import CrossEncoder, base_encoder, save_trained, tokenizer_for

    started = time.perf_counter()
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    pairs = mine_pairs(
        meetings, seed=config.seed, written=written, answered=answered, templates=templates
    )
    held = mine_pairs(meetings, seed=config.seed, templates=False, answered=answered_measure)
    sources = {m.source for m in meetings}
    measuring = {s for s in sources if validation_meeting(s, config.validation_share)}
    keys_measuring = _item_keys_of(meetings, measuring)
    training = [p for p in pairs if p.item_key not in keys_measuring]
    validation = [p for p in pairs if p.item_key in keys_measuring] + held
    if config.max_pairs and len(training) > config.max_pairs:
        written_kinds = ("written", "answered")
        kept = [p for p in training if p.kind.startswith(written_kinds)]
        rest = [p for p in training if not p.kind.startswith(written_kinds)]
        training = kept + rng.sample(rest, max(0, config.max_pairs - len(kept)))
        rng.shuffle(training)
    log(
        f"pairs: {len(pairs)} mined from {len(meetings)} meetings; {len(training)} train "
        f"({len(sources) - len(measuring)} meetings), {len(validation)} measure "
        f"({len(measuring)} meetings)"
    )
    tokenizer = tokenizer_for(base_path)
    model = CrossEncoder(
        base_encoder(base_path), config.rank, config.alpha, config.first_layer, config.layers
    )
    if init is not None:
        from safetensors.torch import load_file

        missing, unexpected = model.load_state_dict(
            load_file(str(init / "reader.safetensors")), strict=False
        )
        if unexpected or set(model.trained_state()) & set(missing):
            raise ValueError(f"{init} does not fit this model's adapters and head")
    before = figures(validation, score_pairs(model, tokenizer, validation, config.max_length))
    log(f"before training: auc {before['auc']:.3f}, top1 {before['top1']:.3f}")
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trainable, lr=config.learning_rate, weight_decay=0.01)
    steps = config.epochs * math.ceil(len(training) / config.batch_size)
    warmup = max(1, steps // 20)

    def schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (steps - step) / max(1, steps - warmup))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, schedule)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    step = 0
    losses: list[float] = []
    for epoch in range(config.epochs):
        model.train()
        for batch_pairs in _batches(training, config.batch_size, rng):
            batch = tokenizer(
                [p.question for p in batch_pairs],
                [p.passage for p in batch_pairs],
                truncation="only_second",
                max_length=config.max_length,
                padding=True,
                return_tensors="pt",
            )
            labels = torch.tensor([float(p.label) for p in batch_pairs])
            with torch.autocast("cpu", dtype=torch.bfloat16):
                logits = model(batch["input_ids"], batch["attention_mask"])
            loss = loss_fn(logits.float(), labels)
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimiser.step()
            scheduler.step()
            losses.append(float(loss.detach()))
            step += 1
            if step % 100 == 0 or step == steps:
                recent = sum(losses[-100:]) / len(losses[-100:])
                elapsed = time.perf_counter() - started
                log(f"epoch {epoch + 1} step {step}/{steps}: loss {recent:.4f} ({elapsed:.0f} s)")
    after = figures(validation, score_pairs(model, tokenizer, validation, config.max_length))
    log(f"after training: auc {after['auc']:.3f}, top1 {after['top1']:.3f}")
    build = base_path / "referat-build.json"
    card: dict[str, Any] = {
        "version": f"{date.today().isoformat()}-s{config.seed}",
        "base_model": json.loads(build.read_text()) if build.is_file() else str(base_path),
        "max_length": config.max_length,
        "seed": config.seed,
        "training": {
            "started_from": str(init.relative_to(REPO) if init.is_relative_to(REPO) else init)
            if init
            else "zero adapters",
            "written_questions": len(written),
            "answered_questions": len(answered),
            "answered_questions_measured": len(answered_measure),
            "templates": templates,
            "meetings": len(sources) - len(measuring),
            "first_meeting": min(m.meeting_date for m in meetings),
            "last_meeting": max(m.meeting_date for m in meetings),
            "bodies": sorted({m.body for m in meetings}),
            "split": f"a meeting measures when md5(file name) % {config.validation_share} == 0",
            "pairs": len(training),
            "pairs_by_kind": _counts(training),
            "epochs": config.epochs,
            "batch_size": config.batch_size,
            "learning_rate": config.learning_rate,
            "final_loss": sum(losses[-200:]) / max(1, len(losses[-200:])),
            "seconds": round(time.perf_counter() - started),
        },
        "validation": {"meetings": len(measuring), "before": before, "after": after},
    }
    save_trained(model, out, card)
    log(f"written: {out / 'reader.safetensors'} and {out / 'reader.json'}")
    return card


def _counts(pairs: Sequence[Pair]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for p in pairs:
        counts[f"{p.kind}:{p.label}"] += 1
    return dict(sorted(counts.items()))


def _item_keys_of(meetings: Sequence[Meeting], sources: set[str]) -> set[str]:
    from index.chunking import item_id, meeting_id

    keys: set[str] = set()
    for meeting in meetings:
        if meeting.source in sources:
            mkey = meeting_id(meeting.source, meeting)
            keys.update(item_id(mkey, item, n) for n, item in enumerate(meeting.items))
    return keys


def load_minutes(paths: Sequence[Path]) -> list[Meeting]:
    from index.parsing import iter_source_files, parse_file

    meetings = []
    for path in iter_source_files(paths):
        parsed = parse_file(path)
        if isinstance(parsed, Meeting):
            meetings.append(parsed)
        else:
            print(f"skipped {parsed.source}: {parsed.reason}", file=sys.stderr)
    return meetings


def default_minutes() -> list[Path]:
    return sorted(p for pattern in DEFAULT_PATTERNS for p in DEFAULT_MINUTES.glob(pattern))


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    from index.e5_offline import ensure_model
    from index.settings import load_settings
    from rag.reader import SHIPPED_READER

    parser = argparse.ArgumentParser(prog="python -m eval.train_reader", description=__doc__)
    parser.add_argument("minutes", nargs="*", type=Path, help="files or folders of minutes")
    parser.add_argument("--out", type=Path, default=SHIPPED_READER)
    parser.add_argument("--seed", type=int, default=TrainingConfig.seed)
    parser.add_argument("--epochs", type=int, default=TrainingConfig.epochs)
    parser.add_argument("--max-pairs", type=int, default=TrainingConfig.max_pairs)
    parser.add_argument("--batch-size", type=int, default=TrainingConfig.batch_size)
    parser.add_argument("--learning-rate", type=float, default=TrainingConfig.learning_rate)
    parser.add_argument(
        "--layers", type=int, help="keep only the bottom N of the base model's 12 layers"
    )
    parser.add_argument(
        "--first-layer",
        type=int,
        default=TrainingConfig.first_layer,
        help="the first layer with adapters (those below stay frozen)",
    )
    parser.add_argument("--max-length", type=int, default=TrainingConfig.max_length)
    parser.add_argument(
        "--written", type=Path, help="questions of `python -m eval.question_writer write`"
    )
    parser.add_argument("--init", type=Path, help="start from this reader's adapters and head")
    parser.add_argument(
        "--answered",
        type=Path,
        action="append",
        default=[],
        help="questions people wrote, with the words that answer them (JSON lines of file, "
        "item, question, answer); repeatable",
    )
    parser.add_argument(
        "--answered-measure",
        type=Path,
        action="append",
        default=[],
        help="such questions to measure the reader on, never to train on; repeatable",
    )
    parser.add_argument(
        "--no-templates", action="store_true", help="no template questions: answered ones only"
    )
    args = parser.parse_args(argv)
    paths = list(args.minutes) or default_minutes()
    if not paths:
        print(
            f"no minutes to train on: none given and none in {DEFAULT_MINUTES}; "
            "name files or folders of minutes",
            file=sys.stderr,
        )
        return 2
    import torch

    torch.set_num_threads(max(1, torch.get_num_threads()))
    base = ensure_model(load_settings().models_dir)
    config = TrainingConfig(
        seed=args.seed,
        epochs=args.epochs,
        max_pairs=args.max_pairs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        layers=args.layers,
        first_layer=args.first_layer,
        max_length=args.max_length,
    )
    written = read_written(args.written) if args.written else ()
    answered = [q for path in args.answered for q in read_answered(path)]
    measured = [q for path in args.answered_measure for q in read_answered(path)]
    train(
        load_minutes(paths),
        base,
        args.out,
        config,
        written=written,
        init=args.init,
        answered=answered,
        answered_measure=measured,
        templates=not args.no_templates,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
