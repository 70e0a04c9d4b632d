"""Chunking: an open agenda item in, passages with their meeting metadata out. Pure.

Splitting happens inside one section or one decision at a time, so a chunk never mixes two
agenda items or two sections. Closed items yield no chunks at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from index.models import AgendaItem, Chunk, Meeting

if TYPE_CHECKING:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

# Paragraphs, then lines, then sentences, then words: whole sentences are preferred.
SEPARATORS = ["\n\n", "\n", ". ", "; ", ", ", " ", ""]


@dataclass(frozen=True)
class ChunkingConfig:
    # Measured with `python -m eval.tune_chunks` on the seeds + demo questions (162): 500/75,
    # 1000/150 and 1500/200 score within 0.005 recall@3 of each other (0.897/0.895/0.892), so
    # the middle one wins on fewer chunks to embed than 500 and more precise quotes than 1500.
    # e5 truncates at 512 tokens (about 2,000 characters of Danish).
    chunk_size: int = 1000
    chunk_overlap: int = 150


@lru_cache(maxsize=8)
def _splitter(chunk_size: int, chunk_overlap: int) -> RecursiveCharacterTextSplitter:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        separators=SEPARATORS,
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        keep_separator="end",
        strip_whitespace=True,
    )


def split_with_offsets(text: str, config: ChunkingConfig) -> list[tuple[int, int, str]]:
    """(start, end, passage) triples; ``text[start:end] == passage`` always holds."""
    pieces = _splitter(config.chunk_size, config.chunk_overlap).split_text(text)
    spans: list[tuple[int, int, str]] = []
    cursor = 0
    for piece in pieces:
        # Overlap means a piece may start before the previous piece ended.
        search_from = max(0, cursor - config.chunk_overlap - len(piece))
        start = text.find(piece, search_from)
        if start < 0:
            start = text.find(piece)
        if start < 0:  # the splitter changed the text; never expected, never fatal
            continue
        spans.append((start, start + len(piece), piece))
        cursor = start + len(piece)
    return spans


def _digest(*parts: object) -> str:
    return hashlib.sha1("\x1f".join(map(str, parts)).encode()).hexdigest()[:20]


def meeting_id(file_key: str, meeting: Meeting) -> str:
    return _digest("meeting", file_key, meeting.body, meeting.meeting_date)


def item_id(meeting_key: str, item: AgendaItem, ordinal: int) -> str:
    # The ordinal keeps ids unique when a document repeats an item number.
    return f"{meeting_key}:{item.number}:{ordinal}"


def context_line(meeting: Meeting, item: AgendaItem, section: str) -> str:
    """A short header so a passage such as "Godkendt." still says what it is about."""
    parts = [meeting.body, meeting.meeting_date, f"punkt {item.number}: {item.title}", section]
    if item.case_number:
        parts.append(f"sag {item.case_number}")
    return " | ".join(parts)


TITLE_SECTION = "Titel"
_UNINFORMATIVE_TITLES = {"lukket", "lukket punkt", "lukket sag"}


@dataclass(frozen=True)
class Block:
    """A decision or a section of an item. Blocks are numbered decisions first, in this order
    everywhere: chunk ids, ``Chunk.block`` and the catalog's blocks table agree on it."""

    name: str
    text: str
    is_decision: bool
    decision_body: str | None = None
    decision_date: str | None = None


def item_blocks(item: AgendaItem) -> list[Block]:
    return [Block("Beslutning", d.text, True, d.body, d.date) for d in item.decisions] + [
        Block(s.name, s.text, False) for s in item.sections
    ]


def _chunk(
    meeting: Meeting,
    item: AgendaItem,
    meeting_key: str,
    key: str,
    suffix: str,
    block: Block,
    block_no: int,
    span: tuple[int, int, str],
) -> Chunk:
    start, end, passage = span
    return Chunk(
        id=f"{key}:{suffix}",
        text=passage,
        embed_text=f"{context_line(meeting, item, block.name)}\n{passage}",
        meeting_id=meeting_key,
        item_id=key,
        source=meeting.source,
        body=meeting.body,
        meeting_date=meeting.meeting_date,
        item_number=item.number,
        title=item.title,
        section=block.name,
        is_decision=block.is_decision,
        start=start,
        end=end,
        municipality=meeting.municipality,
        case_number=item.case_number,
        decision_body=block.decision_body,
        decision_date=block.decision_date,
        block=block_no,
        closed=item.closed,
    )


def chunk_meeting(
    meeting: Meeting, file_key: str, config: ChunkingConfig | None = None
) -> Iterator[Chunk]:
    config = config or ChunkingConfig()
    meeting_key = meeting_id(file_key, meeting)
    for ordinal, item in enumerate(meeting.items):
        key = item_id(meeting_key, item, ordinal)
        blocks = item_blocks(item)
        if item.closed or not any(b.text.strip() for b in blocks):
            # An item with no text (closed: the parser dropped it) is still findable by its
            # public title, unless the title says nothing ("Lukket").
            if item.title.strip().lower().rstrip(".:") not in _UNINFORMATIVE_TITLES:
                title = Block(TITLE_SECTION, item.title, False)
                yield _chunk(
                    meeting, item, meeting_key, key, "title", title, -1,
                    (0, len(item.title), item.title),
                )  # fmt: skip
            continue
        for block_no, block in enumerate(blocks):
            for piece_no, span in enumerate(split_with_offsets(block.text, config)):
                yield _chunk(
                    meeting, item, meeting_key, key, f"{block_no}:{piece_no}", block, block_no,
                    span,
                )  # fmt: skip
