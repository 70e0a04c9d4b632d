"""Two baselines the eval prints beside referat, so the gain is visible:

- BM25 alone: referat's own Danish lexical index, no vectors, grouped to items.
- The plain recipe: the raw file text split with RecursiveCharacterTextSplitter(1000, 200), the
  same embedder, exact cosine top-k, no metadata. Raw text includes closed items' text, so its
  vectors are kept in memory only (the exact search Chroma approximates) and never written to
  disk; the baseline returns rankings, never text. Its chunks are mapped to agenda items afterwards
  (by word overlap with the parsed items) only so that it can be scored at item level.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from eval.questions import Question
from index.catalog import Catalog
from index.embedder import Embedder
from index.lexical import LexicalIndex
from index.models import Chunk, Meeting
from index.parsing import ParseError, parse_document
from index.store import MemoryVectorStore

_WORDS = re.compile(r"\w+")
_TAGS = re.compile(r"<[^>]+>")


def lexical_ranking(
    lexical: LexicalIndex, catalog: Catalog, question: Question, depth: int = 60
) -> list[tuple[str, int, str]]:
    hits = lexical.search(question.question, depth, None)
    chunks = catalog.chunks([c for c, _ in hits])
    ranked: list[tuple[str, int, str]] = []
    for chunk_id, _ in hits:
        chunk = chunks.get(chunk_id)
        if chunk is None:
            continue
        if (key := (chunk.meeting_date, chunk.item_number, chunk.body)) not in ranked:
            ranked.append(key)
    return ranked


def raw_text(path: Path, data: bytes) -> str:
    """What a naive pipeline reads from a file: its text, markup stripped."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from index.parsing.extract import pdf_text

        return pdf_text(data)
    if suffix == ".docx":
        from index.parsing.extract import docx_text

        return docx_text(data)
    text = data.decode("utf-8-sig", errors="replace")
    if suffix == ".json":
        try:
            strings: list[str] = []

            def walk(node: object) -> None:
                if isinstance(node, str):
                    strings.append(node)
                elif isinstance(node, dict):
                    for value in node.values():
                        walk(value)
                elif isinstance(node, list):
                    for value in node:
                        walk(value)

            walk(json.loads(text))
            text = "\n".join(strings)
        except ValueError:
            pass
    if suffix in (".json", ".xml", ".html", ".htm"):
        text = _TAGS.sub(" ", text)
    return text


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORDS.findall(text) if len(w) > 2}


def _item_words(meeting: Meeting) -> list[tuple[tuple[str, int, str], set[str]]]:
    out = []
    for item in meeting.items:
        text = " ".join(
            [item.title, *(s.text for s in item.sections), *(d.text for d in item.decisions)]
        )
        out.append(((meeting.meeting_date, item.number, meeting.body), _words(text)))
    return out


class PlainRecipe:
    """Built once over the indexed files, then asked each question."""

    def __init__(self, files: Sequence[Path], embedder: Embedder) -> None:
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        self.embedder = embedder
        self.store = MemoryVectorStore()
        self.item_of: dict[str, tuple[str, int, str] | None] = {}
        for file_no, path in enumerate(files):
            data = path.read_bytes()
            try:
                meeting = parse_document(data, str(path))
            except ParseError:
                continue
            items = _item_words(meeting)
            pieces = splitter.split_text(raw_text(path, data))
            if not pieces:
                continue
            chunks = []
            for n, piece in enumerate(pieces):
                chunk_id = f"{file_no}:{n}"
                words = _words(piece)
                best = max(items, key=lambda kv: len(words & kv[1]), default=None)
                self.item_of[chunk_id] = best[0] if best and words & best[1] else None
                chunks.append(
                    Chunk(
                        chunk_id,
                        piece,
                        piece,
                        "",
                        "",
                        str(path),
                        "",
                        meeting.meeting_date,
                        0,
                        "",
                        "",
                        False,
                        0,
                        len(piece),
                    )
                )
            self.store.upsert(chunks, embedder.embed_passages(pieces), str(path))

    def ranking(self, question: Question, depth: int = 30) -> list[tuple[str, int, str]]:
        hits = self.store.query(self.embedder.embed_query(question.question), depth)
        ranked: list[tuple[str, int, str]] = []
        for chunk_id, _ in hits:
            key = self.item_of.get(chunk_id)
            if key is not None and key not in ranked:
                ranked.append(key)
        return ranked

    def close(self) -> None:
        self.store = MemoryVectorStore()
