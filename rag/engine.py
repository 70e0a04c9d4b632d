"""The engine the CLI, the chat and the eval share: an opened index plus the answer pipeline."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from index.catalog import Catalog, ItemRecord
from index.embedder import Embedder
from index.lexical import LexicalIndex
from index.open import lexical_dir, open_catalog, open_store
from index.settings import Settings
from index.store import SearchFilter, VectorStore
from rag.answer import Answer, AnswerConfig, TrailStep, answer_question, trail_for
from rag.retriever import RetrievalConfig, Retriever


class Engine:
    def __init__(
        self,
        catalog: Catalog,
        store: VectorStore,
        embedder: Embedder,
        lexical: LexicalIndex | None,
        retrieval: RetrievalConfig | None = None,
        answering: AnswerConfig | None = None,
    ) -> None:
        self.catalog = catalog
        self.retriever = Retriever(catalog, store, embedder, lexical, retrieval)
        self.answering = answering or AnswerConfig()

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None) -> Engine:
        """Open the index in ``settings.db_dir``; raises ``IndexUnavailable`` with advice."""
        from index.embedder import load_embedder
        from index.pipeline import ensure_same_model

        catalog = open_catalog(settings)
        embedder = embedder or load_embedder(settings)
        ensure_same_model(catalog, embedder.name, settings.db_dir)
        folder = lexical_dir(settings.db_dir)
        lexical = LexicalIndex.load(folder) if folder.exists() else None
        return cls(catalog, open_store(settings), embedder, lexical)

    def ask(self, question: str, search_filter: SearchFilter | None = None, k: int = 5) -> Answer:
        return answer_question(self.retriever, question, search_filter, k, self.answering)

    def item(self, item_id: str) -> ItemRecord | None:
        return self.catalog.item(item_id)

    def trail(self, item_id: str) -> tuple[TrailStep, ...]:
        record = self.catalog.item(item_id)
        return trail_for(self.catalog, record) if record else ()


CITATION_FIELDS = (
    "meeting_date",
    "body",
    "municipality",
    "item",
    "title",
    "case_number",
    "section",
    "source",
    "quote",
    "closed",
    "outcome",
)


def answer_to_json(answer: Answer) -> dict[str, Any]:
    """The public JSON shape of an answer (``referat ask --json``, the /ask API, the eval)."""

    def citation(c: Any) -> dict[str, Any]:
        data = asdict(c)
        out = {name: data[name] for name in CITATION_FIELDS}
        out["vote"] = data.get("vote")
        out["item_id"] = data["item_id"]
        return out

    return {
        "question": answer.question,
        "answer": answer.answer,
        "found": answer.found,
        "citations": [citation(c) for c in answer.citations],
        "trail": [asdict(step) for step in answer.trail],
        "suggestions": [citation(c) for c in answer.suggestions],
    }
