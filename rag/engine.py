"""The engine the CLI, the chat and the eval share: an opened index plus the answer pipeline."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from index.catalog import Catalog, ItemRecord
from index.embedder import Embedder
from index.lexical import LexicalIndex
from index.open import lexical_dir, open_catalog, open_store_for_reading
from index.settings import Settings
from index.store import SearchFilter, VectorStore
from rag.answer import Answer, AnswerConfig, TrailStep, answer_question, trail_for
from rag.llm import AnswerGenerator, answer_fields, generate_answer, generator_from_settings
from rag.reader import Reader, load_reader
from rag.reading import ReadingConfig
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
        generator: AnswerGenerator | None = None,
        reader: Reader | None = None,
        reading: ReadingConfig | None = None,
    ) -> None:
        self.catalog = catalog
        self.retriever = Retriever(catalog, store, embedder, lexical, retrieval)
        self.answering = answering or AnswerConfig()
        # The optional generative mode (rag.llm): None, the default, answers extractively.
        self.generator = generator
        # The reader (rag.reader) that re-ranks and refuses; None: the rules alone.
        self.reader = reader
        self.reading = reading or ReadingConfig()
        #: Why answers rest on the BM25 index alone (the vector store cannot be opened), or None.
        self.degraded: str | None = None

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None) -> Engine:
        """Open the index in ``settings.db_dir``; raises ``IndexUnavailable`` with advice.

        With ``settings.llm_url`` set, answers are also rewritten by that model (rag.llm)."""
        from index.embedder import load_embedder
        from index.open import IndexUnavailable
        from index.pipeline import ensure_same_model

        catalog = open_catalog(settings)
        embedder = embedder or load_embedder(settings)
        ensure_same_model(catalog, embedder.name, settings.db_dir)
        folder = lexical_dir(settings.db_dir)
        lexical = LexicalIndex.load(folder) if folder.exists() else None
        generator = generator_from_settings(settings)
        store, degraded = open_store_for_reading(settings)
        if degraded and lexical is None:
            raise IndexUnavailable(degraded)
        reader = load_reader(settings)
        engine = cls(catalog, store, embedder, lexical, generator=generator, reader=reader)
        engine.degraded = degraded
        return engine

    def ask(self, question: str, search_filter: SearchFilter | None = None, k: int = 5) -> Answer:
        answer = answer_question(
            self.retriever, question, search_filter, k, self.answering, self.reader, self.reading
        )
        if self.generator is None:
            return answer
        return generate_answer(self.generator, answer)

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
        # The optional generative mode: whether "answer" is the model's checked text, and
        # why it fell back to the extractive answer when it did (None otherwise).
        **answer_fields(answer),
    }
