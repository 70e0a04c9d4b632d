"""`referat ask --municipality`: one municipality's minutes, and a clear word for an unknown one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import DEMO
from ui.cli import cli

QUESTION = "Hvad blev der besluttet om Solgården?"


@pytest.fixture
def ask(tmp_path: Path) -> list[str]:
    """The start of an `ask --json` command line over the demo, indexed into ``tmp_path``."""
    db = str(tmp_path / "db")
    CliRunner().invoke(cli, ["index", "--db", db, "--embed-model", "hash", str(DEMO / "fjordby")])
    return ["ask", "--db", db, "--embed-model", "hash", "--json"]


def test_municipality_filter_narrows_and_an_unknown_one_is_named(ask: list[str]) -> None:
    runner = CliRunner()
    found = runner.invoke(cli, [*ask, "--municipality", "fjordby", QUESTION])
    assert found.exit_code == 0, found.output
    answer = json.loads(found.output)
    assert answer["citations"]
    assert {c["municipality"] for c in answer["citations"]} == {"Fjordby"}
    unknown = runner.invoke(cli, [*ask, "--municipality", "Greve", QUESTION])
    assert unknown.exit_code != 0
    assert "Greve" in unknown.output and "Fjordby" in unknown.output


def test_a_case_number_is_matched_as_the_chat_matches_it(ask: list[str]) -> None:
    # Typed with spaces around it, as pasted: the same normalising as the chat's field.
    found = CliRunner().invoke(cli, [*ask, "--case", " 24-003117 ", QUESTION])
    assert found.exit_code == 0, found.output
    answer = json.loads(found.output)
    assert answer["found"] and answer["citations"]
    assert {c["case_number"] for c in answer["citations"]} == {"24-003117"}
