"""`referat ask --municipality`: one municipality's minutes, and a clear word for an unknown one."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import DEMO
from ui.cli import cli

QUESTION = "Hvad blev der besluttet om Solgården?"


def test_municipality_filter_narrows_and_an_unknown_one_is_named(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "db")
    runner.invoke(cli, ["index", "--db", db, "--embed-model", "hash", str(DEMO / "fjordby")])
    base = ["ask", "--db", db, "--embed-model", "hash", "--json"]
    found = runner.invoke(cli, [*base, "--municipality", "fjordby", QUESTION])
    assert found.exit_code == 0, found.output
    answer = json.loads(found.output)
    assert answer["citations"]
    assert {c["municipality"] for c in answer["citations"]} == {"Fjordby"}
    unknown = runner.invoke(cli, [*base, "--municipality", "Greve", QUESTION])
    assert unknown.exit_code != 0
    assert "Greve" in unknown.output and "Fjordby" in unknown.output


def test_a_case_number_is_matched_as_the_chat_matches_it(tmp_path: Path) -> None:
    # Typed with spaces around it, as pasted: the same normalising as the chat's field.
    runner = CliRunner()
    db = str(tmp_path / "db")
    runner.invoke(cli, ["index", "--db", db, "--embed-model", "hash", str(DEMO / "fjordby")])
    base = ["ask", "--db", db, "--embed-model", "hash", "--json"]
    found = runner.invoke(cli, [*base, "--case", " 24-003117 ", QUESTION])
    assert found.exit_code == 0, found.output
    answer = json.loads(found.output)
    assert answer["found"] and answer["citations"]
    assert {c["case_number"] for c in answer["citations"]} == {"24-003117"}
