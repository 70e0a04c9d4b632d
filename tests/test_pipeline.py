"""Incremental, prune, crash recovery and model checks of `referat index`, with fakes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from index.catalog import Catalog
from index.embedder import Vectors
from index.hash_embedder import HashEmbedder
from index.models import Chunk
from index.pipeline import Indexer, ModelMismatch
from index.store import MemoryVectorStore
from tests.minutes_factory import FakeItem, FakeMeeting, render

SECRET = "HEMMELIGT-PIPE9 fortrolig personalesag om Hansen"


def _write(folder: Path, name: str, meeting: FakeMeeting) -> Path:
    path = folder / name
    path.write_text(render(meeting), encoding="utf-8")
    return path


def _corpus(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [
        _write(
            folder,
            "a.txt",
            FakeMeeting(
                "01-02-2024",
                items=(
                    FakeItem(
                        1,
                        "Solgården udvides",
                        "24/1",
                        (("Baggrund", "Plejecentret Solgården får 24 nye pladser."),),
                        "Godkendt med 24 pladser.",
                    ),
                    FakeItem(2, "Lukket", closed_text=SECRET),
                ),
            ),
        ),
        _write(
            folder,
            "b.txt",
            FakeMeeting(
                "15-03-2024",
                items=(
                    FakeItem(
                        1,
                        "Kunstgræsbane i Hundige",
                        "24/2",
                        (("Baggrund", "Banen skal renoveres."),),
                        "Udsat.",
                    ),
                ),
            ),
        ),
    ]


def _indexer(db: Path, store: MemoryVectorStore, embedder: HashEmbedder | None = None) -> Indexer:
    return Indexer(db, Catalog.open(db), store, embedder or HashEmbedder())


def _state(indexer: Indexer, store: MemoryVectorStore) -> tuple[object, ...]:
    stats = indexer.catalog.stats()
    return (
        sorted(store.ids()),
        indexer.catalog.lexical_rows(),
        (stats.meetings, stats.items, stats.closed_items, stats.chunks),
    )


def test_index_then_rerun_skips_unchanged_files(tmp_path: Path) -> None:
    files = _corpus(tmp_path / "minutes")
    store = MemoryVectorStore()
    embedder = HashEmbedder()
    indexer = _indexer(tmp_path / "db", store, embedder)
    first = indexer.run([tmp_path / "minutes"])
    assert (first.files, first.indexed, first.meetings, first.items) == (2, 2, 2, 3)
    assert first.closed_items == 1
    assert first.chunks == store.count() > 0
    calls = embedder.calls
    second = indexer.run(files)
    assert (second.indexed, second.unchanged, second.chunks) == (0, 2, 0)
    assert embedder.calls == calls, "unchanged files must not be embedded again"


def test_changed_file_replaces_its_chunks_and_keeps_the_others(tmp_path: Path) -> None:
    files = _corpus(tmp_path / "minutes")
    store = MemoryVectorStore()
    indexer = _indexer(tmp_path / "db", store)
    indexer.run(files)
    before = {c.id: c for c in indexer.catalog.chunks(sorted(store.ids())).values()}
    _write(
        tmp_path / "minutes",
        "a.txt",
        FakeMeeting(
            "01-02-2024",
            items=(
                FakeItem(
                    1,
                    "Solgården udvides",
                    "24/1",
                    (("Baggrund", "Nu 30 pladser."),),
                    "Godkendt med 30 pladser.",
                ),
            ),
        ),
    )
    summary = indexer.run(files)
    assert (summary.indexed, summary.unchanged) == (1, 1)
    after = indexer.catalog.chunks(sorted(store.ids()))
    texts = {c.text for c in after.values()}
    assert "Godkendt med 30 pladser." in texts
    assert "Godkendt med 24 pladser." not in texts
    unchanged_b = {i for i, c in before.items() if c.source.endswith("b.txt")}
    assert unchanged_b <= set(after), "ids of an unchanged file are stable"


def test_prune_removes_meetings_whose_files_are_gone(tmp_path: Path) -> None:
    files = _corpus(tmp_path / "minutes")
    store = MemoryVectorStore()
    indexer = _indexer(tmp_path / "db", store)
    indexer.run(files)
    files[1].unlink()
    kept = indexer.run([tmp_path / "minutes"])
    assert kept.removed == 0 and indexer.catalog.stats().meetings == 2
    assert kept.gone == 1, "the run says a file is gone without removing it"
    pruned = indexer.run([tmp_path / "minutes"], prune=True)
    assert pruned.removed == 1
    assert pruned.gone == 0
    assert indexer.catalog.stats().meetings == 1
    assert all(
        not c.source.endswith("b.txt") for c in indexer.catalog.chunks(sorted(store.ids())).values()
    )


class CrashingStore(MemoryVectorStore):
    """Dies (like kill -9 would) after a number of upserts, leaving whatever it wrote."""

    def __init__(self, upserts_before_crash: int) -> None:
        super().__init__()
        self.left = upserts_before_crash

    def upsert(self, chunks: Sequence[Chunk], vectors: Vectors, file_key: str) -> None:
        if self.left == 0:
            # Half a file written, then death.
            super().upsert(chunks[:1], vectors[:1], file_key)
            raise KeyboardInterrupt("simulated kill")
        self.left -= 1
        super().upsert(chunks, vectors, file_key)


@pytest.mark.parametrize("crash_after", [0, 1])
def test_a_killed_run_is_repaired_to_equal_a_clean_build(tmp_path: Path, crash_after: int) -> None:
    files = _corpus(tmp_path / "minutes")
    clean_store = MemoryVectorStore()
    clean = _indexer(tmp_path / "clean", clean_store)
    clean.run(files)

    store = CrashingStore(crash_after)
    crashed = _indexer(tmp_path / "db", store)
    with pytest.raises(KeyboardInterrupt):
        crashed.run(files)
    # The next process opens the same folder and the store as the crash left it.
    store.left = -1
    recovered = _indexer(tmp_path / "db", store)
    summary = recovered.run(files)
    assert summary.repaired >= 1
    assert _state(recovered, store) == _state(clean, clean_store)


def test_asking_with_another_model_is_refused(tmp_path: Path) -> None:
    files = _corpus(tmp_path / "minutes")
    _indexer(tmp_path / "db", MemoryVectorStore()).run(files)
    other = HashEmbedder(dimension=64)
    other.name = "another-model"
    with pytest.raises(ModelMismatch, match="built with the embedding model 'hash'"):
        _indexer(tmp_path / "db", MemoryVectorStore(), other).run(files)


def test_closed_item_text_never_reaches_catalog_or_store(tmp_path: Path) -> None:
    files = _corpus(tmp_path / "minutes")
    store = MemoryVectorStore()
    indexer = _indexer(tmp_path / "db", store)
    indexer.run(files)
    stored = indexer.catalog.chunks(sorted(store.ids()))
    assert all(
        "HEMMELIGT" not in c.text and "HEMMELIGT" not in c.embed_text for c in stored.values()
    )
    indexer.catalog.close()
    for path in (tmp_path / "db").rglob("*"):
        if path.is_file():
            assert b"HEMMELIGT" not in path.read_bytes(), path


def test_a_broken_file_is_skipped_and_loses_nothing(tmp_path: Path) -> None:
    files = _corpus(tmp_path / "minutes")
    store = MemoryVectorStore()
    indexer = _indexer(tmp_path / "db", store)
    indexer.run(files)
    count = store.count()
    files[0].write_bytes(b"\x00\x01 not minutes")
    (tmp_path / "minutes" / "empty.txt").write_text("")
    summary = indexer.run([tmp_path / "minutes"])
    reasons = {Path(s.source).name: s.reason for s in summary.skipped}
    assert set(reasons) == {"a.txt", "empty.txt"}
    assert "empty" in reasons["empty.txt"]
    assert summary.exit_code == 2
    assert store.count() == count, "the old version of a now-broken file stays searchable"


def test_opening_the_engine_with_another_model_is_refused(tmp_path: Path) -> None:
    from index.settings import load_settings
    from rag.engine import Engine

    files = _corpus(tmp_path / "minutes")
    _indexer(tmp_path / "db", MemoryVectorStore()).run(files)
    other = HashEmbedder()
    other.name = "another-model"
    settings = load_settings({"REFERAT_DATA_DIR": str(tmp_path)})
    with pytest.raises(ModelMismatch, match="Use --embed-model hash"):
        Engine.open(settings, other)


def test_the_index_command_says_how_to_remove_a_gone_files_meetings(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from ui.cli import cli

    files = _corpus(tmp_path / "minutes")
    command = ["index", "--db", str(tmp_path / "db"), "--embed-model", "hash"]
    runner = CliRunner()
    assert runner.invoke(cli, [*command, str(tmp_path / "minutes")]).exit_code == 0
    files[1].unlink()
    kept = runner.invoke(cli, [*command, str(tmp_path / "minutes")])
    assert kept.exit_code == 0, kept.output
    assert "1 indexed files no longer exist" in kept.output and "--prune" in kept.output
    pruned = runner.invoke(cli, [*command, "--prune", str(tmp_path / "minutes")])
    assert "1 removed" in pruned.output and "no longer exist" not in pruned.output
