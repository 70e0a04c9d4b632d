"""Hybrid retrieval: dense (vectors in the store) + lexical (Danish BM25), fused, grouped to items.

Everything it touches is injected: catalog, vector store, embedder and lexical index. What the
question says about time, bodies and case numbers narrows the search (see ``rag.query``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from index.catalog import Catalog, ItemRecord
from index.embedder import Embedder, Vectors
from index.facets import ChunkFacets
from index.lexical import LexicalIndex
from index.models import Chunk
from index.store import SearchFilter, VectorStore
from rag.evidence import coverage, item_texts, name_words
from rag.fusion import group_by, reciprocal_rank_fusion
from rag.query import QueryIntent, parse_query, years_named

# Below this share of the question's content words an item hardly answers it: the default
# "not found" threshold (rag.answer.AnswerConfig.min_coverage), and when a date hint gives way.
WEAK_COVERAGE = 0.28


@dataclass(frozen=True)
class RetrievalConfig:
    candidates: int = 60  # chunks taken from each retriever before fusion
    filter_overfetch: int = 2000  # unfiltered dense hits to filter before asking the store to
    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    decision_boost: float = 1.15  # for questions about what was decided
    passages_per_item: int = 3
    complete_scores: bool = True  # score each retriever's candidates by the other too


@dataclass(frozen=True)
class Passage:
    chunk: Chunk
    score: float


@dataclass(frozen=True)
class ItemHit:
    record: ItemRecord
    score: float
    passages: tuple[Passage, ...]
    best_dense: float  # cosine of the item's best passage
    best_lexical: float
    coverage: float = 1.0  # share of the question's content the item contains (rag.evidence)
    topic_coverage: float = 1.0  # the same, the question's names (places, people) left out
    # The same with names but without the verbs that say what happens ("stilles op", "åbner").
    coverage_without_verbs: float = 1.0
    # How well the reader (rag.reading) found the item answers the question; None unread.
    reader: float | None = None


@dataclass(frozen=True)
class Retrieval:
    intent: QueryIntent
    search_filter: SearchFilter
    hits: tuple[ItemHit, ...]
    # Names in the question ("Esbjerg") that no minutes in the archive contain: a question
    # about a place or party the minutes never mention is not answered by them.
    unseen_names: tuple[str, ...] = ()


def merge_filters(user: SearchFilter, intent: QueryIntent, catalog: Catalog) -> SearchFilter:
    """The user's explicit filters win; the question's own hints fill the gaps."""
    merged = user
    if not merged.bodies and intent.body:
        merged = replace(merged, bodies=(intent.body,))
    if not (merged.date_from or merged.date_to):
        if intent.latest_meeting:
            latest = catalog.latest_meeting_date(merged.bodies)
            if latest:
                merged = replace(merged, date_from=latest, date_to=latest)
        elif intent.date_from or intent.date_to:
            merged = replace(merged, date_from=intent.date_from, date_to=intent.date_to)
    if not merged.case_number and intent.case_number:
        merged = replace(merged, case_number=intent.case_number)
    return merged


class Retriever:
    def __init__(
        self,
        catalog: Catalog,
        store: VectorStore,
        embedder: Embedder,
        lexical: LexicalIndex | None,
        config: RetrievalConfig | None = None,
        today: date | None = None,
    ) -> None:
        self.catalog = catalog
        self.store = store
        self.embedder = embedder
        self.lexical = lexical
        self._facets: ChunkFacets | None = None  # loaded on the first filtered question
        self.config = config or RetrievalConfig()
        self.today = today
        self._bodies = tuple(catalog.bodies())

    def refresh(self) -> None:
        self._bodies = tuple(self.catalog.bodies())

    def intent(self, question: str) -> QueryIntent:
        return parse_query(question, self.today or date.today(), self._bodies)

    def search(
        self, question: str, user_filter: SearchFilter | None = None, k: int = 5
    ) -> Retrieval:
        intent = self.intent(question)
        user = user_filter or SearchFilter()
        search_filter = merge_filters(user, intent, self.catalog)
        # Embedded once: a second search with fewer filters asks with the same vector.
        vector = self.embedder.embed_query(question)
        hits = self._search(question, intent, search_filter, k, vector)
        undated = replace(search_filter, date_from=user.date_from, date_to=user.date_to)
        # The question's own one-year filter ("i 2024"), not one the user chose.
        year = None if user.date_from or user.date_to else _whole_year(search_filter)
        dated_weakly = undated != search_filter and _best_coverage(hits) < WEAK_COVERAGE
        if dated_weakly or year is not None:
            # Searched once for both uses below.
            without_dates = self._search(question, intent, undated, k, vector)
            if dated_weakly:
                # A time in the question may say when something applies rather than when it
                # was decided: "prices from June" were set in January. When the question's
                # time leaves nothing that covers the question while other meetings clearly
                # do, search those.
                search_filter, hits = _wider(hits, search_filter, without_dates, undated)
            if year is not None and search_filter != undated:
                hits = _led_by_year_titles(question, year, hits, without_dates)[:k]
        any_body = replace(search_filter, bodies=user.bodies)
        if (
            any_body != search_filter
            and intent.bodies_named > 1
            and _best_coverage(hits) < WEAK_COVERAGE
        ):
            # Bodies a question names may be what it asks about, not who decided: "Hvem
            # skiftede fra Social- og Handicapudvalget til Klima-, Teknik- og Miljøudvalget?"
            # is answered in Byrådet's minutes. ("Hvad har byrådet besluttet om ...?" names the
            # one body that decides.)
            search_filter, hits = _wider(
                hits, search_filter, self._search(question, intent, any_body, k, vector), any_body
            )
        if not hits and search_filter != user:
            # The question's own hints were too narrow (a body or case with no match): fall
            # back to the user's filters rather than answer nothing.
            search_filter, hits = user, self._search(question, intent, user, k, vector)
        return Retrieval(intent, search_filter, tuple(hits), self._unseen_names(question, intent))

    def _unseen_names(self, question: str, intent: QueryIntent) -> tuple[str, ...]:
        # English capitalises more than names ("Christmas"), and its words are not Danish.
        if self.lexical is None or not len(self.lexical) or intent.language == "en":
            return ()
        return tuple(name for name in name_words(question) if self.lexical.unknown_words(name))

    def _coverage(
        self, question: str, record: ItemRecord, search_filter: SearchFilter, english: bool
    ) -> tuple[float, float, float]:
        """(coverage, topic coverage) of the question by the item: see ``rag.evidence``.

        An English question's words the archive never uses are mostly English words without a
        glossary entry rather than a matter the minutes lack, so rarity counts less there
        (idf, not idf squared)."""
        if self.lexical is None or not len(self.lexical):
            return 1.0, 1.0, 1.0
        texts = item_texts(record)
        idf, unseen, bodies = self.lexical.idf, self.lexical.max_idf(), search_filter.bodies
        power = 1.0 if english else 2.0
        return (
            coverage(question, texts, idf, unseen, ignore=bodies, power=power),
            coverage(question, texts, idf, unseen, ignore=bodies, topic_only=True, power=power),
            coverage(question, texts, idf, unseen, ignore=bodies, without_verbs=True, power=power),
        )

    def _filtered_dense(
        self, vector: Vectors, search_filter: SearchFilter
    ) -> tuple[list[tuple[str, float]], set[str]]:
        """The best chunks the filter allows, and the set it allows.

        Stores filter slowly on ranges (Chroma: ~110 ms over a whole municipality's archive,
        against ~15 ms for 2,000 unfiltered hits), so the unfiltered best are filtered here; only
        a narrow filter that leaves too few of them is handed to the store."""
        config = self.config
        if self._facets is None:
            self._facets = ChunkFacets.from_rows(self.catalog.facet_rows())
        facets = self._facets
        mask = facets.mask(search_filter)
        allowed = int(mask.sum())
        unfiltered = self.store.query(vector, config.filter_overfetch)
        dense = facets.keep(unfiltered, mask)[: config.candidates]
        if len(dense) < min(allowed, config.candidates // 4):
            dense = self.store.query(vector, config.candidates, search_filter)
        return dense, facets.allowed_ids(search_filter)

    def _completed(
        self,
        vector: Vectors,
        dense: list[tuple[str, float]],
        lexical: list[tuple[str, float]],
        lexical_of_dense: list[tuple[str, float]],
    ) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """Both rankings over the union of their candidates: a chunk only one retriever found
        gets its score from the other too, so that fusion ranks it by both. A closed item's
        one chunk, its title, is often just outside the nearest vectors while BM25 ranks it
        first, and the reverse for a paraphrase. ``lexical_of_dense`` holds the BM25 scores of
        dense candidates outside ``lexical``, from the same BM25 pass."""
        in_dense = {c for c, _ in dense}
        only_lexical = [c for c, _ in lexical if c not in in_dense]
        if only_lexical:
            dense = sorted(
                [*dense, *self.store.similarities(vector, only_lexical)], key=lambda h: -h[1]
            )
        if lexical_of_dense:
            lexical = sorted([*lexical, *lexical_of_dense], key=lambda h: -h[1])
        return dense, lexical

    def _search(
        self,
        question: str,
        intent: QueryIntent,
        search_filter: SearchFilter,
        k: int,
        vector: Vectors | None = None,
    ) -> list[ItemHit]:
        config = self.config
        active = None if search_filter.is_empty else search_filter
        if vector is None:
            vector = self.embedder.embed_query(question)
        allowed: set[str] | None = None
        if active is None:
            dense = self.store.query(vector, config.candidates)
        else:
            dense, allowed = self._filtered_dense(vector, active)
        lexical: list[tuple[str, float]] = []
        lexical_of_dense: list[tuple[str, float]] = []
        if self.lexical is not None and len(self.lexical) and (allowed is None or allowed):
            lexical, lexical_of_dense = self.lexical.search_and_score(
                intent.search_text or question,
                config.candidates,
                allowed,
                also=[c for c, _ in dense] if config.complete_scores else (),
            )
        if config.complete_scores:
            dense, lexical = self._completed(vector, dense, lexical, lexical_of_dense)
        # A chunk in the store but not the catalog is a repaired crash's leftover: skip it.
        chunks = self.catalog.chunks(list(dict.fromkeys(c for c, _ in (*dense, *lexical))))
        dense, lexical = _tie_ordered(dense, chunks), _tie_ordered(lexical, chunks)
        fused = reciprocal_rank_fusion(
            [[c for c, _ in dense], [c for c, _ in lexical]],
            k=config.rrf_k,
            weights=[config.dense_weight, config.lexical_weight],
        )
        if not fused:
            return []
        dense_score = dict(dense)
        lexical_score = dict(lexical)
        boost = config.decision_boost if intent.kind == "decision" else 1.0
        boosted = [
            (chunk_id, score * boost if chunks[chunk_id].is_decision else score)
            for chunk_id, score in fused
        ]
        grouped = group_by(boosted, lambda c: chunks[c].item_id, per_group=len(boosted) or 1)
        hits: list[ItemHit] = []
        # An English question is measured by the glossary's Danish words for its content words
        # (its search text), the only ones Danish minutes can contain.
        english = intent.language == "en"
        asked = intent.search_text if english else question
        for item_key, members in grouped[:k]:
            record = self.catalog.item(item_key)
            if record is None:
                continue
            passages = [Passage(chunks[c], score) for c, score in members]
            covered, topic_covered, verbless = self._coverage(asked, record, search_filter, english)
            hits.append(
                ItemHit(
                    record=record,
                    score=passages[0].score,
                    passages=tuple(passages[: config.passages_per_item]),
                    best_dense=max(dense_score.get(c, 0.0) for c, _ in members),
                    best_lexical=max(lexical_score.get(c, 0.0) for c, _ in members),
                    coverage=covered,
                    topic_coverage=topic_covered,
                    coverage_without_verbs=verbless,
                )
            )
        return hits


# How much more of the question the unfiltered best item must cover than the filtered one
# before a hint from the question is dropped.
HINT_OVERRIDE_MARGIN = 0.3


def _wider(
    hits: list[ItemHit], narrow: SearchFilter, wider: list[ItemHit], wide: SearchFilter
) -> tuple[SearchFilter, list[ItemHit]]:
    """The wider search's filter and hits when its best item covers the question clearly
    better than the narrow search's (or the narrow one found nothing); else the narrow's."""
    margin = _best_coverage(wider[:1]) - _best_coverage(hits)
    if wider and (not hits or margin >= HINT_OVERRIDE_MARGIN):
        return wide, wider
    return narrow, hits


def _led_by_year_titles(
    question: str, year: str, hits: list[ItemHit], without_dates: list[ItemHit]
) -> list[ItemHit]:
    """``hits`` led by items from other years whose title names the question's ``year``.

    "Sygedage i 2024" are reported in "Personalepolitisk redegørelse 2024" in 2025, and "§ 18
    midler i 2024" were shared out in "Fordeling af §18 midler 2024" in November 2023: the
    year a question names is often the matter's year, which its title carries, not the year
    of the meeting. Such an item comes first when it covers the question at least as well as
    the best item of the year does, and its title names no year the question does not
    ("Lånoptag 2025 vedrørende regnskab 2024" is the 2025 loan)."""
    bar = _best_coverage(hits)
    asked = years_named(question)
    seen = {h.record.item_id for h in hits}
    titled = [
        h
        for h in without_dates
        if h.record.item_id not in seen
        and year in (named := years_named(h.record.title))
        and named <= asked
        and h.coverage >= bar
    ]
    return titled + hits


def _whole_year(search_filter: SearchFilter) -> str | None:
    """The year a filter spans when it spans exactly one calendar year ("i 2024")."""
    start, end = search_filter.date_from, search_filter.date_to
    if start and end and start[:4] == end[:4] and start[4:] == "-01-01" and end[4:] == "-12-31":
        return start[:4]
    return None


def _best_coverage(hits: Sequence[ItemHit]) -> float:
    """The best coverage among the first three hits (0 for none): what "not found" looks at."""
    return max((h.coverage for h in hits[:3]), default=0.0)


def _tie_ordered(
    hits: list[tuple[str, float]], chunks: dict[str, Chunk]
) -> list[tuple[str, float]]:
    """Hits best first; equal scores (the same passage in several meetings of a case) by
    meeting date, where the text first appeared, then body, item and position: never by
    insertion order or file path, so an index grown file by file, or kept elsewhere, ranks
    exactly as a fresh one."""

    def key(hit: tuple[str, float]) -> tuple[float, int, str, int, int, int]:
        chunk = chunks[hit[0]]
        return (
            -round(hit[1], 6),
            chunk.date_int,
            chunk.body,
            chunk.item_number,
            chunk.block,
            chunk.start,
        )

    return sorted((hit for hit in hits if hit[0] in chunks), key=key)
