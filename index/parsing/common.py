"""Vocabulary shared by every format parser: section names, dates, case numbers, decision headings.

All functions are pure. Format modules may add functions here; keep existing behaviour stable,
since every parser relies on the same normalisation.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from index.models import AgendaItem, Decision, Section

# Canonical section names. Keys are folded (lower case, single spaces, no trailing punctuation).
SECTION_ALIASES: dict[str, str] = {
    "baggrund": "Baggrund",
    "resume": "Resume",
    "resumé": "Resume",
    "sammenfatning": "Resume",
    "indstilling": "Indstilling",
    "forslag": "Indstilling",
    "indstillinger": "Indstilling",
    "sagsfremstilling": "Sagsfremstilling",
    "fremstilling": "Sagsfremstilling",
    "sagsbeskrivelse": "Sagsfremstilling",
    "beskrivelse": "Sagsfremstilling",
    "sagen": "Sagsfremstilling",
    "supplerende sagsfremstilling": "Supplerende sagsfremstilling",
    "økonomi": "Økonomi",
    "økonomiske konsekvenser": "Økonomi",
    "økonomi og finansiering": "Økonomi",
    "økonomiske forhold": "Økonomi",
    "bevillingsmæssige konsekvenser": "Økonomi",
    "bilag": "Bilag",
    "bilagsfortegnelse": "Bilag",
    "lovgrundlag": "Lovgrundlag",
    "retsgrundlag": "Lovgrundlag",
    "sagsprocedure": "Sagsprocedure",
    "sagens forløb": "Sagsforløb",
    "sagsforløb": "Sagsforløb",
    "kommunikation": "Kommunikation",
    "tidsplan": "Tidsplan",
    "høring": "Høring",
    "høringer": "Høring",
    "øvrige forhold": "Øvrige forhold",
    "øvrige konsekvenser": "Øvrige forhold",
    "sagstype": "Sagstype",
    "vurdering": "Vurdering",
    "administrationens vurdering": "Vurdering",
    "personalemæssige konsekvenser": "Personalemæssige konsekvenser",
    "miljømæssige konsekvenser": "Miljø",
    "klimamæssige konsekvenser": "Miljø",
    "beslutning": "Beslutning",
    # Headings of text-layout minutes (Kalundborg FirstAgenda, Syddjurs Acadre).
    "resume og sagens baggrund": "Resume",
    "behandling": "Behandling",
    "økonomi og organisatoriske konsekvenser": "Økonomi",
    # Headings of the structured formats (eDoc, SBSYS, FirstAgenda web pages).
    "sammendrag": "Resume",
    "beslutningspunkter": "Indstilling",
    "administrationens indstilling": "Indstilling",
    "økonomiske konsekvenser og finansiering": "Økonomi",
    "beslutningen træffes af": "Sagsprocedure",
    "sagen afgøres af": "Sagsprocedure",
    "tidligere behandling": "Sagsforløb",
    "punktet behandlet tidligere": "Sagsforløb",
}

DECISION_SECTION = "Beslutning"

DANISH_MONTHS = {
    "januar": 1,
    "februar": 2,
    "marts": 3,
    "april": 4,
    "maj": 5,
    "juni": 6,
    "juli": 7,
    "august": 8,
    "september": 9,
    "oktober": 10,
    "november": 11,
    "december": 12,
}


def fold_heading(text: str) -> str:
    text = unicodedata.normalize("NFC", text).strip().strip(":.").strip()
    return re.sub(r"\s+", " ", text).lower()


def normalise_section_name(raw: str) -> str | None:
    """The canonical name of a section heading, or None when the text is not a known heading."""
    return SECTION_ALIASES.get(fold_heading(raw))


_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[-./](\d{1,2})[-./](\d{4})\b")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})")
_WORDY_DATE = re.compile(
    r"\b(\d{1,2})\.?\s+(" + "|".join(DANISH_MONTHS) + r")\s+(\d{4})\b", re.IGNORECASE
)


def _iso(year: int, month: int, day: int) -> str | None:
    """ISO date, or None for a date that does not exist (31-02-2019) or is absurd."""
    if not 1900 <= year <= 2100:
        return None
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_date(text: str) -> str | None:
    """The first date in ``text`` as ISO: 20-09-2016, 04.12.2012, 9. september 2019, 2022-01-11."""
    return next((iso for _, _, iso in _date_shaped(text) if iso), None)


def iso_date(year: int, month: int, day: int) -> str | None:
    """ISO date, or None for a date that does not exist or lies outside 1900-2100."""
    return _iso(year, month, day)


def _date_shaped(text: str) -> list[tuple[int, str, str | None]]:
    """(position, matched text, ISO or None) of every date-shaped string in ``text``."""
    found: list[tuple[int, str, str | None]] = []
    for match in _ISO_DATE.finditer(text):
        found.append((match.start(), match.group(0), _iso(*map(int, match.groups()))))
    for match in _NUMERIC_DATE.finditer(text):
        day, month, year = map(int, match.groups())
        found.append((match.start(), match.group(0), _iso(year, month, day)))
    for match in _WORDY_DATE.finditer(text):
        month = DANISH_MONTHS[match.group(2).lower()]
        iso = _iso(int(match.group(3)), month, int(match.group(1)))
        found.append((match.start(), match.group(0), iso))
    return sorted(found, key=lambda entry: entry[0])


def unreal_date_reason(text: str, where: str) -> str | None:
    """Why a meeting date was refused, when ``text`` holds a date that does not exist.

    "31-02-2024" or "01-01-9999" in a heading is a typing error or a placeholder; guessing a
    date would file the meeting under the wrong day, so the file is refused with this reason.
    """
    unreal = next((raw for _, raw, iso in _date_shaped(text) if iso is None), None)
    if unreal is None:
        return None
    return (
        f"the meeting date {unreal!r} in {where} is not a real date "
        "(no such day, or a year outside 1900-2100); correct it in the file"
    )


# Case numbers as municipalities write them: 16/5057, 326-2019-6577, 21-014482, EMN-2025-003383.
CASE_NUMBER_PATTERN = (
    r"(?:[A-ZÆØÅ]{2,5}-\d{4}-\d{3,7}"
    r"|\d{3}-\d{4}-\d{1,7}"
    r"|\d{2}-\d{5,7}"
    r"|\d{2}/\d{1,6}"
    r"|\d{2}\.\d{2}\.\d{2}-[A-ZÆØÅ]\d{2}-\d+-\d{2})"
)
CASE_NUMBER = re.compile(rf"(?<![\w/-]){CASE_NUMBER_PATTERN}(?![\w/])")
_CASE_LABEL = re.compile(r"\b(?:Sagsnr|Sags nr|Sagsnummer|Sag nr)\.?\s*:?\s*(\S+)", re.IGNORECASE)


def find_case_number(text: str) -> str | None:
    """A case number, preferring one labelled "Sagsnr.:" over a bare one."""
    if match := _CASE_LABEL.search(text):
        labelled = match.group(1).rstrip(".,;")
        if CASE_NUMBER.fullmatch(labelled) or re.search(r"\d", labelled):
            return labelled
    if match := CASE_NUMBER.search(text):
        return match.group(0)
    return None


def is_case_number_line(line: str) -> bool:
    return bool(CASE_NUMBER.fullmatch(line.strip()))


@dataclass(frozen=True)
class DecisionHeading:
    body: str | None
    date: str | None


_DATE_TAIL = r"(?:den|d\.)\s+(?P<date>.+?)"
_DECISION_HEADINGS = [
    # Beslutning Direktionen den 20-09-2016 / BESLUTNING DIREKTIONEN DEN 24-02-2015
    re.compile(rf"^beslutning\s+(?:i\s+|på\s+)?(?P<body>.+?)\s+{_DATE_TAIL}\s*:?$", re.I),
    # Direktionens møde den 9. september 2019:
    re.compile(rf"^(?P<body>.+?)s\s+møde\s+{_DATE_TAIL}\s*:?$", re.I),
    # Sundheds- og Forebyggelsesudvalgets beslutning den 04.12.2012
    re.compile(rf"^(?P<body>.+?)s\s+beslutning\s+{_DATE_TAIL}\s*:?$", re.I),
    # Beslutning den 04.12.2012
    re.compile(rf"^beslutning\s+{_DATE_TAIL}\s*:?$", re.I),
    # Beslutning / Beslutninger / Beslutning:
    re.compile(r"^beslutning(?:er)?\s*:?$", re.I),
]


def _tidy_body(raw: str) -> str:
    raw = re.sub(r"\s+", " ", raw).strip(" :")
    if raw.isupper():
        raw = raw.capitalize()
    # "i Udvalget for Teknik" keeps its own capitals; a leading article-free body gets one.
    return raw[:1].upper() + raw[1:]


def parse_decision_heading(line: str) -> DecisionHeading | None:
    """Recognise a decision heading line and the body and date it names."""
    text = re.sub(r"\s+", " ", line).strip()
    if len(text) > 160:
        return None
    for pattern in _DECISION_HEADINGS:
        match = pattern.match(text)
        if not match:
            continue
        groups = match.groupdict()
        date = parse_date(groups["date"]) if groups.get("date") else None
        if groups.get("date") and date is None:
            continue
        body = _tidy_body(groups["body"]) if groups.get("body") else None
        return DecisionHeading(body=body, date=date)
    return None


def is_closed_title(title: str) -> bool:
    """Titles such as "Lukket", "Lukket: Personalesag" or "Lukket punkt" mark closed items."""
    return bool(re.match(r"^\s*lukket(?:\s+punkt)?\s*(?:[:.\-–]|$)", title, re.IGNORECASE))


def is_closed_status(line: str) -> bool:
    return fold_heading(line) in {"lukket", "lukket punkt", "lukket sag", "lukket referat"}


def is_open_status(line: str) -> bool:
    return fold_heading(line) in {"åbent", "åben", "åbent punkt", "åben sag"}


def tidy_body(raw: str) -> str:
    """A body name from a heading or field: "FORRETNINGSUDVALGET" -> "Forretningsudvalget"."""
    return _tidy_body(raw)


_TOWN_HALL = re.compile(r"\b([A-ZÆØÅ][\wæøå]*(?:-[A-ZÆØÅ][\wæøå]*)*)\s+(?:Rådhus|Kommune)\b")


def municipality_from_place(text: str) -> str | None:
    """The municipality a meeting place names: "Lokale 3 på Ballerup Rådhus" -> "Ballerup"."""
    match = _TOWN_HALL.search(text)
    return match.group(1) if match else None


def resolve_decision(
    text: str, heading: DecisionHeading | None, meeting_body: str, meeting_date: str
) -> Decision:
    """A decision with the body and date its heading names, else the meeting's own.

    The meeting date is only assumed when the heading names no other body: "Regionsrådets
    beslutning" in a committee's minutes was (or will be) taken on another day.
    """
    body = heading.body if heading is not None and heading.body else None
    date = heading.date if heading is not None and heading.date else None
    same_body = body is None or fold_heading(body) == fold_heading(meeting_body)
    return Decision(
        text=text,
        body=body or meeting_body,
        date=date or (meeting_date if same_body else None),
    )


def open_item(
    number: int,
    title: str,
    case_number: str | None,
    blocks: Iterable[tuple[str, str, DecisionHeading | None]],
    meeting_body: str,
    meeting_date: str,
    extra_sections: Iterable[Section] = (),
) -> AgendaItem:
    """An open item from its (name, text, decision heading) blocks in document order: decision
    blocks become decisions resolved against the meeting, the rest sections; empty ones go."""
    sections: list[Section] = []
    decisions: list[Decision] = []
    for name, text, heading in blocks:
        if not text:
            continue
        if heading is not None:
            decisions.append(resolve_decision(text, heading, meeting_body, meeting_date))
        else:
            sections.append(Section(name, text))
    sections.extend(extra_sections)
    return AgendaItem(
        number=number,
        title=title,
        case_number=case_number,
        sections=tuple(sections),
        decisions=tuple(decisions),
    )
