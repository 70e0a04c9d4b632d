"""Minutes laid out as plain text: FirstAgenda text referater and the text layer of PDF/Word files.

One parser serves every text-shaped source. ``extract`` turns PDF and Word files into the same
kind of text (pages separated by form feeds) and hands it to ``parse_text``.

The layouts it understands, all seen in real minutes:

* FirstAgenda: "REFERAT <body> d. DD-MM-YYYY", "Mødedato/Mødested/Mødedeltagere" lines, a table
  of contents ("Title.....<tab>3"), items "Punkt N: Title", a bare or labelled case number,
  section headings, decision headings such as "Beslutning Direktionen den 20-09-2016" or
  "Direktionens møde den 9. september 2019:", closed items titled "Lukket".
* eDoc and Acadre exports: a front page, running page headers and footers, items "N. Title"
  followed by "Sagsnr.:", decision headings such as "Sundheds- og Forebyggelsesudvalgets
  beslutning den 04.12.2012" or "Beslutning i Udvalget for ... den 10-04-2013".

Closed items keep their number and title; their text is dropped here, at parse time, so it can
never reach an index.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from index.models import AgendaItem, Decision, Meeting, Section
from index.parsing import ParseError
from index.parsing.common import (
    DANISH_MONTHS,
    DecisionHeading,
    fold_heading,
    is_case_number_line,
    is_closed_status,
    is_closed_title,
    is_open_status,
    municipality_from_place,
    normalise_section_name,
    parse_date,
    parse_decision_heading,
    resolve_decision,
    unreal_date_reason,
)

# Text before an item's first heading is, in every layout seen, the case description.
DEFAULT_SECTION = "Sagsfremstilling"

# ---------------------------------------------------------------------------------------------
# Decoding and line cleaning


def decode_text(data: bytes) -> str:
    """Bytes of a text file as str: UTF-16 (with BOM, or detected by its zero bytes), UTF-8 (with
    or without BOM), else line by line UTF-8 or cp1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise ParseError("the text file claims to be UTF-16 but is not valid UTF-16") from error
    if utf16 := _utf16_without_bom(data):
        try:
            return data.decode(utf16)
        except UnicodeDecodeError:
            pass  # not UTF-16 after all: the zero bytes are read as garbage below
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Each line on its own: a file pasted together from a UTF-8 and a cp1252 export keeps its
    # "æøå" readable in both halves instead of turning the UTF-8 half into "Ã¦Ã¸Ã¥".
    return "\n".join(_decode_line(line) for line in data.split(b"\n"))


def _decode_line(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return line.decode("cp1252")
    except UnicodeDecodeError:
        # The five bytes cp1252 leaves undefined; latin-1 maps every byte.
        return line.decode("latin-1")


def _utf16_without_bom(data: bytes) -> str | None:
    """ "utf-16-le"/"utf-16-be" when every other byte of the start is zero, as in Danish UTF-16."""
    head = data[:4000]
    if len(head) < 40:
        return None
    even_zeros = head[0::2].count(0) / len(head[0::2])
    odd_zeros = head[1::2].count(0) / len(head[1::2])
    if odd_zeros > 0.7 and even_zeros < 0.1:
        return "utf-16-le"
    if even_zeros > 0.7 and odd_zeros < 0.1:
        return "utf-16-be"
    return None


_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")  # soft hyphen, zero-widths
_SPACE_LIKE = re.compile(r"[^\S\n\f]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _normalise(text: str) -> str:
    # A NUL is padding, never a character: dropped, so "Sol\0gården" stays one word.
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text.replace("\x00", "")))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub(" ", text)
    return _SPACE_LIKE.sub(" ", text)  # tabs, no-break spaces and runs of spaces become one space


# "N/M" is left out on purpose: "17/163" is a case number far more often than a page number.
_PAGE_NUMBER_LINE = re.compile(
    r"^(?:(?:side|page)\s+\d{1,4}(?:\s*(?:af|of|/)\s*\d{1,4})?"
    r"|\d{1,4}\s+(?:af|of)\s+\d{1,4}"
    r"|[-–]?\s*\d{1,3}\s*[-–]?)$",
    re.IGNORECASE,
)
# "Side 2 af 7" is a page break even in text with no form feeds (text copied out of a PDF).
_EXPLICIT_PAGE_LINE = re.compile(r"^(?:side|page)\s+\d{1,4}(?:\s*(?:af|of|/)\s*\d{1,4})?$", re.I)
_EDGE_DEPTH = 6


def _digit_key(line: str) -> str:
    return re.sub(r"\d+", "#", line)


