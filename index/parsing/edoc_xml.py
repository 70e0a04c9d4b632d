"""eDoc agenda publishing XML (e.g. Ballerup): ``<Meeting>`` with ``<MeetingAgendaItem>``s.

Each ``MeetingAgendaType`` (open or closed agenda) holds the meeting's full text, whose head
names place and participants, and its items. An item's text is ``MeetingAgendaItem/FullText``:
plain text whose headings stand alone on a line ("Sammendrag", "Indstilling", and the decision
heading "Sundheds- og Forebyggelsesudvalgets beslutning den 04.12.2012 Punkt 2").

eDoc writes page breaks as ``&#xC;``, which XML 1.0 forbids; ``read_xml`` repairs such
references before parsing. Attachment full texts (``Attachment/FullText``) are appendices, not
minutes, and are left out; the item text lists the attachments by title.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from index.models import AgendaItem, Meeting
from index.parsing import ParseError
from index.parsing.common import (
    DecisionHeading,
    find_case_number,
    is_closed_title,
    municipality_from_place,
    open_item,
    parse_date,
    tidy_body,
    unreal_date_reason,
)
from index.parsing.html_sections import DEFAULT_SECTION, classify_heading, collapse_whitespace

HISTORY_SECTION = "Sagsforløb"
# (section name, its lines, the decision heading that opened it or None)
_Part = tuple[str, list[str], DecisionHeading | None]
ATTACHMENTS_SECTION = "Bilag"

# Character references to code points XML 1.0 forbids (controls other than tab, LF, CR).
_CHARACTER_REFERENCE = re.compile(rb"&#(x[0-9a-fA-F]+|[0-9]+);")
_RAW_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FORM_FEED = 0x0C


def _allowed_in_xml(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def _repair_reference(match: re.Match[bytes]) -> bytes:
    raw = match.group(1)
    code = int(raw[1:], 16) if raw[:1] in (b"x", b"X") else int(raw)
    if _allowed_in_xml(code):
        return match.group(0)
    # A form feed is a page break: keep it as a line break so the lines around it stay apart.
    return b"\n" if code == _FORM_FEED else b" "


def read_xml(data: bytes, kind: str) -> tuple[Any, str | None]:
    """(root element, what was damaged or None), after repairing references XML 1.0 forbids.

    Damaged XML is read by lxml's recovering parser as a last resort; the caller decides whether
    what survived is usable. ``kind`` names the format in error messages. Entities are not
    resolved and nothing is fetched from the network.
    """
    repaired = _CHARACTER_REFERENCE.sub(_repair_reference, data)
    repaired = _RAW_CONTROL.sub(lambda m: b"\n" if m.group(0) == b"\x0c" else b" ", repaired)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        return etree.fromstring(repaired, parser), None
    except etree.XMLSyntaxError as strict_error:
        lenient = etree.XMLParser(
            resolve_entities=False, no_network=True, huge_tree=True, recover=True
        )
        try:
            root = etree.fromstring(repaired, lenient)
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            raise ParseError(f"{kind}: the XML is damaged ({strict_error})") from strict_error
        return root, str(strict_error)


def refuse_damaged(damage: str | None, kind: str) -> None:
    """Damaged XML is never indexed: what lxml recovers of a cut-off file can lack items, or the
    flag (``IsPublic``, the agenda type) that marks an item closed, and an index run would then
    replace the good earlier version of the file with it."""
    if damage is not None:
        raise ParseError(
            f"{kind}: the XML is damaged or cut off ({damage}); nothing of it is indexed "
            "(an earlier, good version of the file stays in the index)"
        )


def _child_text(element: Any, path: str) -> str:
    found = element.find(path)
    if found is None:
        return ""
    return collapse_whitespace("".join(found.itertext()))


def _raw_text(element: Any, path: str) -> str:
    found = element.find(path)
    return "".join(found.itertext()) if found is not None else ""


_TIME = re.compile(r"\b(\d{1,2})[:.](\d{2})\b")


def start_time_of(text: str) -> str | None:
    """HH:MM from "04-12-2012 13:00:00" or "kl. 15.45"."""
    # The date comes first, so look after it: "04.12.2012" must not read as 04:12.
    after_date = re.sub(r"^.*?\d{4}", "", text, count=1)
    match = _TIME.search(after_date)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


# --- the meeting's head: place and participants -------------------------------------------

_PRESENT_LABELS = {"tilstede", "til stede", "deltagere", "mødedeltagere"}
_ABSENT_LABELS = {"afbud/fraværende", "afbud", "fraværende", "afbud / fraværende"}
_HEAD_END_LABELS = {"sekretær", "indholdsfortegnelse", "åbent referat", "lukket referat"}


def _clean_lines(text: str) -> list[str]:
    return [collapse_whitespace(line) for line in text.replace("\r", "\n").split("\n")]


def _head_details(text: str) -> tuple[str | None, tuple[str, ...]]:
    """(place, participants) from the head of the meeting's full text."""
    place: str | None = None
    participants: list[str] = []
    mode: str | None = None
    for line in _clean_lines(text)[:200]:
        folded = line.lower().rstrip(":")
        if folded in _HEAD_END_LABELS and (participants or mode):
            break
        if folded in _PRESENT_LABELS:
            mode = "present"
            continue
        if folded in _ABSENT_LABELS:
            mode = "absent"
            continue
        if not line:
            if mode == "present" and participants:
                mode = None
            continue
        if place is None and line.startswith("i ") and not participants:
            place = line[2:].strip() or None
        elif mode == "present":
            participants.append(line)
        elif mode == "absent":
            participants.append(f"{line} (fraværende)")
    return place, tuple(participants)


