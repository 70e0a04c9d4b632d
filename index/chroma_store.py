"""Chroma as the vector store: embedded (a persistent folder) or a server. The only chromadb import.

Chroma is always given precomputed vectors; its own embedding function (which would download an
English model) is never used. Nor is it given the chunk text: search results are read back only
as ids and scores, and the text lives in the catalog alone. One copy is smaller and faster (Chroma
would build a full-text index over it) and safer: Chroma keeps what it was given in its own
write-ahead table after a delete, so text given to it could outlive an item that turned closed.
Beside each vector it keeps ``chunk_metadata``: public fields only (a closed item's title is
public; its text never reaches a chunk).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from index.embedder import Vectors
from index.models import Chunk
from index.store import SearchFilter, chunk_metadata

COLLECTION = "referat_chunks"
# Chroma caps how many records one call may carry; stay well below it.
WRITE_BATCH = 2000


SEARCH_EF = 500


class StoreUnavailable(Exception):
    """The vector store cannot be opened; the message says what to do."""


def _chroma_where(search_filter: SearchFilter | None) -> dict[str, Any] | None:
    if search_filter is None:
        return None
    clauses: list[dict[str, Any]] = []
    if search_filter.bodies:
        clauses.append({"body": {"$in": list(search_filter.bodies)}})
    if search_filter.municipality:
        clauses.append({"municipality": search_filter.municipality})
    if search_filter.case_number:
        clauses.append({"case_number": search_filter.case_number})
    if search_filter.date_from:
        clauses.append({"date_int": {"$gte": int(search_filter.date_from.replace("-", ""))}})
    if search_filter.date_to:
        clauses.append({"date_int": {"$lte": int(search_filter.date_to.replace("-", ""))}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class ChromaVectorStore:
    def __init__(self, collection: Any) -> None:
        self._collection = collection

    @classmethod
    def open(cls, db_dir: Path, chroma_url: str | None = None) -> ChromaVectorStore:
        """Embedded Chroma in ``db_dir/chroma``, or the server at ``chroma_url``."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        try:
            if chroma_url:
                url = urlparse(chroma_url)
                if not url.hostname:
                    raise StoreUnavailable(
                        f"REFERAT_CHROMA_URL={chroma_url!r} is not a URL like http://127.0.0.1:8000"
                    )
                client = chromadb.HttpClient(
                    host=url.hostname,
                    port=url.port or (443 if url.scheme == "https" else 8000),
                    ssl=url.scheme == "https",
                    settings=chroma_settings,
                )
            else:
                path = db_dir / "chroma"
                path.mkdir(parents=True, exist_ok=True)
                client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
            collection = client.get_or_create_collection(
                COLLECTION,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine", "ef_construction": 200}},
            )
            # A wide search (ef 100 by default) so that near-equal scores come back the same
            # every time: with the default, which of them made the top 60 varied between
            # processes. Mutable, so older indexes get it too.
            hnsw = (collection.configuration or {}).get("hnsw") or {}
            if hnsw.get("ef_search") != SEARCH_EF:
                collection.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})
        except StoreUnavailable:
            raise
        except Exception as error:
            where = chroma_url or str(db_dir / "chroma")
            hint = (
                "is the server running (chroma run --path DIR --host 127.0.0.1 --port N)?"
                if chroma_url
                else "is the folder writable and not used by another program?"
            )
            raise StoreUnavailable(
                f"cannot open the Chroma store at {where}: {error}; {hint}"
            ) from error
        return cls(collection)

    def upsert(self, chunks: Sequence[Chunk], vectors: Vectors, file_key: str) -> None:
        for start in range(0, len(chunks), WRITE_BATCH):
            batch = chunks[start : start + WRITE_BATCH]
            self._collection.upsert(
                ids=[c.id for c in batch],
                embeddings=vectors[start : start + WRITE_BATCH],
                metadatas=[chunk_metadata(c, file_key) for c in batch],
            )

    def delete_file(self, file_key: str) -> None:
        self._collection.delete(where={"file_key": file_key})

    def query(
        self, vector: Vectors, k: int, search_filter: SearchFilter | None = None
    ) -> list[tuple[str, float]]:
        result = self._collection.query(
            query_embeddings=[vector.reshape(-1)],
            n_results=k,
            where=_chroma_where(search_filter),
            include=["distances"],
        )
        ids = result["ids"][0]
        distances = result["distances"][0] if result.get("distances") else [1.0] * len(ids)
        # Cosine distance is 1 - similarity.
        return [(i, 1.0 - float(d)) for i, d in zip(ids, distances, strict=True)]

    def similarities(self, vector: Vectors, ids: Sequence[str]) -> list[tuple[str, float]]:
        if not ids:
            return []
        found = self._collection.get(ids=list(ids), include=["embeddings"])
        stored = dict(zip(found["ids"], found["embeddings"], strict=True))
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        # Stored vectors are normalised, so the dot product is the cosine the index uses.
        return [
            (c, float(np.asarray(stored[c], dtype=np.float32) @ query)) for c in ids if c in stored
        ]

    def count(self) -> int:
        return int(self._collection.count())

    def ids(self) -> set[str]:
        return set(self._collection.get(include=[])["ids"])
