"""Questions about the archive itself, answered from metadata rather than from a passage:
"hvor mange gange har Villa Sitka været på dagsordenen?", "hvilke sager behandlede
Økonomiudvalget i maj 2024?"."""

from __future__ import annotations

import re
from dataclasses import replace

from index.catalog import ItemRecord, MeetingRecord
from index.danish import fold
from index.store import SearchFilter
from rag.answer import Answer, Citation, _citation, danish_date
from rag.query import QueryIntent, meeting_detail
from rag.retriever import Retriever, merge_filters

_COUNT_SUBJECT = re.compile(
    r"(?:hvor mange gange|hvor ofte)\s+(?:har|er)\s+(?P<subject>.+?)\s+"
    r"(?:været|blevet|kommet)\b"
    r"|how (?:many times|often) (?:has|have|was|were)\s+(?P<en>.+?)\s+(?:been|come)\b",
    re.I,
)
_LIST_CAP = 40


def count_subject(question: str) -> str | None:
    match = _COUNT_SUBJECT.search(question)
    if not match:
        return None
    subject = (match.group("subject") or match.group("en") or "").strip(" ?\"'«»")
    subject = re.sub(r"^(?:sagen om|sagen|emnet|the case of|the)\s+", "", subject, flags=re.I)
    return subject or None


def _items_mentioning(
    retriever: Retriever, subject: str, search_filter: SearchFilter
) -> list[ItemRecord]:
    """Items whose title or text contains the subject (ae/oe/aa and case folded)."""
    wanted = fold(subject)
    found: dict[str, ItemRecord] = {}
    candidates: list[str] = []
    if retriever.lexical is not None and len(retriever.lexical):
        candidates = [c for c, _ in retriever.lexical.search(subject, 400, None)]
    chunks = retriever.catalog.chunks(candidates)
    for chunk in chunks.values():
        if not search_filter.is_empty and not search_filter.accepts(
            {
                "body": chunk.body,
                "meeting_date": chunk.meeting_date,
                "municipality": chunk.municipality,
                "case_number": chunk.case_number,
            }
        ):
            continue
        if wanted in fold(chunk.text) or wanted in fold(chunk.title):
            record = retriever.catalog.item(chunk.item_id)
            if record is not None:
                found[record.item_id] = record
    return sorted(found.values(), key=lambda r: (r.meeting_date, r.body, r.number))


def _listing(records: list[ItemRecord]) -> tuple[str, tuple[Citation, ...]]:
    lines = []
    citations = []
    for n, record in enumerate(records[:_LIST_CAP], start=1):
        citations.append(_citation(record, None, None))
        closed = " (lukket punkt)" if record.item.closed else ""
        lines.append(
            f"- {danish_date(record.meeting_date)}, {record.body}, punkt {record.number}: "
            f"{record.title}{closed} [{n}]"
        )
    if len(records) > _LIST_CAP:
        lines.append(f"- ... og {len(records) - _LIST_CAP} punkter mere")
    return "\n".join(lines), tuple(citations)


def answer_about_archive(
    retriever: Retriever, question: str, intent: QueryIntent, user_filter: SearchFilter | None
) -> Answer | None:
    """An answer from the catalog, or None when the question is not really about the archive."""
    search_filter = merge_filters(user_filter or SearchFilter(), intent, retriever.catalog)
    if intent.kind == "count":
        subject = count_subject(question)
        if not subject:
            return None
        records = _items_mentioning(retriever, subject, replace(search_filter, case_number=None))
        if not records:
            text = f"Jeg finder ingen punkter i referaterne, der nævner «{subject}»."
            return Answer(question, text, False, kind="count")
        meetings = {(r.body, r.meeting_date) for r in records}
        listing, citations = _listing(records)
        text = (
            f"«{subject}» har været på dagsordenen {len(records)} gange "
            f"(på {len(meetings)} møder):\n{listing}"
        )
        return Answer(
            question,
            text,
            True,
            citations,
            kind="count",
            retrieved=tuple((c.meeting_date, c.item, c.body) for c in citations),
        )
    if intent.kind == "list":
        if not (search_filter.bodies or search_filter.date_from or search_filter.date_to):
            return None
        records = retriever.catalog.items_where(
            bodies=search_filter.bodies,
            date_from=search_filter.date_from,
            date_to=search_filter.date_to,
        )
        if not records:
            return None
        who = ", ".join(search_filter.bodies) or "Udvalgene"
        span = ""
        if search_filter.date_from and search_filter.date_to:
            first, last = danish_date(search_filter.date_from), danish_date(search_filter.date_to)
            span = f" fra {first} til {last}"
        listing, citations = _listing(records)
        text = f"{who} behandlede {len(records)} punkter{span}:\n{listing}"
        return Answer(
            question,
            text,
            True,
            citations,
            kind="list",
            retrieved=tuple((c.meeting_date, c.item, c.body) for c in citations),
        )
    return None


_MEETINGS_CAP = 5


def _meeting_line(meeting: MeetingRecord, detail: str) -> str:
    when = danish_date(meeting.meeting_date)
    if meeting.start_time:
        when += f" kl. {meeting.start_time}"
    if detail == "place":
        where = meeting.location or "stedet står ikke i referatet"
        return f"{meeting.body} holdt møde den {when}: {where}"
    people = ", ".join(meeting.participants) or "deltagerne står ikke i referatet"
    return f"{meeting.body}, mødet den {when}. Deltagere: {people}"


def answer_about_meeting(
    retriever: Retriever, question: str, intent: QueryIntent, user_filter: SearchFilter | None
) -> Answer | None:
    """Where a meeting was held or who took part, from the meeting's own record: "Hvor holdt
    Social- og Sundhedsudvalget møde i april 2024?". None unless the question asks that and
    names the meeting by a date (or "sidste møde"), with or without a body."""
    detail = meeting_detail(question)
    if detail is None:
        return None
    search_filter = merge_filters(user_filter or SearchFilter(), intent, retriever.catalog)
    if not (search_filter.date_from or search_filter.date_to):
        return None
    meetings = retriever.catalog.meetings_where(
        search_filter.bodies, search_filter.date_from, search_filter.date_to
    )
    if not meetings or len(meetings) > _MEETINGS_CAP:
        return None
    lines, citations = [], []
    for meeting in meetings:
        # The meeting is cited by its first item, the page an item view can open.
        first = retriever.catalog.first_item(meeting.meeting_id)
        line = _meeting_line(meeting, detail)
        # The quote is what the minutes say, not the sentence built around it.
        said = meeting.location if detail == "place" else ", ".join(meeting.participants)
        if first is not None:
            citations.append(_citation(first, said or None, "Mødet"))
            line += f" [{len(citations)}]"
        lines.append(line)
    return Answer(
        question,
        "\n".join(lines),
        True,
        tuple(citations),
        kind="fact",
        retrieved=tuple((c.meeting_date, c.item, c.body) for c in citations),
    )
