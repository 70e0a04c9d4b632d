"""`referat index`: files in, catalog rows, vectors and lexical index out; incremental, crash-safe.

Crash safety: before a file's vectors are touched its key is written to the catalog's
``pending`` table, and the catalog transaction that records the file's new rows also clears it.
A run killed anywhere leaves at most some pending files, whose vectors and rows the next run
removes before doing anything else, so it ends equal to a clean build.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from index.catalog import Catalog
from index.chunking import ChunkingConfig, chunk_meeting, item_id, meeting_id
from index.embedder import Embedder
from index.models import Chunk, Meeting, Skipped
from index.parsing import ParseError, iter_source_files, parse_document
from index.store import VectorStore

# Chunks embedded per call: large enough that the model's batching, not our loop, sets the pace.
EMBED_BATCH_CHUNKS = 512


class IndexBusy(Exception):
    """Another process is writing to the same index."""


class ModelMismatch(Exception):
    """The index was built with another embedding model than the one asked for."""


class LexicalBuilder(Protocol):
    def rebuild(self, catalog: Catalog) -> None: ...

    def exists(self) -> bool:
        """Whether a saved lexical index is there (a run with no changes still builds one)."""
        ...


@dataclass
class IndexSummary:
    files: int = 0
    indexed: int = 0
    unchanged: int = 0
    removed: int = 0
    repaired: int = 0
    meetings: int = 0
    items: int = 0
    closed_items: int = 0
    chunks: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return 2 if self.skipped else 0


def ensure_same_model(catalog: Catalog, model_name: str, db_dir: Path) -> None:
    """Refuse to mix vectors of two models (for indexing and for asking alike)."""
    built_with = catalog.get_meta("embed_model")
    if built_with is not None and built_with != model_name:
        raise ModelMismatch(
            f"the index in {db_dir} was built with the embedding model {built_with!r}, "
            f"but {model_name!r} was asked for. Use --embed-model {built_with} "
            f"(or REFERAT_EMBED_MODEL), or index into another folder with --db."
        )


def check_model(catalog: Catalog, embedder: Embedder, db_dir: Path) -> None:
    """``ensure_same_model``, and record the model on an empty index."""
    ensure_same_model(catalog, embedder.name, db_dir)
    if catalog.get_meta("embed_model") is None:
        catalog.set_meta("embed_model", embedder.name)
        catalog.set_meta("embed_dimension", str(embedder.dimension))


@contextmanager
def index_lock(db_dir: Path) -> Iterator[None]:
    db_dir.mkdir(parents=True, exist_ok=True)
    with (db_dir / "index.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusy(
                f"another `referat index` is writing to {db_dir}; wait for it to finish"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def file_key_for(path: Path) -> str:
    return str(path.resolve())


@dataclass
class _ParsedFile:
    key: str
    sha256: str
    size: int
    meeting: Meeting
    chunks: list[Chunk]


def _item_ids(key: str, meeting: Meeting) -> list[str]:
    meeting_key = meeting_id(key, meeting)
    return [item_id(meeting_key, item, n) for n, item in enumerate(meeting.items)]


class Indexer:
    def __init__(
        self,
        db_dir: Path,
        catalog: Catalog,
        store: VectorStore,
        embedder: Embedder,
        lexical: LexicalBuilder | None = None,
        chunking: ChunkingConfig | None = None,
    ) -> None:
        self.db_dir = db_dir
        self.catalog = catalog
        self.store = store
        self.embedder = embedder
        self.lexical = lexical
        self.chunking = chunking or ChunkingConfig()

    def repair(self) -> int:
        """Undo what a killed run left half-written. Returns how many files it cleaned."""
        pending = self.catalog.pending_files()
        for key in pending:
            self.store.delete_file(key)
            self.catalog.remove_file(key)
        return len(pending)

    def _write(self, batch: Sequence[_ParsedFile], summary: IndexSummary) -> None:
        texts = [chunk.embed_text for parsed in batch for chunk in parsed.chunks]
        vectors = self.embedder.embed_passages(texts) if texts else None
        self.catalog.mark_pending(parsed.key for parsed in batch)
        offset = 0
        now = datetime.now(UTC).isoformat(timespec="seconds")
        for parsed in batch:
            self.store.delete_file(parsed.key)
            if parsed.chunks and vectors is not None:
                count = len(parsed.chunks)
                self.store.upsert(parsed.chunks, vectors[offset : offset + count], parsed.key)
                offset += count
            self.catalog.replace_file(
                parsed.key,
                parsed.sha256,
                parsed.size,
                now,
                [
                    (
                        meeting_id(parsed.key, parsed.meeting),
                        parsed.meeting,
                        _item_ids(parsed.key, parsed.meeting),
                    )
                ],
                parsed.chunks,
            )
            summary.indexed += 1
            summary.meetings += 1
            summary.items += len(parsed.meeting.items)
            summary.closed_items += sum(item.closed for item in parsed.meeting.items)
            summary.chunks += len(parsed.chunks)

    def run(
        self,
        paths: Iterable[str | Path],
        *,
        prune: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> IndexSummary:
        started = time.perf_counter()
        summary = IndexSummary()
        with index_lock(self.db_dir):
            check_model(self.catalog, self.embedder, self.db_dir)
            summary.repaired = self.repair()
            changed = summary.repaired > 0
            files = list(iter_source_files(paths))
            summary.files = len(files)
            known = self.catalog.file_hashes()
            batch: list[_ParsedFile] = []
            batch_chunks = 0
            for done, path in enumerate(files, start=1):
                parsed = self._parse(path, known, summary)
                if parsed is not None:
                    batch.append(parsed)
                    batch_chunks += len(parsed.chunks)
                if batch and (batch_chunks >= EMBED_BATCH_CHUNKS or done == len(files)):
                    self._write(batch, summary)
                    changed = True
                    batch, batch_chunks = [], 0
                if progress:
                    progress(done, len(files))
            if prune:
                for key in known:
                    if not Path(key).exists():
                        self.catalog.mark_pending([key])
                        self.store.delete_file(key)
                        self.catalog.remove_file(key)
                        summary.removed += 1
                        changed = True
            if self.lexical is not None and (changed or not self.lexical.exists()):
                self.lexical.rebuild(self.catalog)
        summary.seconds = time.perf_counter() - started
        return summary

    def _parse(
        self, path: Path, known: dict[str, str], summary: IndexSummary
    ) -> _ParsedFile | None:
        key = file_key_for(path)
        try:
            data = path.read_bytes()
        except OSError as error:
            summary.skipped.append(
                Skipped(str(path), f"the file cannot be read ({error.strerror or error})")
            )
            return None
        sha256 = hashlib.sha256(data).hexdigest()
        if known.get(key) == sha256:
            summary.unchanged += 1
            return None
        try:
            meeting = parse_document(data, key)
        except ParseError as error:
            summary.skipped.append(Skipped(str(path), str(error)))
            return None
        except Exception as error:  # a parser bug must not stop the run or lose other files
            summary.skipped.append(
                Skipped(str(path), f"unexpected parser failure ({type(error).__name__})")
            )
            return None
        chunks = list(chunk_meeting(meeting, key, self.chunking))
        return _ParsedFile(key, sha256, len(data), meeting, chunks)


def directory_size(path: Path) -> int:
    total = 0
    for dirpath, _, filenames in os.walk(path):
        for name in filenames:
            try:
                total += (Path(dirpath) / name).stat().st_size
            except OSError:
                continue
    return total