def _pages(text: str) -> list[list[str]]:
    pages = [[line.strip() for line in page.split("\n")] for page in text.split("\f")]
    if len(pages) > 1:
        return pages
    lines = pages[0]
    page_lines = [i for i, line in enumerate(lines) if _EXPLICIT_PAGE_LINE.match(line)]
    if len(page_lines) < 2:
        return pages
    split: list[list[str]] = []
    start = 0
    for index in page_lines:
        split.append(lines[start : index + 1])
        start = index + 1
    split.append(lines[start:])
    return split


def _edge_lines(page: list[str], from_top: bool) -> list[str]:
    filled = [line for line in page if line]
    return filled[:_EDGE_DEPTH] if from_top else filled[::-1][:_EDGE_DEPTH]


def _running_template(pages: list[list[str]], from_top: bool) -> tuple[str, ...]:
    """The run of lines (digits ignored) that starts or ends most pages: a page header/footer.

    The run only grows while every page that has it also has the longer run, so two pages that
    happen to start with "Punkt 3: Lukket" do not make an item heading part of the header.
    """
    if len(pages) < 2:
        return ()
    edges = [_edge_lines(page, from_top) for page in pages]
    keyed = [[_digit_key(line) for line in edge] for edge in edges]
    template: tuple[str, ...] = ()
    support = 0
    for length in range(1, _EDGE_DEPTH + 1):
        counts = Counter(
            tuple(keys[:length])
            for keys in keyed
            if len(keys) > length and tuple(keys[: length - 1]) == template
        )
        if not counts:
            break
        candidate, count = counts.most_common(1)[0]
        needed = max(2, math.ceil(0.6 * len(pages))) if not template else math.ceil(0.9 * support)
        examples = [
            edge[length - 1]
            for edge, keys in zip(edges, keyed, strict=True)
            if tuple(keys[:length]) == candidate
        ]
        if count < needed or not all(map(_may_be_running_line, examples)):
            break
        template, support = candidate, count
    return template


_DECISION_WORDS = re.compile(r"beslutning|\bmøde\s+(?:den|d\.)", re.IGNORECASE)


def _may_be_running_line(line: str) -> bool:
    """Headings, case numbers and sentences are content even when two pages start alike."""
    return not (
        line.endswith((".", "!", "?"))
        or _PUNKT_HEADING.match(line)
        or _NUMBERED_HEADING.match(line)
        or normalise_section_name(line) is not None
        or _DECISION_WORDS.search(line)
        or is_case_number_line(line)
    )


def _strip_edge(
    page: list[str], template: tuple[str, ...], from_top: bool
) -> tuple[list[str], list[str]]:
    """(the page without its header or footer, the removed lines)."""
    lines = page if from_top else page[::-1]
    position = 0
    removed: list[str] = []
    while len(removed) < len(template) and position < len(lines):
        if not lines[position]:
            position += 1
            continue
        if _digit_key(lines[position]) != template[len(removed)]:
            return page, []  # only a complete header/footer is removed, never a lookalike line
        removed.append(lines[position])
        position += 1
    if len(removed) < len(template):
        return page, []
    rest = lines[position:]
    return (rest if from_top else rest[::-1]), removed


def _strip_page_numbers(page: list[str]) -> list[str]:
    lines = list(page)
    for from_top in (True, False):
        while lines:
            index = next(
                (
                    i
                    for i in (range(len(lines)) if from_top else range(len(lines) - 1, -1, -1))
                    if lines[i]
                ),
                None,
            )
            if index is None or not _PAGE_NUMBER_LINE.match(lines[index]):
                break
            del lines[index]
    return lines


@dataclass(frozen=True)
class _CleanText:
    lines: list[str]  # "" marks a blank line
    running: list[str]  # the removed running header/footer lines, for metadata fallbacks


def _clean(text: str) -> _CleanText:
    pages = _pages(_normalise(text))
    header = _running_template(pages, from_top=True)
    footer = _running_template(pages, from_top=False)
    lines: list[str] = []
    running: list[str] = []
    for page in pages:
        kept = page
        if header:
            kept, removed = _strip_edge(kept, header, from_top=True)
            running.extend(removed)
        if footer:
            kept, removed = _strip_edge(kept, footer, from_top=False)
            running.extend(removed)
        if len(pages) > 1:
            kept = _strip_page_numbers(kept)
        lines.extend(kept)
    # A "Side 2" or "Side 2 af 15" line is never content, wherever a page break fell.
    lines = [line for line in lines if not _EXPLICIT_PAGE_LINE.match(line)]
    return _CleanText(lines, running[: _EDGE_DEPTH * 2])


# ---------------------------------------------------------------------------------------------
# Table of contents


@dataclass(frozen=True)
class _TocEntry:
    number: int | None
    title: str


@dataclass(frozen=True)
class _Toc:
    start: int  # index of the "Indholdsfortegnelse" line
    end: int  # first index after the table
    entries: tuple[_TocEntry, ...]


