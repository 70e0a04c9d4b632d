"""SBSYS publication XML (``<Publication>``, e.g. Ballerup, Region Hovedstaden).

``Agendas/Agenda`` holds the meeting (``When``, ``Where``, members), the committee and
``Items/Item``: ``Number``, ``Caption``, ``IsPublic`` and ``Fields/ItemField`` whose ``Caption``
names the section and whose ``Content`` is (CDATA-wrapped) HTML. Fields with ``IsFeedback`` true
are decision fields: "Beslutning", or "FORRETNINGSUDVALGETS BESLUTNING" naming the body. A
decision field may hold dated entries ("18. september 2012: Sagen udsat ...") from several
meetings; an entry or field without text, or holding the placeholder "Tomt indhold", is not a
decision.
"""

from __future__ import annotations

import re
from typing import Any

from index.models import AgendaItem, Decision, Meeting, Section
from index.parsing import ParseError
from index.parsing.common import (
    DecisionHeading,
    find_case_number,
    fold_heading,
    is_closed_title,
    municipality_from_place,
    normalise_section_name,
    parse_date,
    resolve_decision,
    tidy_body,
    unreal_date_reason,
)
from index.parsing.edoc_xml import read_xml, refuse_damaged, start_time_of
from index.parsing.html_sections import (
    DEFAULT_SECTION,
    collapse_whitespace,
    html_sections,
    html_to_text,
)

# SBSYS fills an untouched field with this placeholder.
_EMPTY_PLACEHOLDERS = {"tomt indhold", "-"}
_DECISION_CAPTION = re.compile(r"^(?P<body>.+?)s\s+beslutning$", re.IGNORECASE)
# "18. september 2012:" or "25.09.2012:" opening a line: one meeting's entry in a decision field.
_DATED_ENTRY = re.compile(
    r"^(?P<label>(?:\d{1,2}\.\s*[a-zæøå]+\s+\d{4}|\d{1,2}[-./]\d{1,2}[-./]\d{4}))\s*:\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_ABSENT_STATUSES = {"absent", "notparticipating", "cancelled", "afbud", "fraværende"}


def _text(element: Any, path: str) -> str:
    found = element.find(path)
    if found is None:
        return ""
    return collapse_whitespace("".join(found.itertext()))


def _content(element: Any) -> str:
    found = element.find("Content")
    return "".join(found.itertext()) if found is not None else ""


def _is_true(element: Any, path: str) -> bool:
    return _text(element, path).lower() == "true"


def _participants(meeting: Any) -> tuple[str, ...]:
    names: list[str] = []
    for member in meeting.iterfind("Members/MeetingMember"):
        name = _text(member, "Name") or _text(member, "Member/Name")
        if not name:
            continue
        status = _text(member, "ParticipationStatusAsText").lower()
        names.append(f"{name} (fraværende)" if status in _ABSENT_STATUSES else name)
    return tuple(names)


def _decision_entries(text: str) -> list[tuple[str | None, str]]:
    """(date or None, text) per dated entry of a decision field; entries without text dropped."""
    entries: list[tuple[str | None, list[str]]] = [(None, [])]
    for paragraph in text.split("\n"):
        match = _DATED_ENTRY.match(paragraph)
        if match and (date := parse_date(match.group("label"))):
            entries.append((date, [match.group("rest")] if match.group("rest") else []))
        else:
            entries[-1][1].append(paragraph)
    result: list[tuple[str | None, str]] = []
    for date, lines in entries:
        entry_text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
        if entry_text and fold_heading(entry_text) not in _EMPTY_PLACEHOLDERS:
            result.append((date, entry_text))
    return result


def _decisions(field: Any, caption: str, body: str, date: str) -> list[Decision]:
    match = _DECISION_CAPTION.match(caption)
    field_body = tidy_body(match.group("body")) if match else None
    decisions: list[Decision] = []
    for entry_date, text in _decision_entries(html_to_text(_content(field))):
        heading = DecisionHeading(body=field_body, date=entry_date)
        decisions.append(resolve_decision(text, heading, body, date))
    return decisions


def _field_index(field: Any) -> int:
    index = _text(field, "Index")
    return int(index) if index.isdigit() else 0


def _section_name(caption: str) -> str:
    if not caption:
        return DEFAULT_SECTION
    return normalise_section_name(caption) or tidy_body(caption)


def _item(element: Any, body: str, date: str, position: int) -> AgendaItem:
    number_text = _text(element, "Number")
    number = int(number_text) if number_text.isdigit() else position
    title = _text(element, "Caption")
    case_number = (
        _text(element, "Case/Number") or find_case_number(_text(element, "Case/NumberAndTitle"))
    ) or None
    closed = _text(element, "IsPublic").lower() == "false" or is_closed_title(title)
    if closed:
        return AgendaItem(number=number, title=title, case_number=case_number, closed=True)
    sections: list[Section] = []
    decisions: list[Decision] = []
    fields = sorted(element.iterfind("Fields/ItemField"), key=_field_index)
    for field in fields:
        caption = _text(field, "Caption")
        if _is_true(field, "IsFeedback"):
            decisions.extend(_decisions(field, caption, body, date))
            continue
        for part in html_sections(_content(field), _section_name(caption)):
            if fold_heading(part.text) in _EMPTY_PLACEHOLDERS:
                continue
            if part.decision is not None:
                decisions.append(resolve_decision(part.text, part.decision, body, date))
            else:
                sections.append(Section(part.name, part.text))
    return AgendaItem(
        number=number,
        title=title,
        case_number=case_number,
        sections=tuple(sections),
        decisions=tuple(decisions),
    )


def parse(data: bytes, source: str) -> Meeting:
    root, damage = read_xml(data, "SBSYS publication XML")
    refuse_damaged(damage, "SBSYS publication XML")
    agenda = root.find("Agendas/Agenda")
    if agenda is None:
        raise ParseError("SBSYS publication XML without an agenda (<Agendas><Agenda>)")
    meeting = agenda.find("Meeting")
    if meeting is None:
        raise ParseError("SBSYS publication XML without a meeting (<Agenda><Meeting>)")
    raw_body = _text(agenda, "Committee/Name") or _text(agenda, "Name")
    if not raw_body:
        raise ParseError("SBSYS publication XML without a committee name (<Committee><Name>)")
    body = tidy_body(raw_body)
    when = _text(meeting, "When")
    date = parse_date(when)
    if date is None:
        raise ParseError(
            unreal_date_reason(when, "<Meeting><When>")
            or "SBSYS publication XML without a meeting date (<Meeting><When>)"
        )
    place = _text(meeting, "Where") or _text(agenda, "Committee/DefaultMeetingPlace") or None
    items = [
        _item(element, body, date, position)
        for position, element in enumerate(agenda.iterfind("Items/Item"), start=1)
    ]
    return Meeting(
        source=source,
        body=body,
        meeting_date=date,
        municipality=municipality_from_place(place) if place else None,
        start_time=start_time_of(when),
        location=place,
        participants=_participants(meeting),
        items=tuple(sorted(items, key=lambda item: item.number)),
    )
