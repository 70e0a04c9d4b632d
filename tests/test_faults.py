"""Faults while indexing: a full disk, a read-only folder, and `index` beside `serve`.

The fast tests inject the errors a full disk gives at the seams (catalog writes, the vector
store, the lexical save) and hold the index locks in this process. The slow ones do it for real:
a small tmpfs in a private mount namespace (``unshare -m``, root only; skipped elsewhere) that
fills up and is then made read-only, and a real `referat serve` next to `referat index`.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from index.catalog import Catalog
from index.embedder import Vectors
from index.hash_embedder import HashEmbedder
from index.lexical import LexicalIndex
from index.models import Chunk
from index.open import LexicalRebuilder, lexical_dir
from index.pipeline import (
    LEXICAL_DIRTY,
    IndexBusy,
    Indexer,
    IndexWriteFailed,
    index_lock,
    serve_lock,
    write_failure_cause,
)
from index.settings import Settings
from index.store import MemoryVectorStore
from rag.engine import Engine, answer_to_json

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "demo" / "fjordby"
REFERAT = Path(sys.executable).with_name("referat")
QUESTIONS = (
    "Hvad blev der besluttet om Solgården?",
    "Hvor skal den nye børnehave i Nørreskov bygges?",
    "Blev forslaget om gratis bus for unge vedtaget?",
    "Hvem blev stedfortræder i Folkeoplysningsudvalget?",
    "Må de ansatte fortsat arbejde hjemme?",
    "Kommer der wifi i idrætshallerne?",
)


def _demo_files() -> list[Path]:
    return sorted(p for p in DEMO.iterdir() if p.is_file())


def _split() -> tuple[list[Path], list[Path]]:
    """The demo minutes as (already indexed, added later)."""
    files = _demo_files()
    assert len(files) >= 8
    return files[::2], files[1::2]


def _indexer(db: Path, store: MemoryVectorStore) -> Indexer:
    return Indexer(db, Catalog.open(db), store, HashEmbedder(), LexicalRebuilder(db))


def _answers(db: Path, store: MemoryVectorStore) -> list[dict[str, Any]]:
    """What a fresh process would answer: a new catalog connection and the saved lexical index."""
    catalog = Catalog.open(db, create=False)
    try:
        lexical = LexicalIndex.load(lexical_dir(db))
        engine = Engine(catalog, store, HashEmbedder(), lexical)
        return [answer_to_json(engine.ask(q)) for q in QUESTIONS]
    finally:
        catalog.close()


def _stats(db: Path) -> tuple[int, int, int, int, int]:
    catalog = Catalog.open(db, create=False)
    try:
        s = catalog.stats()
        return s.files, s.meetings, s.items, s.closed_items, s.chunks
    finally:
        catalog.close()


@pytest.fixture
def clean(tmp_path: Path) -> tuple[tuple[int, ...], list[dict[str, Any]]]:
    """Stats and answers of a clean build of all the demo minutes."""
    store = MemoryVectorStore()
    _indexer(tmp_path / "clean", store).run(_demo_files())
    return _stats(tmp_path / "clean"), _answers(tmp_path / "clean", store)


class FullStore(MemoryVectorStore):
    """A vector store whose disk fills up after ``room`` more upserts (half of the next one)."""

    def __init__(self) -> None:
        super().__init__()
        self.room: int | None = None

    def upsert(self, chunks: Sequence[Chunk], vectors: Vectors, file_key: str) -> None:
        if self.room is not None and self.room <= 0:
            super().upsert(chunks[:1], vectors[:1], file_key)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        if self.room is not None:
            self.room -= 1
        super().upsert(chunks, vectors, file_key)


def _disk_full_then_space(
    tmp_path: Path,
    clean: tuple[tuple[int, ...], list[dict[str, Any]]],
    fill: Any,
    committed: int = 0,
) -> IndexWriteFailed:
    """Index half the demo, fail adding the rest (``fill`` arranges how), check, then finish.

    ``committed``: how many new files went in whole before the disk was full."""
    db = tmp_path / "db"
    store = FullStore()
    first, later = _split()
    _indexer(db, store).run(first)
    before_stats, before_answers = _stats(db), _answers(db, store)

    undo = fill(store)
    with pytest.raises(IndexWriteFailed) as failed:
        _indexer(db, store).run([*first, *later])
    # The existing index still answers, and the same, in a new process.
    after = _stats(db)
    assert after[0] == before_stats[0] + committed
    if not committed:
        assert after == before_stats
        assert _answers(db, store) == before_answers
    else:
        assert sum(bool(a["citations"]) for a in _answers(db, store)) >= 2
    assert Catalog.open(db).pending_files() == []  # the half-written new file was taken out
    assert sum(bool(a["citations"]) for a in before_answers) >= 2  # it does answer

    undo()
    summary = _indexer(db, store).run([*first, *later])
    assert summary.indexed == len(later) - committed
    assert (_stats(db), _answers(db, store)) == clean
    return failed.value


def test_catalog_full_mid_run_keeps_the_index_and_a_later_run_completes(
    tmp_path: Path, clean: tuple[tuple[int, ...], list[dict[str, Any]]]
) -> None:
    original = Catalog.replace_file

    def fill(store: MemoryVectorStore) -> Any:
        def full(self: Catalog, *args: Any, **kwargs: Any) -> None:
            raise sqlite3.OperationalError("database or disk is full")

        Catalog.replace_file = full  # type: ignore[method-assign]
        return lambda: setattr(Catalog, "replace_file", original)

    try:
        error = _disk_full_then_space(tmp_path, clean, fill)
    finally:
        Catalog.replace_file = original  # type: ignore[method-assign]
    message = str(error)
    assert str(tmp_path / "db") in message
    assert "catalog.sqlite" in message and "no space left on device" in message
    assert "run `referat index` again" in message


@pytest.mark.parametrize("room", [0, 2])
def test_vector_store_full_mid_run_keeps_the_index_and_a_later_run_completes(
    tmp_path: Path, clean: tuple[tuple[int, ...], list[dict[str, Any]]], room: int
) -> None:
    def fill(store: MemoryVectorStore) -> Any:
        assert isinstance(store, FullStore)
        store.room = room  # this many more files fit, the next one half

        def undo() -> None:
            store.room = None

        return undo

    error = _disk_full_then_space(tmp_path, clean, fill, committed=room)
    message = str(error)
    assert str(tmp_path / "db") in message
    assert "vector store" in message and "no space left on device" in message


def test_lexical_save_failing_is_reported_and_the_next_run_rebuilds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "db"
    store = MemoryVectorStore()
    first, later = _split()
    _indexer(db, store).run(first)
    old_ids = set(LexicalIndex.load(lexical_dir(db))._ids)

    def full(self: LexicalIndex, folder: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(folder))

    with monkeypatch.context() as patch:
        patch.setattr(LexicalIndex, "save", full)
        with pytest.raises(IndexWriteFailed, match=r"lexical index.*no space left on device"):
            _indexer(db, store).run(later)
    # The files themselves went in; the old lexical index is still whole and loads.
    assert set(LexicalIndex.load(lexical_dir(db))._ids) == old_ids
    assert Catalog.open(db).get_meta(LEXICAL_DIRTY) == "1"
    # Nothing new to index, but the next run still brings the lexical index up to date.
    summary = _indexer(db, store).run(later)
    assert summary.indexed == 0 and summary.unchanged == len(later)
    catalog = Catalog.open(db)
    assert set(LexicalIndex.load(lexical_dir(db))._ids) == {r[0] for r in catalog.lexical_rows()}
    assert catalog.get_meta(LEXICAL_DIRTY) == "0"


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "no space left on device"),
        (sqlite3.OperationalError("database or disk is full"), "no space left on device"),
        (OSError(errno.EROFS, "Read-only file system"), "read-only"),
        (sqlite3.OperationalError("attempt to write a readonly database"), "read-only"),
        (PermissionError(errno.EACCES, "Permission denied"), "cannot write (permission denied)"),
        (RuntimeError("something else"), "cannot write (RuntimeError: something else)"),
    ],
)
def test_write_failures_are_named_plainly(error: BaseException, cause: str) -> None:
    assert cause in write_failure_cause(error)


def test_the_cli_reports_a_write_failure_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from ui.cli import cli

    db = tmp_path / "db"
    runner = CliRunner()
    args = ["index", "--db", str(db), "--embed-model", "hash"]
    assert runner.invoke(cli, [*args, str(_split()[0][0])]).exit_code == 0

    def full(self: Catalog, *a: Any, **k: Any) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Catalog, "replace_file", full)
    result = runner.invoke(cli, [*args, str(DEMO)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # no traceback, a message
    assert f"Error: cannot write the index in {db}" in result.output
    assert "no space left on device" in result.output


# -- index beside serve, in this process ---------------------------------------------------------
def test_index_is_refused_while_serve_holds_the_folder(tmp_path: Path) -> None:
    db = tmp_path / "db"
    store = MemoryVectorStore()
    with serve_lock(db):
        with pytest.raises(IndexBusy) as busy:
            _indexer(db, store).run(_split()[0])
        # A second read-only server may share it.
        with serve_lock(db):
            pass
    message = str(busy.value)
    assert "`referat serve` is using the index in" in message and str(db) in message
    assert "REFERAT_CHROMA_URL" in message
    assert not (db / "catalog.sqlite").exists() or _stats(db)[0] == 0
    # Once serve is gone, indexing works.
    assert _indexer(db, store).run(_split()[0]).indexed == len(_split()[0])


def test_serve_is_refused_while_index_runs(tmp_path: Path) -> None:
    from ui.app import lock_for_serving

    db = tmp_path / "db"
    settings = Settings(tmp_path, db, "hash")
    with index_lock(db), contextlib.ExitStack() as held:
        with pytest.raises(SystemExit) as refused:
            lock_for_serving(settings, False, held)
        assert "`referat index`" in str(refused.value) and str(db) in str(refused.value)
        assert f"(pid {os.getpid()})" in str(refused.value)
        with pytest.raises(IndexBusy, match="referat index"), serve_lock(db, writes=True):
            pass
    # With a Chroma server, serve leaves the locking to it.
    with index_lock(db), contextlib.ExitStack() as held:
        lock_for_serving(Settings(tmp_path, db, "hash", chroma_url="http://x:1"), False, held)


def test_uploads_index_inside_the_serve_that_holds_the_folder(tmp_path: Path) -> None:
    """`serve --allow-upload` holds the folder exclusively, yet indexes its own uploads."""
    db = tmp_path / "db"
    store = MemoryVectorStore()
    first, later = _split()
    with serve_lock(db, writes=True):
        assert _indexer(db, store).run(first).indexed == len(first)
        # Two uploads at once: the second is told to wait, not run into the first.
        inside = threading.Event()
        release = threading.Event()

        class SlowEmbedder(HashEmbedder):
            def embed_passages(self, texts: Sequence[str]) -> Vectors:
                inside.set()
                release.wait(30)
                return super().embed_passages(texts)

        slow = Indexer(db, Catalog.open(db), store, SlowEmbedder(), LexicalRebuilder(db))
        worker = threading.Thread(target=slow.run, args=(later[:1],))
        worker.start()
        try:
            assert inside.wait(30)
            with pytest.raises(IndexBusy, match="being added"):
                _indexer(db, store).run(later[1:])
        finally:
            release.set()
            worker.join(30)
        # Another process (here: another open file) cannot have it meanwhile.
        with pytest.raises(IndexBusy, match=r"referat serve --allow-upload` \(pid"), serve_lock(db):
            pass
    assert _stats(db)[0] == len(first) + 1


# -- slow: the real thing ------------------------------------------------------------------------
def _run(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _referat_env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "REFERAT_EMBED_MODEL": "hash", "REFERAT_DATA_DIR": str(tmp_path / "data")}
    for name in ("REFERAT_DB", "REFERAT_CHROMA_URL", "REFERAT_AUTH"):
        env.pop(name, None)
    return env


def _cli_stats(db: Path, env: dict[str, str], prefix: Sequence[str] = ()) -> dict[str, Any]:
    out = _run(*prefix, str(REFERAT), "stats", "--db", str(db), "--json", env=env)
    assert out.returncode == 0, out.stderr
    figures = json.loads(out.stdout)
    return {k: figures[k] for k in ("files", "meetings", "items", "closed_items", "chunks")}


def _cli_answers(db: Path, env: dict[str, str], prefix: Sequence[str] = ()) -> list[Any]:
    answers = []
    for question in QUESTIONS[:3]:
        out = _run(*prefix, str(REFERAT), "ask", "--db", str(db), "--json", question, env=env)
        assert out.returncode == 0, out.stderr
        answers.append(json.loads(out.stdout))
    return answers


def _chunk_digest(db: Path, env: dict[str, str], prefix: Sequence[str] = ()) -> str:
    """A digest of every chunk row (read where ``prefix`` runs, e.g. in the mount namespace)."""
    script = (
        "import hashlib, sqlite3, sys; c = sqlite3.connect(sys.argv[1]); print(hashlib.sha256("
        "repr(c.execute('SELECT chunk_id, text FROM chunks ORDER BY chunk_id').fetchall())"
        ".encode()).hexdigest())"
    )
    out = _run(*prefix, sys.executable, "-c", script, str(db / "catalog.sqlite"), env=env)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.fixture
def namespace(tmp_path: Path) -> Iterator[tuple[list[str], Path]]:
    """A private mount namespace holding a 1.2 MB tmpfs: (command prefix to enter it, mount)."""
    if os.geteuid() != 0 or not (shutil.which("unshare") and shutil.which("nsenter")):
        pytest.skip("needs root with unshare and nsenter to mount a small tmpfs privately")
    mount = tmp_path / "mnt"
    mount.mkdir()
    holder = subprocess.Popen(
        ["unshare", "-m", "--propagation", "private", "sh", "-c",
         f"mount -t tmpfs -o size=1200k tmpfs {mount} && echo ready && exec sleep 3600"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        ready = holder.stdout.readline() if holder.stdout else ""
        if ready.strip() != "ready":
            pytest.skip(
                f"cannot mount a tmpfs here: {holder.stderr.read() if holder.stderr else ''}"
            )
        yield ["nsenter", "-t", str(holder.pid), "-m", "--"], mount
    finally:
        holder.kill()
        holder.wait(10)


@pytest.mark.slow
def test_a_real_full_disk_then_a_read_only_folder_then_space(
    tmp_path: Path, namespace: tuple[list[str], Path]
) -> None:
    if not REFERAT.exists():
        pytest.skip(f"the referat command is not installed beside {sys.executable}")
    enter, mount = namespace
    env = _referat_env(tmp_path)
    clean = tmp_path / "clean"
    assert _run(str(REFERAT), "index", "--db", str(clean), str(DEMO), env=env).returncode == 0

    db = mount / "db"
    first = _demo_files()[0]
    assert _run(*enter, str(REFERAT), "index", "--db", str(db), str(first), env=env).returncode == 0

    # 1. The disk fills up during the run.
    full = _run(*enter, str(REFERAT), "index", "--db", str(db), str(DEMO), env=env)
    assert full.returncode == 1
    assert f"Error: cannot write the index in {db}" in full.stderr
    assert "no space left on device" in full.stderr
    assert "Traceback" not in full.stderr
    after_full = _cli_stats(db, env, enter)
    assert 1 <= after_full["files"] < len(_demo_files())
    answers = _cli_answers(db, env, enter)
    assert answers[0]["question"] == QUESTIONS[0]

    # 2. The folder becomes read-only: refused, nothing changes, it still answers.
    remount = _run(*enter, "mount", "-o", "remount,ro", str(mount), env=env)
    assert remount.returncode == 0, remount.stderr
    read_only = _run(*enter, str(REFERAT), "index", "--db", str(db), str(DEMO), env=env)
    assert read_only.returncode == 1
    assert str(db) in read_only.stderr and "read-only" in read_only.stderr
    assert "Traceback" not in read_only.stderr
    assert _cli_stats(db, env, enter) == after_full
    # Embedded Chroma cannot open a read-only folder even to read: the answer then rests on
    # the BM25 index alone, and says so.
    asked = _run(*enter, str(REFERAT), "ask", "--db", str(db), "--json", QUESTIONS[0], env=env)
    assert asked.returncode == 0, asked.stderr
    assert "word index alone" in asked.stderr and "read-only" in asked.stderr
    # The index holds only what fitted on the disk, so the answer may be a refusal; either way
    # it is a whole answer, and found only where the full index found it too.
    degraded = json.loads(asked.stdout)
    assert degraded["question"] == QUESTIONS[0]
    assert not degraded["found"] or answers[0]["found"]
    writable = _run(*enter, "mount", "-o", "remount,rw", str(mount), env=env)
    assert writable.returncode == 0, writable.stderr
    assert _cli_stats(db, env, enter) == after_full
    assert _cli_answers(db, env, enter) == answers

    # 3. Space again: the next run repairs and completes, equal to a clean build.
    grown = _run(*enter, "mount", "-o", "remount,rw,size=64m", str(mount), env=env)
    assert grown.returncode == 0, grown.stderr
    done = _run(*enter, str(REFERAT), "index", "--db", str(db), str(DEMO), env=env)
    assert done.returncode == 0, done.stderr
    assert _cli_stats(db, env, enter) == _cli_stats(clean, env)
    # The same answers as a clean build's: tied passages are ordered by id, not insertion.
    assert _cli_answers(db, env, enter) == _cli_answers(clean, env)
    assert _chunk_digest(db, env, enter) == _chunk_digest(clean, env)


@pytest.mark.slow
def test_referat_index_beside_a_running_referat_serve(tmp_path: Path) -> None:
    """Real processes: `index` is refused while `serve` runs, the index stays whole, and
    `index` works again once `serve` has stopped."""
    if not REFERAT.exists():
        pytest.skip(f"the referat command is not installed beside {sys.executable}")
    pytest.importorskip("gradio_client")
    from gradio_client import Client

    from tests.servers import served
    from tests.test_load import referat_env

    env = referat_env(tmp_path / "data")
    db = tmp_path / "db"
    first, later = _split()
    assert _run(str(REFERAT), "index", "--db", str(db), *map(str, first), env=env).returncode == 0
    before = _cli_stats(db, env)
    with served(db, env) as url:
        refused = _run(str(REFERAT), "index", "--db", str(db), str(DEMO), env=env)
        assert refused.returncode == 1
        assert f"`referat serve` is using the index in {db}" in refused.stderr
        assert "REFERAT_CHROMA_URL" in refused.stderr and "Traceback" not in refused.stderr
        assert _cli_stats(db, env) == before
        answer: Any = Client(url, verbose=False).predict(QUESTIONS[0], api_name="/ask")
        assert answer["citations"]
    done = _run(str(REFERAT), "index", "--db", str(db), str(DEMO), env=env)
    assert done.returncode == 0, done.stderr
    assert _cli_stats(db, env)["files"] == len(first) + len(later)


# -- exposure ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("host", "auth", "warned"),
    [("127.0.0.1", None, False), ("0.0.0.0", None, True), ("0.0.0.0", "a:b", False)],
)
def test_serving_beyond_loopback_without_a_login_warns(
    monkeypatch: pytest.MonkeyPatch, host: str, auth: str | None, warned: bool
) -> None:
    from click.testing import CliRunner

    import ui.app
    from ui.cli import cli

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(ui.app, "serve", lambda settings, **kw: calls.append(kw))
    env = {"REFERAT_AUTH": auth} if auth else {"REFERAT_AUTH": ""}
    result = CliRunner().invoke(cli, ["serve", "--host", host], env=env)
    assert result.exit_code == 0, result.output
    assert calls and calls[0]["host"] == host
    assert ("Warning: serving on 0.0.0.0 without a login" in result.output) is warned
    assert ("REFERAT_AUTH=user:password" in result.output) is warned


def test_serve_binds_to_loopback_by_default() -> None:
    from ui.cli import serve

    host = next(p for p in serve.params if p.name == "host")
    assert host.default == "127.0.0.1"


def test_hostile_upload_names_land_inside_the_upload_folder(tmp_path: Path) -> None:
    from ui.app import sanitise_filename, store_uploads

    assert sanitise_filename("/etc/cron.d/evil.txt") == "evil.txt"
    assert sanitise_filename("C:\\Windows\\evil.xml") == "evil.xml"
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    # Names as a browser may send them, as Linux file names: backslashes and dots are legal.
    sneaky = incoming / "..\\..\\..\\evil.txt"
    sneaky.write_text("x", encoding="utf-8")
    script = incoming / "evil.sh"
    script.write_text("x", encoding="utf-8")
    data = tmp_path / "data"
    stored, refused = store_uploads([sneaky, script], data / "uploads")
    assert stored == [(data / "uploads" / "evil.txt").resolve()]
    assert any("evil.sh" in reason for reason in refused)
    written = [p for p in tmp_path.rglob("*") if p.is_file() and incoming not in p.parents]
    assert written == [data / "uploads" / "evil.txt"]


def test_an_unopenable_vector_store_leaves_the_word_index_answering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from index import chroma_store
    from index.open import open_for_writing

    settings = Settings(data_dir=tmp_path, db_dir=tmp_path / "db", embed_model="hash")
    open_for_writing(settings, HashEmbedder()).run(_demo_files())

    def refuse(*_: object) -> None:
        raise chroma_store.StoreUnavailable("attempt to write a readonly database")

    monkeypatch.setattr(chroma_store.ChromaVectorStore, "open", refuse)
    engine = Engine.open(settings, HashEmbedder())
    assert engine.degraded is not None and "read-only" in engine.degraded
    answer = engine.ask(QUESTIONS[0])
    assert answer.found
    assert any("Solgården" in c.title for c in answer.citations)