_TOC_ENTRY = re.compile(
    r"^(?:(?P<number>\d{1,4})\.\s+)?(?P<title>.*?\w.*?)(?:\s*\.{2,}\s*|\s+)(?P<page>\d{1,3})$"
)
_TOC_ENTRY_START = re.compile(r"^\d{1,4}\.\s")  # a numbered entry never continues another
_TOC_ENTRY_LINES = 3  # the longest titles wrap onto three lines
_BARE_PAGE = re.compile(r"^\d{1,3}$")
_TOC_COLUMN_HEADER = re.compile(r"^(?:punkt\s*(?:nr\.?)?\s+)?side$", re.IGNORECASE)
_STATUS_HEADINGS = {"åbent referat", "lukket referat", "åben dagsorden", "lukket dagsorden"}
_PUNKT_HEADING = re.compile(r"^Punkt\s+(?P<number>\d{1,4})\s*[:.]\s*(?P<title>\S.*)$", re.I)


def _is_status_line(line: str) -> bool:
    if len(line) > 20:  # every status line is short; most lines are not
        return False
    return is_open_status(line) or is_closed_status(line) or fold_heading(line) in _STATUS_HEADINGS


def _find_toc(lines: list[str]) -> _Toc | None:
    start = next(
        (i for i, line in enumerate(lines) if fold_heading(line) == "indholdsfortegnelse"), None
    )
    if start is None:
        return None
    entries: list[_TocEntry] = []
    last_page = 0
    last_number = -1

    def entry_at(index: int) -> tuple[int, _TocEntry, int] | None:
        """(lines taken, entry, page) for an entry wrapped over 1 to 3 lines at ``index``."""
        text = ""
        found: tuple[int, _TocEntry, int] | None = None
        for span, line in enumerate(lines[index : index + _TOC_ENTRY_LINES], start=1):
            if not line or (span > 1 and (_case_line(line) or _TOC_ENTRY_START.match(line))):
                break
            if found and found[1].number is None and not _BARE_PAGE.match(line):
                # Complete. In a numbered table every line not starting "N." continues the
                # entry ("... opfølgning 48" / "budget 3"); here only a lone page number does.
                break
            text = _join_wrapped(text, line) if text else line
            match = _TOC_ENTRY.match(text)
            if not match or _PUNKT_HEADING.match(text):
                continue
            number = int(match.group("number")) if match.group("number") else None
            page = int(match.group("page"))
            if page >= last_page and (number is None or number > last_number):
                found = span, _TocEntry(number, _tidy_title(match.group("title"))), page
        return found or numbered_without_page(index)

    def numbered_without_page(index: int) -> tuple[int, _TocEntry, int] | None:
        """ "2. Title" whose page number was lost (cut as a page number at a page break)."""
        match = _NUMBERED_HEADING.match(lines[index])
        following = _next_filled(lines, index + 1, 1)
        if not match or int(match.group("number")) <= last_number or not following:
            return None
        after = _NUMBERED_HEADING.match(lines[following[0]])
        if after is None or int(after.group("number")) != int(match.group("number")) + 1:
            return None
        entry = _TocEntry(int(match.group("number")), _tidy_title(match.group("title")))
        return following[0] - index, entry, last_page

    index = start + 1
    while index < len(lines):
        line = lines[index]
        if not line or _TOC_COLUMN_HEADER.match(line) or _is_status_line(line):
            index += 1
            continue
        if _PUNKT_HEADING.match(line):
            break
        found = entry_at(index)
        if found is None:
            break
        span, entry, last_page = found
        if entry.number is not None:
            last_number = entry.number
        entries.append(entry)
        index += span
    return _Toc(start, index, tuple(entries))


