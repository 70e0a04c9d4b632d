"""`referat index`: files in, catalog rows, vectors and lexical index out; incremental, crash-safe.

Crash safety: before a file's vectors are touched its key is written to the catalog's
``pending`` table, and the catalog transaction that records the file's new rows also clears it.
A run killed anywhere leaves at most some pending files, whose vectors and rows the next run
removes before doing anything else, so it ends equal to a clean build.

A run that cannot write (disk full, read-only folder) stops with ``IndexWriteFailed``, which says
which folder and why; the same repair applies, and what was indexed before still answers.

Locking: ``referat index`` holds ``index.lock`` exclusively for a run; ``referat serve`` holds it
shared for its lifetime (exclusively with ``--allow-upload``, whose uploads are then indexed in
that process under a thread lock). Embedded Chroma is not safe with a writer and a reader in two
processes, so the one that comes second is refused with a message saying who holds the index.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Protocol

from index.catalog import Catalog
from index.chunking import ChunkingConfig, chunk_meeting, item_id, meeting_id
from index.embedder import Embedder
from index.models import Chunk, Meeting, Skipped
from index.parsing import ParseError, iter_source_files, parse_document
from index.store import VectorStore

# Chunks embedded per call: large enough that the model's batching, not our loop, sets the pace.
EMBED_BATCH_CHUNKS = 2048


class IndexBusy(Exception):
    """Another process is writing to (or serving) the same index; the message says which."""


class IndexWriteFailed(Exception):
    """The index could not be written (disk full, read-only folder ...); the message says why."""


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
    gone: int = 0  # indexed files that no longer exist, left in place without --prune
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


LOCK_FILE = "index.lock"
LEXICAL_DIRTY = "lexical_dirty"  # catalog meta: the lexical index lags the catalog
_NO_SPACE = ("disk is full", "no space left", "not enough space", "quota exceeded")
_READ_ONLY = ("read-only file system", "readonly database", "read only")
_DENIED = ("permission denied", "operation not permitted", "unable to open database file")


def write_failure_cause(error: BaseException, folder: Path | None = None) -> str:
    """A short, plain reason a write failed: no space, read-only, no permission, or the error."""
    code = getattr(error, "errno", None)
    text = str(error).lower()
    if code in (errno.ENOSPC, errno.EDQUOT) or any(m in text for m in _NO_SPACE):
        return "no space left on device"
    if code == errno.EROFS or any(m in text for m in _READ_ONLY) or _read_only_mount(folder):
        return "the folder is read-only (cannot write)"
    if code in (errno.EACCES, errno.EPERM) or any(m in text for m in _DENIED):
        return "cannot write (permission denied)"
    if folder is not None:
        try:
            free = shutil.disk_usage(folder if folder.exists() else folder.parent).free
        except OSError:
            free = None
        if free is not None and free < 1_000_000:
            return f"no space left on device ({free // 1024} KB free)"
    return f"cannot write ({type(error).__name__}: {error})"


def _read_only_mount(folder: Path | None) -> bool:
    """Whether ``folder`` (or the nearest folder above it that exists) is on a read-only mount."""
    if folder is None:
        return False
    for candidate in (folder, *folder.parents):
        try:
            return bool(os.statvfs(candidate).f_flag & os.ST_RDONLY)
        except OSError:
            continue
    return False


def write_failure_message(db_dir: Path, part: str, error: BaseException) -> str:
    cause = write_failure_cause(error, db_dir)
    detail = "" if cause.startswith("cannot write (") else f" [{type(error).__name__}: {error}]"
    return (
        f"cannot write the index in {db_dir} ({part}): {cause}{detail[:300]}. What was indexed "
        "before is kept and still answers. Free some space or make the folder writable (or "
        "choose another with --db / REFERAT_DB), then run `referat index` again: it repairs "
        "this run and goes on where it stopped."
    )


# Index folders this process serves with uploads: their writers take this lock, not flock
# (flock locks on two open files of one process conflict with each other).
_SERVED_FOR_WRITING: dict[Path, threading.Lock] = {}
_REGISTRY = threading.Lock()


def _open_lock_file(db_dir: Path) -> IO[str]:
    try:
        db_dir.mkdir(parents=True, exist_ok=True)
        return (db_dir / LOCK_FILE).open("a+", encoding="utf-8")
    except OSError as error:
        raise IndexWriteFailed(write_failure_message(db_dir, LOCK_FILE, error)) from error


def _note_holder(handle: IO[str], note: str) -> None:
    """Say in the lock file who holds it exclusively (best effort: the disk may be full)."""
    try:
        handle.seek(0)
        handle.truncate()
        if note:
            handle.write(f"{note} (pid {os.getpid()})")
        handle.flush()
    except OSError:
        pass


def _holder(db_dir: Path, handle: IO[str]) -> str:
    """Who holds the lock: `referat serve` processes (shared), or the exclusive holder's note."""
    with (db_dir / LOCK_FILE).open("r", encoding="utf-8") as probe:
        try:
            fcntl.flock(probe, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            return handle.read().strip() or "another referat process"
        fcntl.flock(probe, fcntl.LOCK_UN)
        return "`referat serve`"


def _busy(db_dir: Path, handle: IO[str], doing: str) -> IndexBusy:
    holder = _holder(db_dir, handle)
    if holder.startswith("`referat serve"):
        advice = (
            "stop it first (or add files through its upload button, started with "
            "--allow-upload), or let both use a Chroma server: REFERAT_CHROMA_URL="
            "http://127.0.0.1:8000 with `chroma run --path DIR`"
        )
        return IndexBusy(f"{holder} is using the index in {db_dir}; {advice}")
    return IndexBusy(f"{holder} is writing to the index in {db_dir}; {doing} when it is done")


@contextmanager
def index_lock(db_dir: Path) -> Iterator[None]:
    """Exclusive use of ``db_dir`` for one indexing run; ``IndexBusy`` when it is in use."""
    with _REGISTRY:
        in_process = _SERVED_FOR_WRITING.get(db_dir.resolve())
    if in_process is not None:  # uploads in the `referat serve --allow-upload` that holds it
        if not in_process.acquire(blocking=False):
            raise IndexBusy(f"other files are being added to {db_dir} right now; try again soon")
        try:
            yield
        finally:
            in_process.release()
        return
    with _open_lock_file(db_dir) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _busy(db_dir, handle, "run `referat index` again") from None
        _note_holder(handle, "`referat index`")
        try:
            yield
        finally:
            _note_holder(handle, "")
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def serve_lock(db_dir: Path, *, writes: bool = False) -> Iterator[None]:
    """Held by `referat serve` while it runs: shared, or exclusive when it indexes uploads.

    ``IndexBusy`` when a `referat index` (or a serve that indexes) has the folder;
    ``IndexWriteFailed`` when the lock file cannot be made (e.g. a read-only folder).
    """
    key = db_dir.resolve()
    with _open_lock_file(db_dir) as handle:
        try:
            fcntl.flock(handle, (fcntl.LOCK_EX if writes else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _busy(db_dir, handle, "start `referat serve`") from None
        if writes:
            _note_holder(handle, "`referat serve --allow-upload`")
            with _REGISTRY:
                _SERVED_FOR_WRITING[key] = threading.Lock()
        try:
            yield
        finally:
            if writes:
                with _REGISTRY:
                    _SERVED_FOR_WRITING.pop(key, None)
                _note_holder(handle, "")
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
        self._stale_noted = False

    @contextmanager
    def _writing(self, part: str, *, any_error: bool = False) -> Iterator[None]:
        """Turn a failed write into ``IndexWriteFailed`` naming the folder, the part and why.

        ``any_error``: the vector store raises its own exception types (Chroma has many).
        """
        try:
            yield
        except IndexWriteFailed:
            raise
        except (OSError, sqlite3.Error) as error:
            raise IndexWriteFailed(write_failure_message(self.db_dir, part, error)) from error
        except Exception as error:
            if not any_error:
                raise
            raise IndexWriteFailed(write_failure_message(self.db_dir, part, error)) from error

    def _catalog(self) -> AbstractContextManager[None]:
        return self._writing("catalog.sqlite")

    def _store(self) -> AbstractContextManager[None]:
        return self._writing("the vector store", any_error=True)

    def _lexical_goes_stale(self) -> None:
        """Note, before the catalog changes, that the lexical index must be rebuilt.

        The note outlives a run that fails before its rebuild, so the next run rebuilds even
        when it finds nothing new to index."""
        if self.lexical is not None and not self._stale_noted:
            with self._catalog():
                self.catalog.set_meta(LEXICAL_DIRTY, "1")
            self._stale_noted = True

    def repair(self) -> int:
        """Undo what a killed run left half-written. Returns how many files it cleaned."""
        with self._catalog():
            pending = self.catalog.pending_files()
        if pending:
            self._lexical_goes_stale()
        for key in pending:
            with self._store():
                self.store.delete_file(key)
            with self._catalog():
                self.catalog.remove_file(key)
        return len(pending)

    def _write(self, batch: Sequence[_ParsedFile], summary: IndexSummary) -> None:
        texts = [chunk.embed_text for parsed in batch for chunk in parsed.chunks]
        vectors = self.embedder.embed_passages(texts) if texts else None
        self._lexical_goes_stale()
        with self._catalog():
            self.catalog.mark_pending(parsed.key for parsed in batch)
        offset = 0
        now = datetime.now(UTC).isoformat(timespec="seconds")
        for parsed in batch:
            with self._store():
                self.store.delete_file(parsed.key)
                if parsed.chunks and vectors is not None:
                    count = len(parsed.chunks)
                    self.store.upsert(parsed.chunks, vectors[offset : offset + count], parsed.key)
                    offset += count
            with self._catalog():
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

    def _undo_new_files(self, known: dict[str, str]) -> None:
        """After a failed write, take out the half-written vectors of files new to the index.

        Best effort: on a full disk this may fail too, and then the next run's repair does it.
        Changed files stay pending (their old rows still answer) until that repair."""
        try:
            for key in self.catalog.pending_files():
                if key not in known:
                    self.store.delete_file(key)
                    self.catalog.remove_file(key)
        except Exception:  # the write error being raised says enough; the next run repairs
            pass

    def _prune(self, gone: Iterable[str], summary: IndexSummary) -> None:
        for key in gone:
            self._lexical_goes_stale()
            with self._catalog():
                self.catalog.mark_pending([key])
            with self._store():
                self.store.delete_file(key)
            with self._catalog():
                self.catalog.remove_file(key)
            summary.removed += 1

    def run(
        self,
        paths: Iterable[str | Path],
        *,
        prune: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> IndexSummary:
        """Index ``paths``. Raises ``IndexBusy``, ``ModelMismatch`` or ``IndexWriteFailed``."""
        started = time.perf_counter()
        summary = IndexSummary()
        self._stale_noted = False
        with index_lock(self.db_dir):
            with self._catalog():
                check_model(self.catalog, self.embedder, self.db_dir)
                stale = self.catalog.get_meta(LEXICAL_DIRTY) == "1"
            summary.repaired = self.repair()
            with self._catalog():
                known = self.catalog.file_hashes()
            files = list(iter_source_files(paths))
            summary.files = len(files)
            batch: list[_ParsedFile] = []
            batch_chunks = 0
            for done, path in enumerate(files, start=1):
                parsed = self._parse(path, known, summary)
                if parsed is not None:
                    batch.append(parsed)
                    batch_chunks += len(parsed.chunks)
                if batch and (batch_chunks >= EMBED_BATCH_CHUNKS or done == len(files)):
                    try:
                        self._write(batch, summary)
                    except IndexWriteFailed:
                        self._undo_new_files(known)
                        raise
                    batch, batch_chunks = [], 0
                if progress:
                    progress(done, len(files))
            gone = [key for key in known if not Path(key).exists()]
            if prune:
                self._prune(gone, summary)
            else:
                summary.gone = len(gone)
            if self.lexical is not None and (
                stale or self._stale_noted or not self.lexical.exists()
            ):
                with self._writing("the lexical index"):
                    self.lexical.rebuild(self.catalog)
                with self._catalog():
                    self.catalog.set_meta(LEXICAL_DIRTY, "0")
        summary.seconds = time.perf_counter() - started
        return summary

    def _parse(
        self, path: Path, known: dict[str, str], summary: IndexSummary
    ) -> _ParsedFile | None:
        """Read and parse one file; a file that cannot be used is added to ``summary.skipped``."""
        from index.parsing import size_problem

        try:
            # stat() first: a looping link fails here with ELOOP ("Too many levels of symbolic
            # links"), and a huge file is refused by its size without being loaded.
            size = path.stat().st_size
            key = file_key_for(path)
            if problem := size_problem(size, key):
                summary.skipped.append(Skipped(str(path), problem))
                return None
            data = path.read_bytes()
        except (OSError, RuntimeError) as error:  # resolve() raises RuntimeError on a loop
            cause = (
                os.strerror(errno.ELOOP)
                if isinstance(error, RuntimeError)
                else error.strerror or str(error)
            )
            summary.skipped.append(Skipped(str(path), f"the file cannot be read ({cause})"))
            return None
        sha256 = hashlib.sha256(data).hexdigest()
        if known.get(key) == sha256:
            summary.unchanged += 1
            return None
        try:
            meeting = parse_document(data, key)
            chunks = list(chunk_meeting(meeting, key, self.chunking))
        except ParseError as error:
            summary.skipped.append(Skipped(str(path), str(error)))
            return None
        except Exception as error:  # a parser bug must not stop the run or lose other files
            summary.skipped.append(
                Skipped(str(path), f"unexpected parser failure ({type(error).__name__})")
            )
            return None
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
