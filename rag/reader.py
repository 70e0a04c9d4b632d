"""The reader seam: a model that scores how well a passage answers a question.

One small protocol, the real backend (a cross-encoder trained here, ``rag.reader_model``) and
its loader. The answer pipeline asks it two things: which retrieved items answer best
(ranking) and whether anything answers at all (refusal). It chose the sentences to quote too,
until over the round-7 to round-9 blind files its choice quoted no better than the question's
words (eval/README.md, "Round 9"). A deterministic, model-free reader for tests and for
trying referat without the model lives in ``rag.overlap_reader``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from index.settings import Settings

#: The trained adapters shipped with referat (``python -m eval.train_reader`` rebuilds them).
SHIPPED_READER = Path(__file__).resolve().parent / "reader_weights"
READER_OFF = "off"
READER_OVERLAP = "overlap"
READER_MODEL = "model"


class Reader(Protocol):
    name: str

    def score(self, question: str, passages: Sequence[str]) -> list[float]:
        """For each passage, the probability (0-1) that it answers ``question``."""
        ...


def passage_text(title: str, section: str | None, text: str) -> str:
    """What the reader reads of a passage: the item's title, then the section and its text.
    Training and answering must build it the same way."""
    head = f"{title}\n{section}: " if section else f"{title}\n"
    return head + " ".join(text.split())


class ReaderUnavailable(RuntimeError):
    """The reader's files are missing or do not fit the base model; the message says why."""


class CrossEncoderReader:
    """The trained cross-encoder behind the ``Reader`` protocol; loaded on first use."""

    def __init__(
        self,
        base_path: Path,
        weights: Path,
        precision: str = "fp32",
        max_length: int = 192,
        batch_size: int = 32,
    ) -> None:
        self.base_path = base_path
        self.weights = weights
        self.precision = precision
        card = self.card
        self.name = f"cross-encoder:{card.get('version', weights.name)}"
        self.max_length = int(card.get("max_length", max_length))
        self.batch_size = batch_size
        self._model: Any = None
        self._tokenizer: Any = None

    @property
    def card(self) -> dict[str, Any]:
        path = self.weights / "reader.json"
        try:
            card: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ReaderUnavailable(
                f"the reader's card {path} cannot be read ({error}); rebuild it with "
                "`python -m eval.train_reader`, or set REFERAT_READER=off"
            ) from error
        return card

    def _loaded(self) -> tuple[Any, Any]:
        if self._model is None:
            import torch

            from rag.reader_model import load_trained, tokenizer_for

            dtype = torch.bfloat16 if self.precision == "bf16" else None
            try:
                self._model = load_trained(self.base_path, self.weights, dtype)
            except (OSError, ValueError) as error:
                raise ReaderUnavailable(
                    f"the reader in {self.weights} cannot be loaded: {error}"
                ) from error
            self._tokenizer = tokenizer_for(self.base_path)
        return self._model, self._tokenizer

    def score(self, question: str, passages: Sequence[str]) -> list[float]:
        if not passages:
            return []
        import torch

        model, tokenizer = self._loaded()
        # Longest first, so that each batch pads to nearly its own length.
        order = sorted(range(len(passages)), key=lambda i: -len(passages[i]))
        scores = [0.0] * len(passages)
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                chunk = order[start : start + self.batch_size]
                batch = tokenizer(
                    [question] * len(chunk),
                    [passages[i] for i in chunk],
                    truncation="only_second",
                    max_length=self.max_length,
                    padding=True,
                    return_tensors="pt",
                )
                logits = model(batch["input_ids"], batch["attention_mask"])
                for i, value in zip(chunk, torch.sigmoid(logits.float()).tolist(), strict=True):
                    scores[i] = float(value)
        return scores


def log_odds(probability: float) -> float:
    """The reader's probability as log-odds, clipped so that 0 and 1 stay finite."""
    p = min(max(probability, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def default_reader(settings: Settings) -> str:
    """What an unset ``settings.reader`` means: the shipped reader, which beat the answer rules
    on every round-4 blind file at its first run (eval/README.md, "Round 4"; mixed since),
    except beside the model-free hash embedder (tests, quick tries), where the e5 base model
    the reader reads with is not meant to be needed."""
    from index.embedder import HASH_EMBEDDER

    return READER_OFF if settings.embed_model == HASH_EMBEDDER else READER_MODEL


def load_reader(settings: Settings) -> Reader | None:
    """The reader ``settings.reader`` names (unset: ``default_reader``): None for "off" (the
    answer rules decide alone), the model-free overlap reader for "overlap", else the trained
    cross-encoder in that folder ("model": the one shipped with referat) over the offline base
    model."""
    choice = settings.reader or default_reader(settings)
    if choice == READER_OFF:
        return None
    if choice == READER_OVERLAP:
        from rag.overlap_reader import OverlapReader

        return OverlapReader()
    from index.e5_offline import ensure_model
    from index.embedder import resolve_precision

    weights = SHIPPED_READER if choice == READER_MODEL else Path(choice)
    if not (weights / "reader.safetensors").is_file():
        raise ReaderUnavailable(
            f"no trained reader in {weights} (reader.safetensors is missing); train one with "
            "`python -m eval.train_reader`, or set REFERAT_READER=off"
        )
    base = ensure_model(settings.models_dir)
    return CrossEncoderReader(base, weights, resolve_precision(settings.embed_precision))
