"""HTML text fields to plain text, split into named sections. Pure and fast (lxml).

Agenda systems store an item's text as an HTML field whose headings (``<h2>``-``<h4>``, or a
paragraph that is nothing but bold text) name the parts: Resume, Indstilling, Beslutning ...
A heading starts a new section only when it normalises to a known section name (or is a decision
heading); any other heading stays in the text as a line of its own, so no words are lost.

Text keeps its paragraph structure: blocks are separated by a blank line, list items and table
rows sit on lines of their own (table cells joined by " | "), runs of whitespace collapse to one
space and entities are decoded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from index.parsing.common import (
    DECISION_SECTION,
    DecisionHeading,
    normalise_section_name,
    parse_decision_heading,
)

DEFAULT_SECTION = "Sagsfremstilling"
# Sections that quote earlier treatment by other bodies: a "Beslutning" inside them is history,
# not this meeting's decision, so it must not open a decision section.
QUOTING_SECTIONS = frozenset({"Sagsforløb"})


@dataclass(frozen=True)
class HtmlSection:
    """One section of an HTML field.

    ``name`` is canonical; ``heading`` is the heading as written ("" when the text came before
    any heading); ``decision`` is set for decision sections, with the body and date the heading
    names (both None for a bare "Beslutning").
    """

    name: str
    text: str
    heading: str = ""
    decision: DecisionHeading | None = None


_LINE = 1
_PARAGRAPH = 2
_BREAK = -1  # <br>: additive, so <br><br> is a paragraph break

_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BLOCK_TAGS = frozenset(
    {
        "p", "div", "ul", "ol", "dl", "table", "thead", "tbody", "tfoot", "blockquote", "pre",
        "section", "article", "header", "footer", "nav", "aside", "main", "figure", "figcaption",
        "form", "fieldset", "address", "center", "hr", "caption", "details", "summary", "body",
        "html",
    }
)  # fmt: skip
_LINE_TAGS = frozenset({"li", "tr", "dt", "dd", "option"})
_CELL_TAGS = frozenset({"td", "th"})
_SKIPPED_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript", "iframe"})
# Inline wrappers that may surround the bold text of a heading paragraph.
_WRAPPER_TAGS = frozenset({"span", "u", "em", "i", "font", "a", "ins"})
_BOLD_TAGS = frozenset({"strong", "b"})
_MAX_HEADING_LENGTH = 120

_WHITESPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w")
# Invisible characters that would otherwise glue to or split words.
_INVISIBLE = re.compile("[\x00\u00ad\u200b\u200c\ufeff]")  # NUL is padding, never text


def collapse_whitespace(text: str) -> str:
    return _WHITESPACE.sub(" ", _INVISIBLE.sub("", text)).strip()


def _render(tokens: list[str | int]) -> str:
    """Join text tokens and break markers into text with \\n and \\n\\n between lines."""
    lines: list[str] = []
    separators: list[int] = []
    run: list[str] = []
    pending = 0

    def flush() -> None:
        nonlocal pending
        if run:
            line = collapse_whitespace("".join(run))
            run.clear()
            if line:
                separators.append(pending)
                lines.append(line)
                pending = 0

    for token in tokens:
        if isinstance(token, str):
            run.append(token)
            continue
        flush()
        pending = min(_PARAGRAPH, pending + 1) if token == _BREAK else max(pending, token)
    flush()
    if not lines:
        return ""
    parts = [lines[0]]
    for separator, line in zip(separators[1:], lines[1:], strict=True):
        parts.append("\n\n" if separator >= _PARAGRAPH else "\n")
        parts.append(line)
    return "".join(parts)


def _boundary(tag: str) -> int:
    """The break a tag puts around its content: a paragraph, a line or none (inline)."""
    if tag in _BLOCK_TAGS or tag in _HEADING_TAGS:
        return _PARAGRAPH
    if tag in _LINE_TAGS:
        return _LINE
    return 0


def _tag(element: Any) -> str | None:
    tag = element.tag
    return tag.lower() if isinstance(tag, str) else None  # comments and PIs have no str tag


def _bold_only_text(element: Any) -> str | None:
    """The text of a paragraph that holds nothing but bold text, else None."""
    if (element.text or "").strip():
        return None
    parts: list[str] = []
    for child in element:
        tag = _tag(child)
        if tag in _BOLD_TAGS:
            parts.append("".join(child.itertext()))
        elif tag in _WRAPPER_TAGS:
            inner = _bold_only_text(child)
            if inner is None:
                return None
            parts.append(inner)
        elif tag != "br":
            return None
        if (child.tail or "").strip():
            return None
    text = collapse_whitespace(" ".join(parts))
    return text or None


_SENTENCE_END = re.compile(r"[a-zæøå)]\.$")
_MAX_HEADING_WORDS = 12


def _is_sentence(text: str) -> bool:
    # Bold sentences such as "På udvalgets møde den 6. januar 2025 ønskede udvalget ..." match
    # the decision heading patterns but are body text.
    return len(text.split()) > _MAX_HEADING_WORDS or bool(_SENTENCE_END.search(text))


def classify_heading(text: str) -> tuple[str, DecisionHeading | None] | None:
    """(canonical name, decision heading or None) for a known heading, else None."""
    if not text or len(text) > _MAX_HEADING_LENGTH:
        return None
    decision = parse_decision_heading(text)
    if decision is not None and not _is_sentence(text):
        return DECISION_SECTION, decision
    name = normalise_section_name(text)
    if name is None:
        return None
    if name == DECISION_SECTION:
        return name, DecisionHeading(body=None, date=None)
    return name, None


class _Walker:
    def __init__(self, first_section: str, split: bool) -> None:
        self.split = split
        self.in_cell = 0
        self.tokens: list[str | int] = []
        # (name, heading as written, decision, tokens)
        self.sections: list[tuple[str, str, DecisionHeading | None, list[str | int]]] = [
            (first_section, "", None, self.tokens)
        ]

    @property
    def current_name(self) -> str:
        return self.sections[-1][0]

    def start_section(self, name: str, heading: str, decision: DecisionHeading | None) -> None:
        self.tokens = []
        self.sections.append((name, heading, decision, self.tokens))

    def heading_of(self, element: Any, tag: str) -> tuple[str, DecisionHeading | None, str] | None:
        """(name, decision, text as written) when ``element`` opens a new section."""
        if not self.split or self.in_cell:
            return None
        quoting = self.current_name in QUOTING_SECTIONS
        if tag in _HEADING_TAGS:
            text = collapse_whitespace("".join(element.itertext()))
            if not text:
                # Aarhus pages put the case summary under an untitled heading straight after
                # the decision: the decision ends there.
                if self.sections[-1][2] is not None:
                    return DEFAULT_SECTION, None, ""
                return None
        elif tag in ("p", "div") and not quoting:
            maybe_text = _bold_only_text(element)
            if maybe_text is None:
                return None
            text = maybe_text
        else:
            return None
        known = classify_heading(text)
        if known is None:
            return None
        name, decision = known
        if decision is not None:
            if quoting:
                return None
            # A bold "Beslutning:" inside running text quotes someone else's protocol; only a
            # real heading, or one naming body or date, is a decision heading.
            if tag not in _HEADING_TAGS and decision.body is None and decision.date is None:
                return None
        return name, decision, text

    def walk(self, element: Any) -> None:
        tag = _tag(element)
        if tag is None or tag in _SKIPPED_TAGS:
            return
        if tag == "br":
            self.tokens.append(_BREAK)
            return
        if tag == "tr":
            self.walk_row(element)
            return
        heading = self.heading_of(element, tag)
        if heading is not None:
            name, decision, text = heading
            self.start_section(name, text, decision)
            return
        boundary = _boundary(tag)
        if boundary:
            self.tokens.append(boundary)
        self.walk_children(element)
        if boundary:
            self.tokens.append(boundary)

    def walk_row(self, row: Any) -> None:
        """A table row becomes one line: its non-empty cells joined by " | "."""
        cells: list[str] = []
        outer_tokens = self.tokens
        self.in_cell += 1
        try:
            for cell in row:
                if _tag(cell) not in _CELL_TAGS:
                    continue
                self.tokens = []
                self.walk_children(cell)
                text = collapse_whitespace(_render(self.tokens))
                if text:
                    cells.append(text)
        finally:
            self.in_cell -= 1
            self.tokens = outer_tokens
        if cells:
            self.tokens.extend((_LINE, " | ".join(cells), _LINE))

    def walk_children(self, element: Any) -> None:
        if element.text:
            self.tokens.append(element.text)
        for child in element:
            self.walk(child)
            if child.tail:
                self.tokens.append(child.tail)


# lxml.etree's HTML parser: the lxml.html element classes cost a third of the time here.
_HTML_PARSER = etree.HTMLParser(remove_pis=True, no_network=True)


_CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _without_controls(html: str) -> str:
    """NULs dropped and other control characters made spaces: lxml would turn them into "\ufffd"
    inside a word, or keep them, and neither belongs in a quoted decision."""
    return _CONTROL.sub(" ", html.replace("\x00", ""))


def parse_fragment(html: str) -> Any:
    """An element whose children are the parsed HTML fragment (or document body)."""
    root = etree.fromstring(_without_controls(html), _HTML_PARSER)
    if root is None:  # nothing but comments or whitespace
        return etree.Element("div")
    body = root.find("body")
    return body if body is not None else root


def element_sections(
    element: Any, first_section: str = DEFAULT_SECTION, *, include_root: bool = True
) -> list[HtmlSection]:
    """Sections of an already parsed element; empty sections are dropped.

    Adjacent sections with the same name and no decision are merged. A decision section whose
    text is empty is dropped too: an empty decision field is not a decision.
    """
    walker = _Walker(first_section, split=True)
    if include_root:
        walker.walk(element)
    else:
        walker.walk_children(element)
    sections: list[HtmlSection] = []
    for name, heading, decision, tokens in walker.sections:
        text = _render(tokens)
        if not _WORD.search(text):  # empty, or stray punctuation such as "."
            continue
        previous = sections[-1] if sections else None
        if (
            previous is not None
            and decision is None
            and previous.decision is None
            and previous.name == name
            and not heading
        ):
            sections[-1] = HtmlSection(name, f"{previous.text}\n\n{text}", previous.heading)
            continue
        sections.append(HtmlSection(name, text, heading, decision))
    return sections


def html_sections(html: str, first_section: str = DEFAULT_SECTION) -> list[HtmlSection]:
    """An HTML field's sections; text before the first heading goes to ``first_section``."""
    if not html or not html.strip():
        return []
    return element_sections(parse_fragment(html), first_section, include_root=False)


def element_text(element: Any, *, include_root: bool = True) -> str:
    walker = _Walker(DEFAULT_SECTION, split=False)
    if include_root:
        walker.walk(element)
    else:
        walker.walk_children(element)
    return _render(walker.tokens)


def html_to_text(html: str) -> str:
    """The whole field as plain text, headings included as lines."""
    if not html or not html.strip():
        return ""
    return element_text(parse_fragment(html), include_root=False)
