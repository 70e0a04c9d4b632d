"""A saved FirstAgenda meeting web page (e.g. Aarhus "dagsordener og referater").

The page names body, date and place in its head (``span.udvalg``, ``span.dato``,
``span.sted``) and lists items as ``tr.punktrow`` rows: number in ``span.label``, title in
``h2.overskrift``, case number in ``span.sagsnummer`` and the text in ``div.details`` with
``<h3>`` headings ("Beslutninger", "Resume", "Beslutningspunkter", "Sagsforløb", "Bilag").
"Sagsforløb" lists earlier treatment ("Udvalg: ... Dato: ... Punktnummer: ..."): kept as a
section, never read as items.
"""

from __future__ import annotations

import re
from typing import Any

import lxml.html
from lxml import etree

from index.models import AgendaItem, Meeting
from index.parsing import ParseError
from index.parsing.common import (
    DecisionHeading,
    is_closed_status,
    is_closed_title,
    municipality_from_place,
    open_item,
    parse_date,
    tidy_body,
    unreal_date_reason,
)
from index.parsing.edoc_xml import start_time_of
from index.parsing.html_sections import DEFAULT_SECTION, collapse_whitespace, element_sections

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.IGNORECASE)
# FirstAgenda sites name their municipality in the logo and the site host.
_MUNICIPALITY_HINTS = (
    re.compile(r"https?://dagsordener\.([a-z0-9\-]+)\.dk", re.IGNORECASE),
    re.compile(r"/([a-z0-9\-]+)_logo\.(?:png|svg|jpe?g|gif)\b", re.IGNORECASE),
)
_DIGITS = re.compile(r"\d+")
# Page furniture inside an item: the "PDF" badges before attachment links, the case number
# (read separately) and buttons.
_ITEM_FURNITURE = ("span.pdf-label", "span.sagsnummer", "button", "script", "style")


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    declared = _META_CHARSET.search(data[:4096])
    encodings = [declared.group(1).decode("ascii")] if declared else []
    for encoding in [*encodings, "utf-8"]:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("cp1252", "replace")


def _select(root: Any, selector: str) -> list[Any]:
    """Descendants matching "tag", "tag.class" or ".class" (one class): a tiny CSS subset."""
    tag, _, css_class = selector.partition(".")
    condition = (
        f"[contains(concat(' ', normalize-space(@class), ' '), ' {css_class} ')]"
        if css_class
        else ""
    )
    return list(root.xpath(f".//{tag or '*'}{condition}"))


def _first_text(root: Any, selector: str) -> str:
    for element in _select(root, selector):
        text = collapse_whitespace(element.text_content())
        if text:
            return text
    return ""


def _municipality(root: Any, text: str) -> str | None:
    for element in root.iter("img", "link", "a"):
        reference = element.get("src") or element.get("href") or ""
        for hint in _MUNICIPALITY_HINTS:
            if match := hint.search(reference):
                slug = match.group(1)
                return "-".join(part.capitalize() for part in slug.split("-"))
    return municipality_from_place(text)


def _participants(root: Any) -> tuple[str, ...]:
    names: list[str] = []
    for cell in _select(root, "td.deltagere"):
        entries = [e for tag in ("li", "div", "span") for e in _select(cell, tag)] or [cell]
        for entry in entries:
            if len(entry) == 0:
                name = collapse_whitespace(entry.text_content())
                if name:
                    names.append(name)
    return tuple(names)


def _is_closed_row(row: Any, title: str) -> bool:
    if is_closed_title(title):
        return True
    return any(
        is_closed_status(collapse_whitespace(label.text_content()))
        for selector in ("span.label", ".lukket", ".closed")
        for label in _select(row, selector)
    )


def _item(row: Any, position: int, body: str, date: str) -> AgendaItem:
    number_text = _first_text(row, "span.label")
    number = int(match.group(0)) if (match := _DIGITS.search(number_text)) else position
    title = _first_text(row, "h2.overskrift") or _first_text(row, "h2")
    case_number = _first_text(row, "span.sagsnummer") or None
    if _is_closed_row(row, title):
        return AgendaItem(number=number, title=title, case_number=case_number, closed=True)
    blocks: list[tuple[str, str, DecisionHeading | None]] = []
    for details in _select(row, "div.details"):
        for selector in _ITEM_FURNITURE:
            for furniture in _select(details, selector):
                furniture.drop_tree()
        blocks += [
            (part.name, part.text, part.decision)
            for part in element_sections(details, DEFAULT_SECTION, include_root=False)
        ]
    return open_item(number, title, case_number, blocks, body, date)


def parse(data: bytes, source: str) -> Meeting:
    try:
        root = lxml.html.document_fromstring(_decode(data))
    except (etree.ParserError, ValueError) as error:
        raise ParseError(f"the HTML cannot be read ({error})") from error
    rows = _select(root, "tr.punktrow")
    if not rows:
        raise ParseError(
            "HTML, but not a saved FirstAgenda meeting page: no agenda item rows (tr.punktrow)"
        )
    body = tidy_body(_first_text(root, "span.udvalg")) if _first_text(root, "span.udvalg") else ""
    if not body:
        raise ParseError("FirstAgenda page without a committee name (span.udvalg)")
    when = _first_text(root, "span.dato") or _first_text(root, "h1.dato")
    date = parse_date(when)
    if date is None:
        raise ParseError(
            unreal_date_reason(when, "span.dato")
            or "FirstAgenda page without a meeting date (span.dato)"
        )
    place = _first_text(root, "span.sted") or None
    items = tuple(_item(row, position, body, date) for position, row in enumerate(rows, start=1))
    return Meeting(
        source=source,
        body=body,
        meeting_date=date,
        municipality=_municipality(root, place or ""),
        start_time=start_time_of(when),
        location=place,
        participants=_participants(root),
        items=items,
    )
