"""FirstAgenda publication API JSON (e.g. Greve): one meeting with its agenda items.

Shape: ``Udvalg.Navn`` (the body), ``Moede`` (``Dato``, ``Sted``, ``Moededeltagere``) and
``Dagsordenpunkter[]`` with ``Punktnummer``, ``Navn``/``Caption``, ``SagsNummer`` and
``Felter[].Html``: the item text as HTML whose headings name the sections, among them the
decision ("Beslutning"). ``IsOpen`` is not the closed flag: closed items are titled "Lukket: ...".
"""

from __future__ import annotations

import json
import re
from typing import Any

from index.models import AgendaItem, Meeting, Section
from index.parsing import ParseError
from index.parsing.common import (
    is_closed_title,
    iso_date,
    municipality_from_place,
    normalise_section_name,
    open_item,
    parse_date,
    unreal_date_reason,
)
from index.parsing.html_sections import DEFAULT_SECTION, collapse_whitespace, html_sections

ATTACHMENTS_SECTION = "Bilag"

_ISO_DATE_TIME = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?")
# FirstAgenda sites live at dagsordener.<municipality>.dk; item links carry that host.
_SITE_HOST = re.compile(rb"https?://dagsordener\.([a-z0-9\-]+)\.dk", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")


def _text(value: Any) -> str:
    return collapse_whitespace(value) if isinstance(value, str) else ""


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _records(value: Any) -> list[dict[str, Any]]:
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []


def _municipality(data: bytes) -> str | None:
    match = _SITE_HOST.search(data)
    if not match:
        return None
    slug = match.group(1).decode("ascii", "replace")
    return "-".join(part.capitalize() for part in slug.split("-"))


def _date_and_time(raw: str) -> tuple[str | None, str | None]:
    match = _ISO_DATE_TIME.match(raw)
    if not match:
        return parse_date(raw), None
    year, month, day, hour, minute = match.groups()
    start = f"{hour}:{minute}" if hour is not None else None
    return iso_date(int(year), int(month), int(day)), start


def _participants(meeting: dict[str, Any]) -> tuple[str, ...]:
    names: list[str] = []
    for person in _records(meeting.get("Moededeltagere")):
        name = _text(person.get("Name") or person.get("Navn"))
        if not name:
            continue
        if person.get("ParticipationCancelled"):
            name += " (afbud)"
        elif person.get("Absent"):
            name += " (fraværende)"
        names.append(name)
    return tuple(names)


def _item_number(entry: dict[str, Any], position: int) -> int:
    for key in ("Punktnummer", "Number"):
        raw = entry.get(key)
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and (match := _DIGITS.search(raw)):
            return int(match.group(0))
    return position


def _case_number(entry: dict[str, Any]) -> str | None:
    for key in ("SagsNummer", "CaseNumber"):
        value = _text(entry.get(key))
        if value:
            return value
    return None


def _item(entry: dict[str, Any], position: int, body: str, date: str) -> AgendaItem:
    number = _item_number(entry, position)
    title = _text(entry.get("Navn")) or _text(entry.get("Caption"))
    case_number = _case_number(entry)
    if is_closed_title(title):
        # Closed items keep number and title only; their text never leaves the parser.
        return AgendaItem(number=number, title=title, case_number=case_number, closed=True)
    blocks = [
        (part.name, part.text, part.decision)
        for field in _records(entry.get("Felter"))
        if isinstance(html := field.get("Html"), str) and html.strip()
        for part in html_sections(
            html, normalise_section_name(_text(field.get("Navn"))) or DEFAULT_SECTION
        )
    ]
    attachments = [_text(a.get("Navn") or a.get("Name")) for a in _records(entry.get("Bilag"))]
    extra = (
        [Section(ATTACHMENTS_SECTION, "\n".join(a for a in attachments if a))]
        if any(attachments)
        else []
    )
    return open_item(number, title, case_number, blocks, body, date, extra)


def parse(data: bytes, source: str) -> Meeting:
    try:
        payload = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise ParseError(f"the JSON is not UTF-8 text ({error.reason})") from error
    except json.JSONDecodeError as error:
        raise ParseError(f"not valid JSON: {error.msg} (line {error.lineno})") from error
    if not isinstance(payload, dict) or not isinstance(payload.get("Dagsordenpunkter"), list):
        raise ParseError("JSON, but not a FirstAgenda publication: no Dagsordenpunkter")
    committee = _mapping(payload.get("Udvalg"))
    meeting = _mapping(payload.get("Moede"))
    # Greve prefixes a pseudo-committee with "." to sort it first; the dot is no part of the name.
    body = _text(committee.get("Navn")).lstrip(". ")
    if not body:
        raise ParseError("FirstAgenda JSON without a committee name (Udvalg.Navn)")
    raw_date = _text(meeting.get("Dato")) or _text(meeting.get("MeetingBeginUtc"))
    date, start_time = _date_and_time(raw_date)
    if date is None:
        raise ParseError(
            unreal_date_reason(raw_date, "Moede.Dato")
            or "FirstAgenda JSON without a meeting date (Moede.Dato)"
        )
    items = tuple(
        _item(entry, position, body, date)
        for position, entry in enumerate(_records(payload["Dagsordenpunkter"]), start=1)
    )
    location = _text(meeting.get("Sted")) or None
    return Meeting(
        source=source,
        body=body,
        meeting_date=date,
        municipality=_municipality(data)
        or (municipality_from_place(location) if location else None),
        start_time=start_time,
        location=location,
        participants=_participants(meeting),
        items=items,
    )
