"""BM25 over chunks with our Danish analysis (index.danish), persisted: a restart does not rebuild.

bm25s builds the (document x term) score matrix from our own token ids; scoring is done here
from that matrix, because a term can carry a weight:

* a query word matches the same stem in a document at full weight;
* it matches it as a *part* of a compound in the document ("bane" in "kunstgræsbanen") at
  ``PART_WEIGHT``, scaled down when the part term is rarer than the word so that it never
  counts for more: at index time every long word also contributes ``~part`` terms for the
  known words it ends or starts with (see ``index.danish.split_compound``);
* the known parts of a compound query word that is not in the index as a whole match those
  words in a document at ``SPLIT_WEIGHT``.

A "known" word, for splitting, is one found whole in at least ``MIN_PART_DF`` chunks.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import Collection, Sequence
from itertools import repeat
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import numpy.typing as npt

from index.danish import (
    ANALYZER_VERSION,
    STOPWORDS,
    related_terms,
    split_compound,
    stem_word,
    term,
    tokenize,
)

PART_PREFIX = "~"
PART_WEIGHT = 0.5
SPLIT_WEIGHT = 0.3
# A query word's verb or noun for the same act ("sælge" / "salg"): nearly the word itself.
RELATED_WEIGHT = 0.5
MIN_COMPOUND = 8  # shorter words are not split
MIN_PART_STEM = 3  # a known part must stem to at least this many letters
MIN_PART_DF = 2  # ... and be a word of at least this many chunks (one-offs are often junk)

FORMAT = 1
_META = "meta.json"
_IDS = "ids.json"


class LexicalIndex:
    """BM25 over chunk texts. Build with ``build``, reopen with ``load``; read-only afterwards."""

    def __init__(self, ids: Sequence[str], bm25: Any | None) -> None:
        """Use ``build`` or ``load``; ``bm25`` is a built ``bm25s.BM25`` or None when empty."""
        self._ids: tuple[str, ...] = tuple(ids)
        self._position = {chunk_id: i for i, chunk_id in enumerate(self._ids)}
        self._bm25 = bm25
        self._vocab: dict[str, int] = {}
        self._data: npt.NDArray[np.floating[Any]] = np.zeros(0, dtype=np.float32)
        self._indices: npt.NDArray[np.integer[Any]] = np.zeros(0, dtype=np.int32)
        self._indptr: npt.NDArray[np.integer[Any]] = np.zeros(1, dtype=np.int64)
        if bm25 is not None:
            self._vocab = bm25.vocab_dict
            self._data = bm25.scores["data"]
            self._indices = bm25.scores["indices"]
            self._indptr = bm25.scores["indptr"]

    # -- building ------------------------------------------------------------------------------

    @classmethod
    def build(cls, ids: Sequence[str], texts: Sequence[str]) -> LexicalIndex:
        """Index ``texts`` (chunk texts) under ``ids`` (chunk ids, unique)."""
        if len(ids) != len(texts):
            raise ValueError(f"{len(ids)} ids for {len(texts)} texts")
        if len(set(ids)) != len(ids):
            raise ValueError("chunk ids are not unique")

        # Pass 1: term ids of every text, and the long words that may be compounds. Each
        # distinct token is analysed once: (term id or -1 for a stop word, the token itself
        # if it may be a compound, kept once rather than once per occurrence).
        vocab: dict[str, int] = {}
        seen: dict[str, tuple[int, str | None]] = {}
        corpus_ids: list[list[int]] = []
        doc_long: list[list[str]] = []
        for text in texts:
            doc: list[int] = []
            long_words: list[str] = []
            for token in tokenize(text):
                info = seen.get(token)
                if info is None:
                    t = term(token)
                    alpha = token.isalpha()
                    info = (
                        -1 if t is None else vocab.setdefault(t, len(vocab)),
                        token if t is not None and alpha and len(token) >= MIN_COMPOUND else None,
                    )
                    seen[token] = info
                if info[0] >= 0:
                    doc.append(info[0])
                    if info[1] is not None:
                        long_words.append(info[1])
            corpus_ids.append(doc)
            doc_long.append(long_words)
        del seen

        # Compound parts: once per distinct long word, against the words of the whole corpus
        # that occur in at least MIN_PART_DF chunks.
        df: Counter[int] = Counter()
        for doc in corpus_ids:
            df.update(set(doc))
        known_stems = {t for t, i in vocab.items() if df[i] >= MIN_PART_DF}
        starts = {t[:3] for t in known_stems}  # a stem keeps its word's first three letters

        def known(word: str) -> bool:
            if word[:3] not in starts or word in STOPWORDS:
                return False
            s = stem_word(word)
            return len(s) >= MIN_PART_STEM and s in known_stems

        parts_of: dict[str, list[int]] = {}
        for doc, long_words in zip(corpus_ids, doc_long, strict=True):
            for word in long_words:
                parts = parts_of.get(word)
                if parts is None:
                    parts = [
                        vocab.setdefault(PART_PREFIX + stem_word(p), len(vocab))
                        for p in split_compound(word, known, min_length=MIN_COMPOUND)
                    ]
                    parts_of[word] = parts
                doc.extend(parts)
        del doc_long, parts_of

        if not vocab:  # no documents, or nothing but stop words
            return cls(ids, None)
        bm25 = bm25s.BM25()
        bm25.index((corpus_ids, vocab), create_empty_token=False, show_progress=False)
        return cls(ids, bm25)

    # -- searching -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> tuple[str, ...]:
        """The chunk ids, in index order."""
        return self._ids

    def _known(self, word: str) -> bool:
        """The same test as in ``build``: a word of at least MIN_PART_DF chunks."""
        if word in STOPWORDS:
            return False
        s = stem_word(word)
        i = self._vocab.get(s)
        return (
            i is not None
            and len(s) >= MIN_PART_STEM
            and int(self._indptr[i + 1] - self._indptr[i]) >= MIN_PART_DF
        )

    def _idf(self, i: int) -> float:
        """BM25 (Lucene) idf of term id ``i``, from its document frequency."""
        df = int(self._indptr[i + 1] - self._indptr[i])
        return math.log(1 + (len(self._ids) - df + 0.5) / (df + 0.5))

    def _part_weight(self, stem: str) -> float:
        """PART_WEIGHT, less if the part term is rarer than the word: a part match must not
        outscore the word itself just because few compounds end in it."""
        whole = self._vocab.get(stem)
        part = self._vocab.get(PART_PREFIX + stem)
        if whole is None or part is None:
            return PART_WEIGHT
        return PART_WEIGHT * min(1.0, self._idf(whole) / self._idf(part))

    def query_terms(self, query: str) -> dict[str, float]:
        """The weighted index terms a query looks for (terms absent from the index left out)."""
        weights: dict[str, float] = {}

        def add(t: str, weight: float) -> None:
            if t in self._vocab and weight > weights.get(t, 0.0):
                weights[t] = weight

        for token in tokenize(query):
            t = term(token)
            if t is None:
                continue
            add(t, 1.0)
            for related in related_terms(t):
                add(related, RELATED_WEIGHT)
            if token.isalpha():
                add(PART_PREFIX + t, self._part_weight(t))
                if t not in self._vocab:  # split a compound only when it is not there whole
                    for part in split_compound(token, self._known, min_length=MIN_COMPOUND):
                        add(stem_word(part), SPLIT_WEIGHT)
        return weights

    def idf(self, stem: str) -> float | None:
        """BM25 idf of an index term, None when no chunk has it."""
        i = self._vocab.get(stem)
        return None if i is None else self._idf(i)

    def max_idf(self) -> float:
        """The idf of a term found in a single chunk: the weight of a never-seen word."""
        return math.log(1 + (len(self._ids) - 0.5) / 1.5)

    def unknown_words(self, query: str) -> list[str]:
        """Words of the query that no chunk contains, whole or as a compound part.

        A question about "skøjtehallen" in an archive that never mentions one is a strong
        sign that the minutes do not answer it, whatever the nearest vectors say.
        """
        unknown = []
        for token in tokenize(query):
            t = term(token)
            if t is None or not token.isalpha() or len(token) < 4:
                continue
            if t in self._vocab or PART_PREFIX + t in self._vocab:
                continue
            if split_compound(token, self._known, min_length=MIN_COMPOUND):
                continue
            unknown.append(token)
        return unknown

    def search(
        self, query: str, k: int, allowed_ids: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        """The ``k`` best chunks for ``query`` as (id, score), best first; only scores > 0.

        ``allowed_ids`` restricts the answer to those chunks (e.g. after a date filter); ids not
        in the index are ignored. Ties are broken by index order, so results are deterministic.
        """
        return self.search_and_score(query, k, allowed_ids)[0]

    def search_and_score(
        self,
        query: str,
        k: int,
        allowed_ids: Collection[str] | None = None,
        also: Sequence[str] = (),
    ) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """``search``, and from the same pass the scores (> 0) of the chunks ``also`` names that
        are not among the ``k`` best, in their order: fusion wants both retrievers' scores for
        every candidate, and a second pass would cost as much as the first."""
        if k <= 0 or not self._ids or self._bm25 is None:
            return [], []
        weights = self.query_terms(query)
        if not weights:
            return [], []

        term_ids = np.fromiter((self._vocab[t] for t in weights), dtype=np.int64)
        term_weights = np.fromiter(weights.values(), dtype=np.float64)
        starts = self._indptr[term_ids]
        ends = self._indptr[term_ids + 1]
        docs = np.concatenate(
            [self._indices[s:e] for s, e in zip(starts, ends, strict=True)]
        ).astype(np.intp, copy=False)
        values = np.concatenate(
            [
                self._data[s:e].astype(np.float64) * w
                for s, e, w in zip(starts, ends, term_weights, strict=True)
            ]
        )
        scores = np.bincount(docs, weights=values, minlength=len(self._ids))

        if allowed_ids is not None:
            positions = np.fromiter(
                map(self._position.get, allowed_ids, repeat(-1)),
                dtype=np.intp,
                count=len(allowed_ids),
            )
            positions = positions[positions >= 0]
            if not len(positions):
                return [], []
            mask = np.zeros(len(self._ids), dtype=bool)
            mask[positions] = True
            scores[~mask] = 0.0

        candidates = np.flatnonzero(scores > 0.0)
        if len(candidates) > k:
            best = np.argpartition(-scores[candidates], k - 1)[:k]
            candidates = candidates[best]
        order = np.lexsort((candidates, -scores[candidates]))
        best_ids = [(self._ids[i], float(scores[i])) for i in candidates[order]]
        taken = {chunk_id for chunk_id, _ in best_ids}
        extra = []
        for chunk_id in also:
            position = self._position.get(chunk_id)
            if position is not None and chunk_id not in taken and scores[position] > 0.0:
                extra.append((chunk_id, float(scores[position])))
        return best_ids, extra

    # -- persistence ---------------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write the index to ``folder``, replacing what is there only once it is complete."""
        folder = Path(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
        try:
            tmp.chmod(0o755)
            if self._bm25 is not None:
                self._bm25.save(str(tmp), show_progress=False)
            (tmp / _IDS).write_text(json.dumps(list(self._ids), ensure_ascii=False), "utf-8")
            meta = {
                "format": FORMAT,
                "analyzer": ANALYZER_VERSION,
                "documents": len(self._ids),
                "empty": self._bm25 is None,
            }
            (tmp / _META).write_text(json.dumps(meta), "utf-8")
            old = None
            if folder.exists():
                old = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}.old")
                folder.rename(old)
            tmp.rename(folder)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @classmethod
    def load(cls, folder: Path, *, mmap: bool = False) -> LexicalIndex:
        """Open an index written by ``save``.

        Raises ``FileNotFoundError`` if there is none and ``ValueError`` if it was written by
        another format or analyzer version: the caller should rebuild it then.
        """
        folder = Path(folder)
        meta = json.loads((folder / _META).read_text("utf-8"))
        if meta.get("format") != FORMAT or meta.get("analyzer") != ANALYZER_VERSION:
            raise ValueError(
                f"{folder} holds a lexical index of format {meta.get('format')}, analyzer "
                f"{meta.get('analyzer')}; expected {FORMAT}, {ANALYZER_VERSION}: rebuild it"
            )
        ids = json.loads((folder / _IDS).read_text("utf-8"))
        if not isinstance(ids, list) or len(ids) != meta.get("documents"):
            raise ValueError(f"{folder}: the chunk id list does not match the index")
        if meta.get("empty"):
            return cls(ids, None)
        bm25 = bm25s.BM25.load(str(folder), mmap=mmap, show_progress=False)
        if bm25.scores["num_docs"] != len(ids):
            raise ValueError(f"{folder}: the chunk id list does not match the index")
        return cls(ids, bm25)