# --- an item's plain text ----------------------------------------------------------------

_HISTORY_LINE = re.compile(
    r"^(?:Dok\.?\s*nr\.?\s*:|.+\bden\s+.*\d{4}.*\bPunkt\s+\d+\s*$)", re.IGNORECASE
)
_CASE_LINE = re.compile(r"^(?:Sagsnr|Sags nr|Sagsnummer)\.?\s*:", re.IGNORECASE)


def _paragraphs(lines: list[str]) -> str:
    """Lines with blank-line paragraph breaks, collapsed to single \\n\\n separators."""
    out: list[str] = []
    blank = False
    for line in lines:
        if not line:
            blank = bool(out)
            continue
        if out:
            out.append("\n\n" if blank else "\n")
        out.append(line)
        blank = False
    return "".join(out)


def _last_text_section(parts: list[_Part]) -> str:
    for name, _, decision in reversed(parts):
        if decision is None and name != ATTACHMENTS_SECTION:
            return name
    return DEFAULT_SECTION


def _item_text_parts(text: str, number: int) -> tuple[str | None, list[_Part]]:
    """(case number, [(section name, lines, decision heading or None)]) of an item's text."""
    lines = _clean_lines(text)
    while lines and not lines[0]:
        lines.pop(0)
    # The first line repeats number and title ("2.<tab>Bygningsvedligeholdelse ...").
    if lines and re.match(rf"^{number}\.?\s", lines[0]):
        lines.pop(0)
    case_number: str | None = None
    history: list[str] = []
    parts: list[_Part] = [(DEFAULT_SECTION, [], None)]
    in_preamble = True
    previous_blank = True
    for line in lines:
        if in_preamble and case_number is None and _CASE_LINE.match(line):
            case_number = find_case_number(line)
            if case_number is not None:
                continue
        known = classify_heading(line) if previous_blank and line else None
        previous_blank = not line
        if known is not None:
            in_preamble = False
            name, decision = known
            parts.append((name, [], decision))
            continue
        if in_preamble and _HISTORY_LINE.match(line):
            history.append(line)
            continue
        name, section_lines, _ = parts[-1]
        if name == ATTACHMENTS_SECTION and line and section_lines and not section_lines[-1]:
            # An attachment list is one paragraph; "Meddelelser" go on with their next point.
            parts.append((_last_text_section(parts), [], None))
        parts[-1][1].append(line)
    if history:
        parts.insert(0, (HISTORY_SECTION, history, None))
    return case_number, parts


def _item(element: Any, closed_agenda: bool, body: str, date: str, position: int) -> AgendaItem:
    number_text = _child_text(element, "AgendaItemNumber")
    number = int(number_text) if number_text.isdigit() else position
    title = (
        _child_text(element, "Document/Title")
        or _child_text(element, "Document/AgendaItems/AgendaItem/Name")
        or _child_text(element, "Document/NeutralTitle")
    )
    full_text = _raw_text(element, "FullText")
    case_number, parts = _item_text_parts(full_text, number)
    if closed_agenda or is_closed_title(title):
        return AgendaItem(number=number, title=title, case_number=case_number, closed=True)
    blocks = ((name, _paragraphs(lines), decision) for name, lines, decision in parts)
    return open_item(number, title, case_number, blocks, body, date)


def parse(data: bytes, source: str) -> Meeting:
    root, damage = read_xml(data, "eDoc agenda XML")
    refuse_damaged(damage, "eDoc agenda XML")
    agenda_items = list(root.iter("MeetingAgendaItem"))
    if not agenda_items:
        raise ParseError(
            "XML, but neither an SBSYS publication nor an eDoc agenda: no <MeetingAgendaItem>"
        )
    body = tidy_body(_child_text(root, "Committee")) if _child_text(root, "Committee") else ""
    raw_date = _child_text(root, "MeetingDate")
    date = parse_date(raw_date)
    if not body:
        raise ParseError("eDoc agenda XML without a committee (<Committee>)")
    if date is None:
        raise ParseError(
            unreal_date_reason(raw_date, "<MeetingDate>")
            or "eDoc agenda XML without a meeting date (<MeetingDate>)"
        )
    place: str | None = None
    participants: tuple[str, ...] = ()
    items: list[AgendaItem] = []
    # Items outside any MeetingAgendaType are read as one open agenda.
    for agenda_type in list(root.iter("MeetingAgendaType")) or [root]:
        head_place, head_participants = _head_details(_raw_text(agenda_type, "FullText"))
        place = place or head_place
        participants = participants or head_participants
        closed_agenda = "lukket" in _child_text(agenda_type, "AgendaType").lower()
        for element in agenda_type.iter("MeetingAgendaItem"):
            items.append(_item(element, closed_agenda, body, date, len(items) + 1))
    return Meeting(
        source=source,
        body=body,
        meeting_date=date,
        municipality=municipality_from_place(place) if place else None,
        start_time=start_time_of(raw_date),
        location=place,
        participants=participants,
        items=tuple(sorted(items, key=lambda item: item.number)),
    )
