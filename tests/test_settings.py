"""Settings come from the environment in one place, and a bad value is named with its choices."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from index.settings import SettingsError, load_settings
from ui.cli import cli


def test_settings_from_the_environment() -> None:
    settings = load_settings(
        {"REFERAT_DATA_DIR": "/data", "REFERAT_EMBED_PRECISION": "fp32", "REFERAT_LLM_URL": "x"}
    )
    assert settings.data_dir == Path("/data") and settings.db_dir == Path("/data/db")
    assert settings.embed_precision == "fp32" and settings.llm_url == "x"
    assert load_settings({"REFERAT_DATA_DIR": "/d"}).embed_precision == "auto"


def test_an_unknown_precision_is_named_with_the_choices() -> None:
    with pytest.raises(SettingsError, match=r"REFERAT_EMBED_PRECISION='fp8'.*auto, fp32, bf16"):
        load_settings({"REFERAT_EMBED_PRECISION": "fp8"})


def test_the_cli_reports_a_bad_setting_without_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFERAT_EMBED_PRECISION", "fp8")
    result = CliRunner().invoke(cli, ["stats", "--db", "/nonexistent"])
    assert result.exit_code == 1
    assert "REFERAT_EMBED_PRECISION='fp8'" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
