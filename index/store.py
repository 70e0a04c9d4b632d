"""The vector-store seam: a small protocol, the filter it understands, and an in-memory fake.

The real backend (Chroma, embedded or server) lives in ``index.chroma_store`` — the only module
that imports chromadb. Stores are always given precomputed vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from index.embedder import Vectors
from index.models import Chunk


def case_number_filter(text: str | None) -> str | None:
    """A case number as typed by a user ("  24-006588 ", "23/12345-a"), as the index holds it;
    None for none. The command line and the chat both use it."""
    return (text or "").strip().upper() or None


@dataclass(frozen=True)
class SearchFilter:
    """Restrictions on which chunks may be returned. Dates are ISO strings, inclusive."""

    bodies: tuple[str, ...] = ()
    municipality: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    case_number: str | None = None

    @property
    def is_empty(self) -> bool:
        return self == SearchFilter()

    def accepts(self, chunk_meta: dict[str, object]) -> bool:
        """The same rules as the store's query filter, for code that filters in Python."""
        if self.bodies and chunk_meta.get("body") not in self.bodies:
            return False
        if self.municipality and chunk_meta.get("municipality") != self.municipality:
            return False
        if self.case_number and chunk_meta.get("case_number") != self.case_number:
            return False
        date = str(chunk_meta.get("meeting_date", ""))
        if self.date_from and date < self.date_from:
            return False
        return not (self.date_to and date > self.date_to)


def chunk_metadata(chunk: Chunk, file_key: str) -> dict[str, str | int | bool]:
    """Flat metadata as stored beside each vector (no None values: stores reject them)."""
    meta: dict[str, str | int | bool] = {
        "file_key": file_key,
        "source": chunk.source,
        "meeting_id": chunk.meeting_id,
        "item_id": chunk.item_id,
        "body": chunk.body,
        "meeting_date": chunk.meeting_date,
        "date_int": chunk.date_int,
        "item_number": chunk.item_number,
        "title": chunk.title,
        "section": chunk.section,
        "is_decision": chunk.is_decision,
        "block": chunk.block,
        "closed": chunk.closed,
        "start": chunk.start,
        "end": chunk.end,
    }
    optional = {
        "municipality": chunk.municipality,
        "case_number": chunk.case_number,
        "decision_body": chunk.decision_body,
        "decision_date": chunk.decision_date,
    }
    meta.update({k: v for k, v in optional.items() if v is not None})
    return meta


class VectorStore(Protocol):
    def upsert(self, chunks: Sequence[Chunk], vectors: Vectors, file_key: str) -> None: ...

    def delete_file(self, file_key: str) -> None:
        """Remove every chunk that came from this file, including ones no catalog knows of."""
        ...

    def query(
        self, vector: Vectors, k: int, search_filter: SearchFilter | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) best first."""
        ...

    def similarities(self, vector: Vectors, ids: Sequence[str]) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the given chunks, in their order; unknown ids left
        out."""
        ...

    def count(self) -> int: ...


class NoVectorStore:
    """Stands in for a vector store that cannot be opened: finds nothing, accepts nothing.

    Asking then rests on the BM25 index alone, which still answers most Danish questions."""

    def upsert(self, chunks: Sequence[Chunk], vectors: Vectors, file_key: str) -> None:
        raise RuntimeError("no vector store is open; nothing can be indexed")

    def delete_file(self, file_key: str) -> None:
        raise RuntimeError("no vector store is open; nothing can be removed")

    def query(
        self, vector: Vectors, k: int, search_filter: SearchFilter | None = None
    ) -> list[tuple[str, float]]:
        return []

    def similarities(self, vector: Vectors, ids: Sequence[str]) -> list[tuple[str, float]]:
        return []

    def count(self) -> int:
        return 0


class MemoryVectorStore:
    """Brute-force cosine search in memory: the fake for tests, exact by construction."""

    def __init__(self) -> None:
        self._vectors: dict[str, Vectors] = {}
        self._meta: dict[str, dict[str, str | int | bool]] = {}

    def upsert(self, chunks: Sequence[Chunk], vectors: Vectors, file_key: str) -> None:
        for chunk, vector in zip(chunks, vectors, strict=True):
            self._vectors[chunk.id] = np.asarray(vector, dtype=np.float32)
            self._meta[chunk.id] = chunk_metadata(chunk, file_key)

    def delete_file(self, file_key: str) -> None:
        for chunk_id in [c for c, m in self._meta.items() if m["file_key"] == file_key]:
            del self._vectors[chunk_id], self._meta[chunk_id]

    def query(
        self, vector: Vectors, k: int, search_filter: SearchFilter | None = None
    ) -> list[tuple[str, float]]:
        ids = [
            c
            for c, m in self._meta.items()
            if search_filter is None or search_filter.accepts(dict(m))
        ]
        if not ids:
            return []
        matrix = np.stack([self._vectors[c] for c in ids])
        scores = matrix @ np.asarray(vector, dtype=np.float32).reshape(-1)
        order = np.argsort(-scores, kind="stable")[:k]
        return [(ids[i], float(scores[i])) for i in order]

    def similarities(self, vector: Vectors, ids: Sequence[str]) -> list[tuple[str, float]]:
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        return [(c, float(self._vectors[c] @ query)) for c in ids if c in self._vectors]

    def count(self) -> int:
        return len(self._vectors)

    def ids(self) -> set[str]:
        return set(self._vectors)
