"""Opening an index folder: the catalog, the vector store and, for writing, the indexer."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from index.catalog import Catalog
from index.embedder import Embedder
from index.pipeline import (
    Indexer,
    directory_size,
    write_failure_cause,
    write_failure_message,
)
from index.settings import Settings
from index.store import VectorStore


class IndexUnavailable(Exception):
    """No usable index; the message says how to make one."""


class VectorStoreUnreadable(IndexUnavailable):
    """The embedded vector store cannot be opened on a full disk or a read-only folder.

    The catalog and the BM25 index can still be read, so asking degrades to words alone."""


def open_store(settings: Settings) -> VectorStore:
    from index.chroma_store import ChromaVectorStore, StoreUnavailable

    try:
        return ChromaVectorStore.open(settings.db_dir, settings.chroma_url)
    except StoreUnavailable as error:
        cause = "" if settings.chroma_url else write_failure_cause(error, settings.db_dir)
        if cause.startswith("no space"):
            raise VectorStoreUnreadable(
                f"the disk holding {settings.db_dir} is full, and the embedded Chroma store "
                "cannot even be opened for reading without some free space; free some space "
                f"and try again ({error})"
            ) from error
        if cause.startswith("the folder is read-only"):
            raise VectorStoreUnreadable(
                f"the index folder {settings.db_dir} is read-only, and the embedded Chroma store "
                "cannot be opened without writing to it; make the folder writable again "
                f"(nothing in it was changed), or use a Chroma server via REFERAT_CHROMA_URL "
                f"({error})"
            ) from error
        raise IndexUnavailable(str(error)) from error


def open_store_for_reading(settings: Settings) -> tuple[VectorStore, str | None]:
    """The vector store, or on a full disk or read-only folder an empty stand-in and why."""
    from index.store import NoVectorStore

    try:
        return open_store(settings), None
    except VectorStoreUnreadable as error:
        return NoVectorStore(), str(error)


def open_catalog(settings: Settings) -> Catalog:
    try:
        return Catalog.open(settings.db_dir, create=False)
    except FileNotFoundError:
        raise IndexUnavailable(
            f"there is no index in {settings.db_dir} yet; create it with "
            "`referat index PATH...` (or point --db / REFERAT_DB at an existing one)"
        ) from None


def lexical_dir(db_dir: Path) -> Path:
    return db_dir / "lexical"


class LexicalRebuilder:
    """Rebuilds the persisted BM25 index from the catalog after a run that changed something."""

    def __init__(self, db_dir: Path) -> None:
        self.folder = lexical_dir(db_dir)

    def exists(self) -> bool:
        return self.folder.exists()

    def rebuild(self, catalog: Catalog) -> None:
        from index.lexical import LexicalIndex

        rows = catalog.lexical_rows()
        LexicalIndex.build([r[0] for r in rows], [r[1] for r in rows]).save(self.folder)


def open_for_writing(settings: Settings, embedder: Embedder) -> Indexer:
    """The indexer for ``settings.db_dir``; ``IndexUnavailable`` says why it cannot be written."""
    try:
        catalog = Catalog.open(settings.db_dir)
    except (OSError, sqlite3.Error) as error:
        raise IndexUnavailable(
            write_failure_message(settings.db_dir, "opening catalog.sqlite", error)
        ) from error
    return Indexer(
        settings.db_dir, catalog, open_store(settings), embedder, LexicalRebuilder(settings.db_dir)
    )


def index_stats(settings: Settings) -> dict[str, Any]:
    catalog = open_catalog(settings)
    figures = catalog.stats()
    return {
        "meetings": figures.meetings,
        "items": figures.items,
        "closed_items": figures.closed_items,
        "chunks": figures.chunks,
        "files": figures.files,
        "bodies": list(figures.bodies),
        "municipalities": list(figures.municipalities),
        "first_date": figures.first_date,
        "last_date": figures.last_date,
        "last_indexed": figures.last_indexed,
        "embedding_model": catalog.get_meta("embed_model"),
        "chroma": settings.chroma_url or str(settings.db_dir / "chroma"),
        "size_on_disk_mb": round(directory_size(settings.db_dir) / 1e6, 1),
    }
