"""16 users at once against a real `referat serve` over the demo minutes, through /ask.

Slow. Indexes demo/fjordby with the model-free hash embedder (``--embed-model hash``) unless
``REFERAT_LOAD_MODEL`` names another model, starts `referat serve` on a free loopback port and
has 16 threads ask several different questions each with gradio_client. Every answer must have
citations and no request may fail; p50 and p95 latency are printed.

Run the figures on their own with ``.venv/bin/python -m tests.test_load [USERS] [ROUNDS]``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.servers import REFERAT, served

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "demo" / "fjordby"
USERS = 16
ROUNDS = 4  # questions per user
# Questions the demo minutes answer with citations (with the hash embedder, too).
QUESTIONS = (
    "Hvad blev der besluttet om Solgården?",
    "Hvad besluttede Byrådet om plejecentret Solgården i maj 2024?",
    "Hvor skal den nye børnehave i Nørreskov bygges?",
    "Hvilke partier var imod den nye indkøbspolitik?",
    "Blev forslaget om gratis bus for unge vedtaget?",
    "Hvad endte man med at beslutte om sortering af madaffald?",
    "Hvad skete der med roklubbens ønske om et nyt bådehus?",
    "Må eleverne have deres mobil i frikvarteret?",
    "Fik friskolen tilskud til sin lejrskoletur?",
    "Må de ansatte fortsat arbejde hjemme?",
    "Kommer der wifi i idrætshallerne?",
    "Hvem blev stedfortræder i Folkeoplysningsudvalget?",
)


def referat_env(data_dir: Path, model: str = "hash") -> dict[str, str]:
    env = {
        **os.environ,
        "REFERAT_DATA_DIR": str(data_dir),
        "REFERAT_EMBED_MODEL": model,
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    for name in ("REFERAT_DB", "REFERAT_CHROMA_URL", "REFERAT_AUTH", "REFERAT_LLM_URL"):
        env.pop(name, None)
    return env


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    uncited: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def summary(self, users: int) -> str:
        return (
            f"{users} users, {len(self.latencies)} answers in {self.seconds:.1f} s: "
            f"p50 {self.percentile(50):.2f} s, p95 {self.percentile(95):.2f} s, "
            f"max {max(self.latencies, default=float('nan')):.2f} s, "
            f"mean {statistics.fmean(self.latencies) if self.latencies else float('nan'):.2f} s, "
            f"{len(self.errors)} errors, {len(self.uncited)} without citations"
        )


def run_load(url: str, users: int = USERS, rounds: int = ROUNDS) -> LoadResult:
    """``users`` threads, each with its own client, asking ``rounds`` different questions."""
    from gradio_client import Client

    result = LoadResult()
    guard = threading.Lock()
    start = threading.Barrier(users)

    def user(n: int) -> None:
        try:
            client = Client(url, verbose=False)
        except Exception as error:  # a failed connection is a failed user, reported below
            with guard:
                result.errors.append(f"user {n} could not connect: {error}")
            start.abort()
            return
        try:
            start.wait(120)
        except threading.BrokenBarrierError:
            return
        for r in range(rounds):
            question = QUESTIONS[(n + r * 5) % len(QUESTIONS)]
            began = time.perf_counter()
            try:
                answer: Any = client.predict(question, api_name="/ask")
            except Exception as error:
                with guard:
                    result.errors.append(f"user {n}: {question!r}: {error}")
                continue
            took = time.perf_counter() - began
            with guard:
                result.latencies.append(took)
                if not (isinstance(answer, dict) and answer.get("citations")):
                    result.uncited.append(question)
                elif answer.get("question") != question:
                    result.errors.append(f"user {n} got the answer to {answer.get('question')!r}")

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    result.seconds = time.perf_counter() - began
    return result


def build_demo_index(db: Path, env: dict[str, str]) -> None:
    built = subprocess.run(
        [str(REFERAT), "index", "--db", str(db), str(DEMO)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if built.returncode != 0:
        raise RuntimeError(f"indexing the demo minutes failed:\n{built.stderr[-3000:]}")


@pytest.mark.slow
def test_sixteen_users_at_once_all_get_cited_answers(tmp_path: Path) -> None:
    if not REFERAT.exists():
        pytest.skip(f"the referat command is not installed beside {sys.executable}")
    pytest.importorskip("gradio_client")
    env = referat_env(tmp_path / "data", os.environ.get("REFERAT_LOAD_MODEL", "hash"))
    db = tmp_path / "db"
    build_demo_index(db, env)
    with served(db, env) as url:
        result = run_load(url)
    print("\n" + result.summary(USERS))
    assert not result.errors, result.errors[:5]
    assert len(result.latencies) == USERS * ROUNDS
    assert not result.uncited, sorted(set(result.uncited))


def main(argv: list[str]) -> int:
    users = int(argv[0]) if argv else USERS
    rounds = int(argv[1]) if len(argv) > 1 else ROUNDS
    model = os.environ.get("REFERAT_LOAD_MODEL", "hash")
    with tempfile.TemporaryDirectory(prefix="referat-load-") as folder:
        env = referat_env(Path(folder) / "data", model)
        db = Path(folder) / "db"
        build_demo_index(db, env)
        with served(db, env) as url:
            result = run_load(url, users, rounds)
    print(f"model {model}: {result.summary(users)}")
    for error in result.errors[:5]:
        print(f"  error: {error}")
    return 1 if result.errors or result.uncited else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
