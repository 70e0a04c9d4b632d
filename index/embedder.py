"""The embedding seam: one small protocol, a real sentence-transformers backend, and nothing else.

e5-style models need ``query: `` / ``passage: `` prefixes, so queries and passages go through
separate methods. A deterministic fake for tests lives in ``tests/conftest.py``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from index.e5_offline import PASSAGE_PREFIX, QUERY_PREFIX, ensure_model
from index.settings import DEFAULT_EMBED_MODEL, PRECISIONS, Settings

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    #: Identifies the model that built an index; asking with another one is refused.
    name: str
    dimension: int

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        """Unit-length vectors, one row per text."""
        ...

    def embed_query(self, text: str) -> Vectors:
        """A unit-length vector of shape (dimension,)."""
        ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model behind the ``Embedder`` protocol.

    torch and sentence-transformers are imported and the model is loaded on first use, so that
    importing this module (or building an embedder nobody calls) stays cheap.
    """

    def __init__(
        self,
        model_path_or_name: str,
        name: str,
        query_prefix: str,
        passage_prefix: str,
        batch_size: int = 16,
        int8: bool = False,
        precision: str = "fp32",
    ) -> None:
        self.model_path_or_name = model_path_or_name
        self.name = name
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = batch_size
        self.int8 = int8
        self.precision = "int8" if int8 else precision
        self._model: Any = None
        self._dimension: int | None = None

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            model = self._loaded_model()
            # get_embedding_dimension is the sentence-transformers 6 name.
            measure = getattr(model, "get_embedding_dimension", None) or (
                model.get_sentence_embedding_dimension
            )
            dimension = measure()
            if dimension is None:
                dimension = int(model.encode(["dimension probe"]).shape[1])
            self._dimension = int(dimension)
        return self._dimension

    @dimension.setter
    def dimension(self, value: int) -> None:
        # Only so the class satisfies the protocol's plain attribute; pins a known dimension.
        self._dimension = value

    def _loaded_model(self) -> Any:
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            local = Path(self.model_path_or_name).is_dir()
            options: dict[str, Any] = {}
            if self.precision == "bf16":
                import torch

                # Loaded as bf16 straight away: converting after an fp32 load costs ~300 MB of
                # peak memory. On CPUs with AMX/AVX512-BF16 bf16 is 2-3x the fp32 throughput,
                # and its vectors agree with fp32 at cosine 0.9999 (see eval/README.md).
                options["model_kwargs"] = {"dtype": torch.bfloat16}
            from transformers.utils import logging as transformers_logging

            # Its "Loading weights" bar on stderr says nothing a user of referat needs.
            transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
            model = SentenceTransformer(
                self.model_path_or_name, device="cpu", local_files_only=local, **options
            )
            model.eval()
            if self.int8:
                import torch
                from torch.ao.quantization import quantize_dynamic

                # Weights of every Linear layer become int8; activations are quantised per
                # batch. About twice the throughput on CPU for a small loss of agreement.
                # torch deprecates this API in favour of torchao (not installed); it still works.
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    warnings.filterwarnings("ignore", "torch.quantize_per_tensor", UserWarning)
                    quantize_dynamic(  # type: ignore[no-untyped-call]
                        model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True
                    )
            self._model = model
        return self._model

    def _encode(self, texts: list[str], prefix: str, task: str) -> Vectors:
        model = self._loaded_model()
        # An empty prefix defers to the model's own configured prompt for the task, if any.
        encode = model.encode_query if task == "query" else model.encode_document
        vectors = encode(
            texts,
            prompt=prefix or None,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_tensor=True,
            show_progress_bar=False,
        )
        # numpy has no bfloat16: convert on the torch side, then normalise again in fp32 (a
        # bf16 norm is only good to about 0.3%).
        array = np.ascontiguousarray(vectors.float().cpu().numpy(), dtype=np.float32)
        norms = np.linalg.norm(array, axis=1, keepdims=True)
        return np.ascontiguousarray(array / np.maximum(norms, 1e-12), dtype=np.float32)

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._encode(list(texts), self.passage_prefix, "document")

    def embed_query(self, text: str) -> Vectors:
        vector: Vectors = self._encode([text], self.query_prefix, "query")[0]
        return vector


HASH_EMBEDDER = "hash"


def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 in hardware (AMX or AVX512-BF16)."""
    import torch

    cpu = torch.cpu
    checks = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    return any(getattr(cpu, name, lambda: False)() for name in checks)


def resolve_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise ValueError(
            f"unknown embedding precision {precision!r}; use one of {', '.join(PRECISIONS)}"
        )
    if precision == "auto":
        # Emulated bf16 is slower than fp32, so only where the hardware has it.
        return "bf16" if native_bf16() else "fp32"
    return precision


#: The default model with int8 weights in its Linear layers: faster, slightly less exact.
INT8_SUFFIX = "-int8"


def load_embedder(settings: Settings, progress: Callable[[str], None] | None = None) -> Embedder:
    """The embedder named by ``settings.embed_model``.

    The default, multilingual-e5-small, is rebuilt offline from installed wheels under
    ``settings.models_dir`` the first time. Any other value is a sentence-transformers model name
    or local path; it gets the e5 prefixes only if its name says it is an e5 model.
    ``multilingual-e5-small-int8`` is the default model with int8 Linear layers.
    """
    if settings.embed_model == HASH_EMBEDDER:
        # The model-free fake, for trying referat and for tests that run the real CLI.
        from index.hash_embedder import HashEmbedder

        return HashEmbedder()
    if settings.embed_model in (DEFAULT_EMBED_MODEL, DEFAULT_EMBED_MODEL + INT8_SUFFIX):
        folder = ensure_model(settings.models_dir, progress)
        # The name records the precision too: an int8 index is asked with the int8 model.
        quantised = settings.embed_model.endswith(INT8_SUFFIX)
        return SentenceTransformerEmbedder(
            str(folder),
            name=DEFAULT_EMBED_MODEL + (INT8_SUFFIX if quantised else ""),
            query_prefix=QUERY_PREFIX,
            passage_prefix=PASSAGE_PREFIX,
            int8=quantised,
            precision=resolve_precision(settings.embed_precision),
        )
    is_e5 = "e5" in settings.embed_model.lower()
    return SentenceTransformerEmbedder(
        settings.embed_model,
        name=settings.embed_model,
        query_prefix=QUERY_PREFIX if is_e5 else "",
        passage_prefix=PASSAGE_PREFIX if is_e5 else "",
        precision=resolve_precision(settings.embed_precision),
    )
