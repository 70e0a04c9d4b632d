"""Choose the chunk size by measurement: index the same minutes with several chunk sizes and
score the same questions on each.

    python -m eval.tune_chunks --questions eval/questions/demo.jsonl demo/fjordby 600/100 1000/150

Each size is indexed into a fresh temporary folder with the configured embedder.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from eval.questions import load_questions
from eval.runner import run_engine, score
from index.catalog import Catalog
from index.chunking import ChunkingConfig
from index.embedder import load_embedder
from index.open import LexicalRebuilder, open_store
from index.pipeline import Indexer
from index.settings import load_settings
from rag.engine import Engine


@click.command()
@click.option("--questions", "question_files", multiple=True, required=True, type=click.Path())
@click.option("--paths", "paths", multiple=True, required=True, type=click.Path(exists=True))
@click.argument("sizes", nargs=-1, required=True)
def main(question_files: tuple[str, ...], paths: tuple[str, ...], sizes: tuple[str, ...]) -> None:
    """SIZES are CHUNK_SIZE/OVERLAP pairs, e.g. 600/100."""
    settings = load_settings()
    embedder = load_embedder(settings)
    questions = [q for f in question_files for q in load_questions(Path(f))]
    click.echo(
        f"{'size':>10} {'chunks':>7} {'r@1':>6} {'r@3':>6} {'r@5':>6} {'mrr':>6} {'contains':>9}"
    )
    for size in sizes:
        chunk_size, overlap = (int(x) for x in size.split("/"))
        with tempfile.TemporaryDirectory(prefix="referat-tune-") as folder:
            db = Path(folder)
            tuned = settings.with_overrides(db_dir=db)
            catalog = Catalog.open(db)
            store = open_store(tuned)
            Indexer(
                db,
                catalog,
                store,
                embedder,
                LexicalRebuilder(db),
                ChunkingConfig(chunk_size, overlap),
            ).run(paths)
            engine = Engine.open(tuned, embedder)
            scores = score(run_engine(engine.ask, questions))
            click.echo(
                f"{size:>10} {catalog.stats().chunks:>7} {scores.recall_at[1]:>6.3f} "
                f"{scores.recall_at[3]:>6.3f} {scores.recall_at[5]:>6.3f} "
                f"{scores.mrr_at_10:>6.3f} {scores.answer_contains or 0:>9.3f}"
            )


if __name__ == "__main__":
    main()
