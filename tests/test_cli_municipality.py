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
