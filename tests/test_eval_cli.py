"""`referat eval` over the demo minutes with the model-free embedder: its table, its parts."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from eval.questions import held_out, load_questions
from tests.conftest import DEMO
from ui.cli import cli

QUESTIONS = DEMO.parent / "eval" / "questions" / "demo.jsonl"
MINUTES = str(DEMO / "fjordby")


def test_eval_prints_referat_and_its_tuning_and_held_out_parts(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "db")
    indexed = runner.invoke(cli, ["index", "--db", db, "--embed-model", "hash", MINUTES])
    assert indexed.exit_code == 0, indexed.output
    out = runner.invoke(
        cli, ["eval", "--db", db, "--embed-model", "hash", "--no-baselines", str(QUESTIONS)]
    )
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    header = next(line for line in lines if "referat" in line and "held out" in line)
    assert header.split() == ["referat", "tuning", "part", "held", "out"]
    counts = next(line for line in lines if line.startswith("questions")).split()[1:]
    questions = load_questions(QUESTIONS)
    held = sum(held_out(q) for q in questions)
    assert [int(c) for c in counts] == [len(questions), len(questions) - held, held]
    assert 0 < held < len(questions)


def test_eval_json_gives_one_line_per_question_with_the_ask_fields(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "db")
    runner.invoke(cli, ["index", "--db", db, "--embed-model", "hash", MINUTES])
    out = runner.invoke(
        cli, ["eval", "--db", db, "--embed-model", "hash", "--json", str(QUESTIONS)]
    )
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in out.output.splitlines() if line.startswith("{")]
    assert [r["id"] for r in rows] == [q.id for q in load_questions(QUESTIONS)]
    assert {"question", "answer", "found", "citations", "trail"} <= set(rows[0])
