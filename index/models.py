"""The shared, immutable vocabulary of referat: what a meeting, an agenda item and a chunk are.

Parsing produces these; chunking, retrieval and the UI consume them. They live in the lowest layer
(index) so that rag, ui and eval depend on index and never the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    """A named part of an agenda item, e.g. Baggrund or Indstilling.

    ``name`` is normalised (see ``index.parsing.common.normalise_section_name``) so the same
    section has the same name across municipalities and formats.
    """

    name: str
    text: str


@dataclass(frozen=True)
class Decision:
    """One decision block. ``body`` and ``date`` (ISO) are what the heading names, when it does."""

    text: str
    body: str | None = None
    date: str | None = None


@dataclass(frozen=True)
class AgendaItem:
    number: int
    title: str
    case_number: str | None = None
    closed: bool = False
    # Closed items keep number and title only: their text is dropped at parse time.
    sections: tuple[Section, ...] = ()
    decisions: tuple[Decision, ...] = ()


@dataclass(frozen=True)
class Meeting:
    source: str
    body: str
    meeting_date: str  # ISO YYYY-MM-DD
    municipality: str | None = None
    start_time: str | None = None  # HH:MM
    location: str | None = None
    participants: tuple[str, ...] = ()
    items: tuple[AgendaItem, ...] = ()


@dataclass(frozen=True)
class Skipped:
    """A file that could not be understood, with a reason a person can act on."""

    source: str
    reason: str


@dataclass(frozen=True)
class ParseResult:
    meetings: tuple[Meeting, ...] = ()
    skipped: tuple[Skipped, ...] = ()


@dataclass(frozen=True)
class Chunk:
    """A passage of one section (or decision) of one open agenda item, ready to embed and store.

    ``text`` is the passage as it stands in the item (what a citation quotes); ``embed_text``
    prefixes a short context line so that "Godkendt." still says what was approved.
    ``start``/``end`` are character offsets of ``text`` inside its block: the decision or
    section (numbered ``block``, decisions first) it was cut from.
    """

    id: str
    text: str
    embed_text: str
    meeting_id: str
    item_id: str
    source: str
    body: str
    meeting_date: str
    item_number: int
    title: str
    section: str
    is_decision: bool
    start: int
    end: int
    municipality: str | None = None
    case_number: str | None = None
    decision_body: str | None = None
    decision_date: str | None = None
    block: int = 0  # which decision/section of the item, in item order (decisions first)
    closed: bool = False  # a closed item's public title, the only thing of it that is indexed

    @property
    def date_int(self) -> int:
        """YYYYMMDD as an integer, for range filters in the vector store."""
        return int(self.meeting_date.replace("-", ""))
