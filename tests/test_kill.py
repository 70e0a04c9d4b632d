"""kill -9 in the middle of `referat index`, then `referat index` again: the index must equal a
clean build. Runs the real command line in a subprocess, with the model-free hash embedder."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.minutes_factory import FakeItem, FakeMeeting, render

REFERAT = Path(sys.executable).parent / "referat"


def _corpus(folder: Path, meetings: int) -> None:
    folder.mkdir(parents=True)
    for n in range(meetings):
        items = tuple(
            FakeItem(
                i,
                f"Sag {n}-{i} om vej nummer {i}",
                f"24/{n * 100 + i}",
                (
                    (
                        "Baggrund",
                        " ".join(f"Sætning {k} om emne {n} og punkt {i}." for k in range(60)),
                    ),
                ),
                f"Godkendt for møde {n}.",
            )
            for i in range(1, 9)
        )
        date = f"{1 + n % 28:02d}-{1 + n % 12:02d}-2024"
        (folder / f"m{n:03d}.txt").write_text(render(FakeMeeting(date, items=items)), "utf-8")


def _index(db: Path, minutes: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "REFERAT_EMBED_MODEL": "hash"}
    return subprocess.Popen(
        [str(REFERAT), "index", "--db", str(db), "--json", str(minutes)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )


def _stats(db: Path) -> dict[str, object]:
    env = {**os.environ, "REFERAT_EMBED_MODEL": "hash"}
    out = subprocess.run(
        [str(REFERAT), "stats", "--db", str(db), "--json"], capture_output=True, env=env, check=True
    )
    figures = json.loads(out.stdout)
    return {k: figures[k] for k in ("meetings", "items", "closed_items", "chunks", "files")}


def _chunk_rows(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db / "catalog.sqlite") as connection:
        return connection.execute("SELECT chunk_id, text FROM chunks ORDER BY chunk_id").fetchall()


QUESTIONS = (
    "Hvad blev besluttet om vej nummer 3?",
    "Sag 7-2 om vej nummer 2",
    "Hvad blev godkendt for møde 41?",
)


def _answers(db: Path) -> list[dict[str, Any]]:
    """`referat ask --json` for a fixed question set."""
    env = {**os.environ, "REFERAT_EMBED_MODEL": "hash"}
    answers = []
    for question in QUESTIONS:
        out = subprocess.run(
            [str(REFERAT), "ask", "--db", str(db), "--json", question],
            capture_output=True,
            env=env,
            check=True,
        )
        answers.append(json.loads(out.stdout))
    return answers


def _vector_ids(db: Path) -> set[str]:
    from index.chroma_store import ChromaVectorStore

    return ChromaVectorStore.open(db).ids()


@pytest.mark.slow
def test_kill_9_mid_index_then_rerun_equals_a_clean_build(tmp_path: Path) -> None:
    if not REFERAT.exists():
        pytest.skip("the referat command is not installed in this environment")
    minutes = tmp_path / "minutes"
    _corpus(minutes, 60)
    clean = tmp_path / "clean"
    assert _index(clean, minutes).wait(timeout=600) == 0

    killed = tmp_path / "killed"
    process = _index(killed, minutes)
    # Wait until some, but not all, files are in, then kill -9.
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        catalog = killed / "catalog.sqlite"
        if catalog.exists():
            try:
                with sqlite3.connect(catalog) as connection:
                    done = connection.execute("SELECT COUNT(*) FROM files").fetchone()[0]
            except sqlite3.OperationalError:
                done = 0
            if done >= 5:
                break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert _stats(killed)["files"] < 60, "the run finished before it could be killed"

    rerun = _index(killed, minutes)
    out, _ = rerun.communicate(timeout=600)
    assert rerun.returncode == 0
    assert json.loads(out)["indexed"] > 0
    assert _stats(killed) == _stats(clean)
    assert _chunk_rows(killed) == _chunk_rows(clean)
    assert _vector_ids(killed) == _vector_ids(clean)
    clean_answers = _answers(clean)
    assert any(answer["citations"] for answer in clean_answers)
    assert _answers(killed) == clean_answers
    assert (killed / "lexical").exists()
