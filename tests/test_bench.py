"""`referat bench`: its figures are consistent with each other and with the index it built.

Speed itself is not asserted (that is what the benchmark reports); the fake embedder keeps the
fast test fast, and the slow test runs the real model over the seeds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from eval.bench import BenchResult, generated_questions, percentile, run_bench
from index.catalog import Catalog
from index.embedder import load_embedder
from index.settings import Settings
from tests.conftest import DEMO
from ui.cli import cli

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_percentile_interpolates_between_ranks() -> None:
    # Ranks 0..3 hold 10, 20, 30, 40: p50 sits halfway between 20 and 30, p95 at rank 2.85.
    assert percentile([40, 10, 30, 20], 50) == pytest.approx(25.0)
    assert percentile([40, 10, 30, 20], 95) == pytest.approx(30 + 0.85 * 10)
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)


def assert_consistent(result: BenchResult, db_dir: Path) -> None:
    catalog = Catalog.open(db_dir, create=False)
    stats = catalog.stats()
    assert (result.chunks, result.meetings, result.items) == (
        stats.chunks,
        stats.meetings,
        stats.items,
    )
    assert result.chunks > 0
    assert result.encode_sample == min(result.chunks, 2000)
    assert result.parse_chunk_s > 0
    assert result.index_chunks_per_s == pytest.approx(result.chunks / result.index_s, rel=0.02)
    assert 0 < result.reindex_unchanged_s < result.index_s
    # The profile's parts add up to the whole run (each is rounded to 0.01 s).
    assert sum(result.profile_s.values()) == pytest.approx(result.index_s, abs=0.05)
    assert result.profile_s["embed"] > 0
    assert result.queries == len(result.latencies_ms) >= 50
    assert 0 < result.query_p50_ms <= result.query_p95_ms <= result.query_max_ms
    assert result.query_max_ms == pytest.approx(max(result.latencies_ms), abs=0.1)
    assert result.peak_rss_mb > 0 and result.serve_peak_rss_mb > 0


def test_bench_over_the_demo_with_the_fake_embedder(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, db_dir=tmp_path / "db", embed_model="hash")
    result = run_bench([DEMO / "fjordby"], settings, load_embedder(settings))
    assert_consistent(result, settings.db_dir)
    assert result.meetings == 16
    assert result.embed_model == "hash"


def test_bench_refuses_an_index_that_already_has_content(tmp_path: Path) -> None:
    db = tmp_path / "db"
    db.mkdir()
    (db / "catalog.sqlite").write_bytes(b"")
    settings = Settings(data_dir=tmp_path, db_dir=db, embed_model="hash")
    with pytest.raises(FileExistsError, match="not empty"):
        run_bench([DEMO / "fjordby"], settings, load_embedder(settings))


def test_generated_questions_are_varied_and_skip_closed_items(tmp_path: Path) -> None:
    runner = CliRunner()
    db = tmp_path / "db"
    runner.invoke(cli, ["index", "--db", str(db), "--embed-model", "hash", str(DEMO / "fjordby")])
    records = Catalog.open(db, create=False).items_where()
    questions = generated_questions(records, 60)
    assert len(questions) == 60
    assert len(set(questions)) >= 55
    closed_titles = {r.title for r in records if r.item.closed}
    assert not any(title in q for q in questions for title in closed_titles if len(title) > 8)
    assert any(q.startswith("What was decided") for q in questions)
    assert any(q.startswith("Hvilke sager behandlede") for q in questions)


def test_ask_only_times_an_existing_index_per_reader(tmp_path: Path) -> None:
    db = tmp_path / "db"
    runner = CliRunner()
    runner.invoke(cli, ["index", "--db", str(db), "--embed-model", "hash", str(DEMO / "fjordby")])
    out = runner.invoke(
        cli,
        [
            *("bench", "--ask-only", "--json", "--db", str(db), "--embed-model", "hash"),
            *("--reader", "off", "--reader", "overlap"),
        ],
        env={"REFERAT_DATA_DIR": str(tmp_path)},
    )
    assert out.exit_code == 0, out.output
    figures = json.loads(out.output.strip().splitlines()[-1])
    assert list(figures) == ["off", "overlap"]
    for row in figures.values():
        assert row["meetings"] == 16 and row["queries"] >= 50
        assert 0 < row["query_p50_ms"] <= row["query_p95_ms"] <= row["query_max_ms"]
    assert figures["off"]["reader"] is None
    assert figures["overlap"]["reader"] == "overlap"  # the child process really used it


def test_ask_only_needs_an_index(tmp_path: Path) -> None:
    out = CliRunner().invoke(cli, ["bench", "--ask-only", "--db", str(tmp_path / "none")])
    assert out.exit_code != 0
    assert "has none" in out.output


def test_referat_bench_writes_report_plot_and_json(tmp_path: Path) -> None:
    results = tmp_path / "results"
    out = CliRunner().invoke(
        cli,
        [
            "bench",
            "--json",
            "--embed-model",
            "hash",
            "--db",
            str(tmp_path / "db"),
            "--results",
            str(results),
            str(DEMO / "fjordby"),
        ],
    )
    assert out.exit_code == 0, out.output
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    for key in (
        "encode_chunks_per_s",
        "index_chunks_per_s",
        "index_s",
        "reindex_unchanged_s",
        "query_p50_ms",
        "query_p95_ms",
        "peak_rss_mb",
        "chunks",
        "meetings",
        "embedder",
    ):
        assert key in figures
    saved = json.loads((results / "bench.json").read_text())
    assert saved["chunks"] == figures["chunks"]
    assert len(saved["latencies_ms"]) == figures["queries"]
    assert (results / "latency.png").read_bytes().startswith(PNG_MAGIC)
    report = (results / "report.md").read_text()
    assert f"| chunks | {figures['chunks']:,} |" in report
    assert "latency.png" in report


@pytest.mark.slow
def test_bench_over_the_seeds_with_the_real_model(tmp_path: Path, shared_dir: Path) -> None:
    from index.settings import load_settings

    models = load_settings().data_dir
    settings = Settings(data_dir=models, db_dir=tmp_path / "db")
    result = run_bench([shared_dir / "seeds"], settings, load_embedder(settings))
    assert_consistent(result, settings.db_dir)
    assert result.meetings == 5
    assert result.embedder["name"] == "multilingual-e5-small"
    assert result.encode_chunks_per_s > 0