def _tidy_title(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _comparable(text: str) -> str:
    # A TOC entry and its heading differ in trailing dots and case only ("mv." vs "mv").
    return _tidy_title(text).rstrip(" .").casefold()


def _same_start(longer: str, shorter: str) -> bool:
    return _comparable(longer).startswith(_comparable(shorter))


# ---------------------------------------------------------------------------------------------
# Reflowing wrapped lines

_LIST_MARKER = re.compile(r"^(?:[-–•·*§]|\d{1,3}[.)]|[a-zA-Z][.)]|\(?[a-zA-Z0-9]{1,3}\))\s")
_KEEPS_SPACE_AFTER_HYPHEN = {"og", "eller", "samt", "til", "som"}


def _join_wrapped(left: str, right: str) -> str:
    """Join a line broken by the layout; "ikke-" + "planlagte" stays one word."""
    if (
        len(left) >= 2
        and left.endswith("-")
        and left[-2].isalnum()
        and right[:1].islower()
        and right.split(maxsplit=1)[0] not in _KEEPS_SPACE_AFTER_HYPHEN
    ):
        return left + right
    return f"{left} {right}"


def _wrap_width(lines: list[str]) -> int | None:
    """The width text was wrapped at, or None when lines are whole paragraphs (no reflow)."""
    lengths = sorted(len(line) for line in lines if line)
    if len(lengths) < 10:
        return None
    width = lengths[int(0.95 * (len(lengths) - 1))]
    return width if width <= 160 else None


def _render(lines: list[str], wrap_width: int | None) -> str:
    paragraphs: list[str] = []
    current = ""
    previous = ""
    for line in lines:
        if not line:
            if current:
                paragraphs.append(current)
            current = previous = ""
            continue
        if not current:
            current = line
        elif (
            wrap_width is not None
            and len(previous) >= 0.6 * wrap_width
            and not previous.endswith(":")
            and not _LIST_MARKER.match(line)
        ):
            current = _join_wrapped(current, line)
        else:
            current += "\n" + line
        previous = line
    if current:
        paragraphs.append(current)
    return "\n\n".join(paragraphs).strip()


# ---------------------------------------------------------------------------------------------
# Headings inside an item

_MONTHS = "|".join(DANISH_MONTHS)
# A decision heading ends with its date (and at most "Punkt N" or a colon): this is what tells
# "Direktionens møde den 9. september 2019:" from a sentence that mentions a meeting.
_DATE_AT_END = re.compile(
    rf"(?:\d{{1,2}}[-./]\d{{1,2}}[-./]\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}\.?\s+(?:{_MONTHS})"
    rf"\s+\d{{4}})\s*(?::|\s+punkt\s+\d{{1,4}})?$",
    re.IGNORECASE,
)
_BARE_DECISION = {"beslutning", "beslutninger"}


def decision_heading(line: str) -> DecisionHeading | None:
    """A decision heading line, stricter than ``parse_decision_heading`` about prose lookalikes."""
    heading = parse_decision_heading(line)
    if heading is None:
        return None
    if heading.date is None:
        return heading if fold_heading(line) in _BARE_DECISION else None
    if not _DATE_AT_END.search(line.strip()):
        return None
    if heading.body is not None and len(heading.body.split()) > 10:
        return None
    return heading


def section_heading(line: str) -> str | None:
    if len(line) > 80:
        return None
    name = normalise_section_name(line)
    return None if name == "Beslutning" else name


def _is_caps_heading(line: str) -> bool:
    """Upper-case document headings such as "BESLUTNINGSFORSLAG FRA DD" (Aarhus)."""
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 8 and len(line.split()) >= 2 and all(c.isupper() for c in letters)


_CASE_LABEL_LINE = re.compile(
    r"^(?:Sagsnr|Sags nr|Sagsnummer|Sag nr)\.?\s*:?\s*(?P<value>\S*\d\S*)\s*(?P<rest>.*)$",
    re.IGNORECASE,
)


def _case_line(line: str) -> tuple[str, str] | None:
    """(case number, rest of the line) for "16/5057" or "Sagsnr.: 326-2019-6577 J.nr.: ..."."""
    if is_case_number_line(line):
        return line.strip(), ""
    match = _CASE_LABEL_LINE.match(line)
    if not match:
        return None
    return match.group("value").rstrip(".,;"), match.group("rest").strip()


_HISTORY_BODY = re.compile(r"^Udvalg\s*:\s*(?P<body>\S.*)$", re.IGNORECASE)
_HISTORY_DATE = re.compile(r"^Dato\s*:\s*(?P<date>\S.*)$", re.IGNORECASE)
_HISTORY_NUMBER = re.compile(r"^Punktnummer\s*:\s*\d{1,4}$", re.IGNORECASE)
_TRAILERS = {"underskriftsside", "underskrifter"}


# ---------------------------------------------------------------------------------------------
# Items


@dataclass(frozen=True)
class _ItemStart:
    index: int
    number: int
    title: str


_NUMBERED_HEADING = re.compile(r"^(?P<number>\d{1,4})\.\s+(?P<title>\S.*)$")


def _next_filled(lines: list[str], index: int, limit: int) -> list[int]:
    found: list[int] = []
    while index < len(lines) and len(found) < limit:
        if lines[index]:
            found.append(index)
        index += 1
    return found


def _in_sequence(starts: list[_ItemStart], number: int, title: str) -> bool:
    """Item numbers rise; a lower one is body text ("Punkt 1: godkendt"), unless it is closed.

    A closed heading always starts an item, so a renumbered closed part can never be read as
    the text of the open item before it.
    """
    return not starts or number > starts[-1].number or is_closed_title(title)


def _repeated_number_heading(lines: list[str], index: int, title: str, toc: _Toc | None) -> bool:
    """A "Punkt N:" line whose number does not rise is still an item heading when the table of
    contents lists exactly its title or a case number follows within three lines: minutes that
    number two items alike must keep both, not fold the second into the first one's text."""
    if toc and any(_comparable(entry.title) == _comparable(title) for entry in toc.entries):
        return True
    return any(_case_line(lines[following]) for following in _next_filled(lines, index + 1, 3))


def _find_item_starts(lines: list[str], toc: _Toc | None) -> list[_ItemStart]:
    begin = toc.end if toc else 0
    starts: list[_ItemStart] = []
    for index in range(begin, len(lines)):
        match = _PUNKT_HEADING.match(lines[index])
        if match is None:
            continue
        number, title = int(match.group("number")), match.group("title")
        if _in_sequence(starts, number, title) or _repeated_number_heading(
            lines, index, title, toc
        ):
            starts.append(_ItemStart(index, number, title))
    if starts:
        return starts
    # eDoc/Acadre: "N. Title", confirmed by the table of contents or a "Sagsnr." line below it.
    toc_numbers = {e.number: e.title for e in toc.entries if e.number is not None} if toc else {}
    for index in range(begin, len(lines)):
        match = _NUMBERED_HEADING.match(lines[index])
        if not match:
            continue
        number = int(match.group("number"))
        title = match.group("title")
        if title[:1].islower():
            continue
        # A closed heading always starts an item, lest its text be read as the item before's.
        confirmed = _labelled_below(lines, index) or is_closed_title(title)
        if not _in_sequence(starts, number, title) and not confirmed:
            continue  # a repeated number is kept only with its own "Sagsnr." line below
        rising = bool(starts) and number > starts[-1].number
        if toc_numbers and number not in toc_numbers and not (rising and confirmed):
            # "2024. Det ..." is a wrapped sentence, not item 2024. An item the table lost (its
            # page number cut off at a page break) still has its own "Sagsnr." line, or is
            # closed, and comes after a listed item (not among the table's own leftover lines).
            continue
        listed = number in toc_numbers and (
            _same_start(toc_numbers[number], title) or _same_start(title, toc_numbers[number])
        )
        if listed or confirmed:
            starts.append(_ItemStart(index, number, title))
    return starts


def _labelled_below(lines: list[str], index: int) -> bool:
    """A "Sagsnr." line within three lines, with no "N. ..." line before it: that "Sagsnr."
    belongs to the later heading, and this line is a wrapped sentence ("... 48 4. Budget")."""
    for following in _next_filled(lines, index + 1, 3):
        if _CASE_LABEL_LINE.match(lines[following]):
            return True
        if _NUMBERED_HEADING.match(lines[following]):
            return False
    return False


def _extend_title(
    title: str, lines: list[str], index: int, number: int, toc: _Toc | None
) -> tuple[str, int]:
    """Rejoin a title the layout wrapped onto following lines; returns (title, next index)."""
    entries = toc.entries if toc else ()
    candidates = [e.title for e in entries if e.number == number] or [e.title for e in entries]
    while index < len(lines) and lines[index]:
        line = lines[index]
        if _case_line(line):
            break
        joined = [_join_wrapped(title, line), f"{title} {line}"]
        extended = next(
            (
                candidate
                for candidate in joined
                for entry in candidates
                if len(_comparable(entry)) > len(_comparable(title))
                and _same_start(entry, title)
                and (_same_start(entry, candidate) or _same_start(candidate, entry))
            ),
            None,
        )
        if extended is None:
            return _title_before_case_line(title, lines, index)
        title = extended
        index += 1
    return title, index


def _title_before_case_line(title: str, lines: list[str], index: int) -> tuple[str, int]:
    """Without a table of contents: up to two lines directly above the case number line."""
    run: list[str] = []
    while index + len(run) < len(lines) and lines[index + len(run)] and len(run) < 3:
        line = lines[index + len(run)]
        if _case_line(line):
            break
        # A status line ("Lukket") under the heading is never part of the title: read as a
        # title word it would leave a closed item open.
        if section_heading(line) or decision_heading(line) or _is_status_line(line):
            return title, index
        if len(line) > 120:
            return title, index
        run.append(line)
    next_index = index + len(run)
    if not run or next_index >= len(lines) or not _case_line(lines[next_index]):
        return title, index
    for line in run:
        title = _join_wrapped(title, line)
    return title, next_index


@dataclass
class _Block:
    kind: str  # "section" or "decision"
    name: str | None = None  # section name; None is the text before the first heading
    body: str | None = None
    date: str | None = None
    lines: list[str] = field(default_factory=list)
    heading: str = ""  # the heading line that opened the block


@dataclass
class _ItemText:
    title: str
    closed: bool = False
    case_number: str | None = None
    blocks: list[_Block] = field(default_factory=list)


def _title_repeat(title: str, number: int, lines: list[str], index: int) -> tuple[str, int] | None:
    """Kalundborg-style "N. Title" repeated under the heading: (best title, next index)."""
    match = re.match(rf"^{number}\.?\s+(?P<text>\S.*)$", lines[index])
    if not match:
        return None
    text = match.group("text")
    if _same_start(text, title):
        return (_tidy_title(text) if len(text) > len(title) else title), index + 1
    if not _same_start(title, text):
        return None
    index += 1
    while index < len(lines) and lines[index] and len(_comparable(text)) < len(_comparable(title)):
        joined = _join_wrapped(text, lines[index])
        if not _same_start(title, joined):
            joined = f"{text} {lines[index]}"
            if not _same_start(title, joined):
                break
        text = joined
        index += 1
    return title, index


def _read_item(start: _ItemStart, lines: list[str], toc: _Toc | None) -> _ItemText:
    title, index = _extend_title(_tidy_title(start.title), lines, 0, start.number, toc)
    item = _ItemText(title=title, closed=is_closed_title(title))
    if item.closed:
        return item
    current = _Block("section")
    in_preamble = True
    while index < len(lines):
        line = lines[index]
        if not line:
            current.lines.append("")
            index += 1
            continue
        if in_preamble and _is_status_line(line):
            # "Åbent" / "Lukket" under the heading (Kalundborg); "Lukket" closes the item.
            if is_closed_status(line):
                item.closed = True
                return item
            index += 1
            continue
        if in_preamble:
            case = _case_line(line) if item.case_number is None else None
            if case is not None:
                item.case_number, rest = case
                if rest:
                    current.lines.append(rest)
                index += 1
                continue
            repeat = _title_repeat(item.title, start.number, lines, index)
            if repeat is not None:
                item.title, index = repeat
                continue
        heading = decision_heading(line)
        if heading is not None:
            _close_block(item.blocks, current)
            current = _Block("decision", body=heading.body, date=heading.date, heading=line)
            in_preamble = False
            index += 1
            continue
        name = section_heading(line)
        if name is not None and not _is_attachment_name(current, item.blocks, name):
            _close_block(item.blocks, current)
            current = _Block("section", name=name, heading=line)
            index += 1
            continue
        history = _history_heading(lines, index) if _in_history(current) else None
        if history is not None:
            _close_block(item.blocks, current)
            current, index = history
            continue
        if current.kind == "decision" and _is_caps_heading(line):
            # "BESLUTNINGSFORSLAG FRA DD" starts the case papers under a decision.
            _close_block(item.blocks, current)
            current = _Block("section")
        current.lines.append(line)
        in_preamble = False
        index += 1
    _close_block(item.blocks, current)
    return item


def _is_attachment_name(current: _Block, blocks: list[_Block], name: str) -> bool:
    """Aarhus lists an attachment called "Indstilling" first under "Bilag": not a heading."""
    return (
        current.name == "Bilag"
        and not any(current.lines)
        and any(block.name == name for block in blocks)
    )


def _close_block(blocks: list[_Block], block: _Block) -> None:
    bare_decision = block.kind == "decision" and block.body is None and block.date is None
    if bare_decision and blocks and not any(block.lines):
        # A lone "Beslutning" followed by another heading was a word ("Sagstype: Beslutning").
        blocks[-1].lines.append(block.heading)
        return
    blocks.append(block)


def _in_history(block: _Block) -> bool:
    # The history rows and the decisions made from them both carry the section's name.
    return block.name == "Sagsforløb"


def _history_heading(lines: list[str], index: int) -> tuple[_Block, int] | None:
    """Aarhus "Sagsforløb" rows: "Udvalg: X" / "Dato: DD-MM-YYYY" / "Punktnummer: N"."""
    body = _HISTORY_BODY.match(lines[index])
    if not body:
        return None
    following = _next_filled(lines, index + 1, 2)
    if not following:
        return None
    date_line = _HISTORY_DATE.match(lines[following[0]])
    date = parse_date(date_line.group("date")) if date_line else None
    if date is None:
        return None
    after = following[0] + 1
    if len(following) > 1 and _HISTORY_NUMBER.match(lines[following[1]]):
        after = following[1] + 1
    block = _Block("decision", name="Sagsforløb", body=body.group("body").strip(), date=date)
    return block, after


def _build_item(
    number: int, text: _ItemText, wrap_width: int | None, meeting: _Header
) -> AgendaItem:
    if text.closed:
        return AgendaItem(number=number, title=text.title, closed=True)
    section_order: list[str] = []
    section_parts: dict[str, list[str]] = {}
    decisions: list[Decision] = []
    for block in text.blocks:
        rendered = _render(block.lines, wrap_width)
        if not rendered:
            continue
        if block.kind == "decision":
            heading = DecisionHeading(block.body, block.date)
            # A bare "Beslutning" is the meeting's own decision, as in every other format.
            decisions.append(
                resolve_decision(rendered, heading, meeting.body or "", meeting.date or "")
            )
            continue
        name = block.name or DEFAULT_SECTION
        if name not in section_parts:
            section_order.append(name)
            section_parts[name] = []
        section_parts[name].append(rendered)
    sections = tuple(Section(name, "\n\n".join(section_parts[name])) for name in section_order)
    return AgendaItem(
        number=number,
        title=text.title,
        case_number=text.case_number,
        sections=sections,
        decisions=tuple(decisions),
    )


# ---------------------------------------------------------------------------------------------
# Meeting header

_FIRSTAGENDA_TITLE = re.compile(
    r"^(?:referat|dagsorden|beslutningsprotokol)\s+(?P<body>.+?)\s+(?:d\.|den)\s+"
    r"(?P<date>\d{1,2}[-./]\d{1,2}[-./]\d{4})$",
    re.IGNORECASE,
)
_DOCUMENT_KIND = {"referat", "dagsorden", "beslutningsprotokol", "åbent referat"}
_LABEL = re.compile(
    r"^(?P<label>mødedato|mødetidspunkt|mødested|mødedeltagere|deltagere|tilstede|til stede"
    r"|medlemmer|afbud/fraværende|afbud|fraværende|sekretær|mødeleder|formand)\b\s*:?\s*"
    r"(?P<value>.*)$",
    re.IGNORECASE,
)
_PARTICIPANT_LABELS = {"mødedeltagere", "deltagere", "tilstede", "til stede", "medlemmer"}
_ABSENT_LABELS = {"afbud", "fraværende", "afbud/fraværende"}
_TIME = re.compile(r"\bkl\.?\s*(?P<hour>\d{1,2})[:.](?P<minute>\d{2})\b", re.IGNORECASE)
_TIME_ONLY = re.compile(r"^kl\.?\s*\d{1,2}[:.]\d{2}$", re.IGNORECASE)
_COUNCIL = re.compile(
    r"^(?P<town>[A-ZÆØÅ][\w]+(?:-[A-ZÆØÅ][\w]+)*)\s+(?P<kind>Byråd|Kommunalbestyrelse)$"
)
_MUNICIPALITY = re.compile(r"\b(?P<town>[A-ZÆØÅ][a-zæøå]+(?:-[A-ZÆØÅ][a-zæøå]+)*)\s+Kommunes?\b")
_REFERAT_FOR = re.compile(r"^(?:referat|dagsorden)\s+(?:for|fra)\s+(?P<body>\S.*)$", re.I)


@dataclass
class _Header:
    body: str | None = None
    municipality: str | None = None
    date: str | None = None
    start_time: str | None = None
    location: str | None = None
    participants: tuple[str, ...] = ()


def _label(line: str) -> tuple[str, str] | None:
    match = _LABEL.match(line)
    if not match:
        return None
    return match.group("label").lower(), match.group("value").strip()


def _is_header_stop(line: str) -> bool:
    return (
        not line
        or _label(line) is not None
        or _is_status_line(line)
        or fold_heading(line) == "indholdsfortegnelse"
    )


def _names(lines: list[str], index: int, inline: str) -> tuple[str, ...]:
    """The people listed under a label: inline and comma-separated, or one per line."""
    if not inline:
        names: list[str] = []
        for line in lines[index + 1 :]:
            if _is_header_stop(line) or parse_date(line):
                break
            names.append(line)
        return tuple(names)
    gathered = inline
    for line in lines[index + 1 :]:
        if _is_header_stop(line) or parse_date(line):
            break
        gathered = _join_wrapped(gathered, line)  # inline lists wrap mid-name
    return tuple(name.strip() for name in gathered.split(",") if name.strip())


def _location_after_date(lines: list[str], index: int) -> str | None:
    parts: list[str] = []
    for line in lines[index + 1 : index + 8]:
        if _TIME_ONLY.match(line):
            continue
        if _is_header_stop(line) or parse_date(line):
            break
        parts.append(line)
    if not parts:
        return None
    return re.sub(r"^i\s+", "", ", ".join(parts))


def _read_header(lines: list[str], running: list[str]) -> _Header:
    header = _Header()
    body_after_kind = False
    first_agenda = False
    members_only = False  # "Medlemmer" lists everyone; "Fraværende" says who was not there
    absent: set[str] = set()
    for index, line in enumerate(lines):
        if not line:
            continue
        if match := _FIRSTAGENDA_TITLE.match(line):
            first_agenda = True
            header.body = header.body or match.group("body")
            header.date = header.date or parse_date(match.group("date"))
            continue
        if fold_heading(line) in _DOCUMENT_KIND:
            body_after_kind = header.body is None
            continue
        labelled = _label(line)
        if labelled is not None:
            label, value = labelled
            if label in {"mødedato", "mødetidspunkt"}:
                header.date = parse_date(value) or header.date
            elif label == "mødested" and value:
                header.location = value
            elif label in _PARTICIPANT_LABELS and not header.participants:
                header.participants = _names(lines, index, value)
                members_only = label == "medlemmer"
            elif label in _ABSENT_LABELS:
                absent.update(_names(lines, index, value))
            continue
        if body_after_kind and not parse_date(line) and not _TIME_ONLY.match(line):
            header.body = line
            body_after_kind = False
            continue
        body_after_kind = False
        if header.date is None and (date := parse_date(line)):
            header.date = date
            if not first_agenda and header.location is None:
                header.location = _location_after_date(lines, index)
    if members_only and absent:
        header.participants = tuple(n for n in header.participants if n not in absent)
    for line in lines:
        if header.start_time is None and (time := _TIME.search(line)):
            header.start_time = f"{int(time.group('hour')):02d}:{time.group('minute')}"
    for line in running:
        if header.body is None and (match := _REFERAT_FOR.match(line)):
            header.body = match.group("body")
        if header.date is None:
            header.date = parse_date(line)
    if header.body is None and running:
        header.body = running[0]
    if header.body and (council := _COUNCIL.match(header.body)):
        header.municipality = council.group("town")
        header.body = "Byrådet" if council.group("kind") == "Byråd" else "Kommunalbestyrelsen"
    if header.municipality is None and header.location:
        header.municipality = municipality_from_place(header.location)
    return header


def _most_named_municipality(texts: list[str]) -> str | None:
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(match.group("town") for match in _MUNICIPALITY.finditer(text))
    # Counter keeps first-seen order among equals, so a tie goes to the first one named.
    return counts.most_common(1)[0][0] if counts else None


# ---------------------------------------------------------------------------------------------
# Entry points


def parse(data: bytes, source: str) -> Meeting:
    """Parse a text file's bytes (any of the supported encodings and line endings)."""
    text = decode_text(data)
    if len(_CONTROL.findall(text, 0, 4000)) > 40:
        raise ParseError("this does not look like a text file (it contains binary data)")
    return parse_text(text, source)


def parse_text(text: str, source: str) -> Meeting:
    """Parse minutes already turned into text (pages may be separated by form feeds)."""
    cleaned = _clean(text)
    lines = cleaned.lines
    toc = _find_toc(lines)
    starts = _find_item_starts(lines, toc)
    if not starts:
        raise ParseError(
            "no agenda items were found (no 'Punkt N: Title' or numbered item headings)"
        )
    header_end = toc.start if toc and toc.start < starts[0].index else starts[0].index
    header = _read_header(lines[:header_end], cleaned.running)
    if header.date is None:
        raise ParseError(
            unreal_date_reason("\n".join(lines[:header_end]), "the heading of the minutes")
            or "the meeting date could not be found in the heading of the minutes"
        )
    if not header.body:
        raise ParseError("the committee or council holding the meeting is not named")

    wrap_width = _wrap_width(lines)
    ends = [start.index for start in starts[1:]] + [_document_end(lines, starts[-1].index)]
    items: list[AgendaItem] = []
    closed_from = _closed_section_start(lines, starts)
    open_texts: list[str] = lines[:header_end]
    for start, next_start in zip(starts, ends, strict=True):
        end = min(next_start, closed_from) if start.index < closed_from else next_start
        item_text = _read_item(start, lines[start.index + 1 : end], toc)
        if start.index > closed_from:
            item_text = _ItemText(title=item_text.title, closed=True)
        item = _build_item(start.number, item_text, wrap_width, header)
        items.append(item)
        if not item.closed:
            open_texts.extend(lines[start.index : end])
    municipality = header.municipality or _most_named_municipality(open_texts)
    return Meeting(
        source=source,
        body=header.body,
        meeting_date=header.date,
        municipality=municipality,
        start_time=header.start_time,
        location=header.location,
        participants=header.participants,
        items=tuple(items),
    )


def _document_end(lines: list[str], last_start: int) -> int:
    for index in range(last_start + 1, len(lines)):
        if len(lines[index]) < 20 and fold_heading(lines[index]) in _TRAILERS:
            return index
    return len(lines)


def _closed_section_start(lines: list[str], starts: list[_ItemStart]) -> int:
    """Where a "Lukket referat" divider after the first item makes every later item closed."""
    for index in range(starts[0].index + 1, len(lines)):
        line = lines[index]
        if len(line) < 20 and fold_heading(line) in {"lukket referat", "lukket dagsorden"}:
            return index
    return len(lines) + 1
