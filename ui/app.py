"""The chat in the browser (`referat serve`): ask in Danish, read the answer with its sources.

The handlers are plain functions (``respond``, ``render_sources``, ``render_item``,
``render_trail``, ``contextualise``, ...) so they can be tested without a browser;
``build_app`` only wires them to Gradio components, and ``serve`` opens the index and launches.

Everything shown to the user is Danish, every piece of document text is HTML-escaped, and
closed agenda items are shown by number and title only. No stack trace reaches the user: errors
are logged and answered with a kind message.

(No ``from __future__ import annotations`` here: Gradio reads the API functions' type hints.)
"""

import contextlib
import html
import importlib.resources
import importlib.util
import logging
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import gradio as gr
from gradio.events import api as gradio_api

from index.catalog import Catalog, CatalogStats, ItemRecord
from index.pipeline import IndexSummary
from index.settings import Settings
from index.store import SearchFilter, case_number_filter
from rag.answer import MONTH_NAMES, Answer, Citation, TrailStep, long_date, split_sentences
from rag.engine import Engine, answer_to_json

log = logging.getLogger("referat.ui")

TITLE = "referat – spørg referaterne"
EMPTY_ARCHIVE = "Arkivet er tomt – kør `referat index MAPPE` for at lægge referater i det."
ERROR_MESSAGE = (
    "Beklager, der gik noget galt, da jeg ledte i referaterne. Prøv igen om lidt – "
    "og hvis det bliver ved, så kig i loggen, hvor `referat serve` kører."
)
SEARCHING = "_Leder i referaterne …_"
UPLOAD_SUFFIXES = (".txt", ".pdf", ".docx", ".json", ".xml", ".html")
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
QUOTE_PREVIEW = 420  # characters of a quote shown on a source card


# -- small helpers -------------------------------------------------------------------------
def esc(text: str | None) -> str:
    """HTML-escape document text; braces and dollars too, so no template engine reads them."""
    if not text:
        return ""
    return (
        html.escape(text, quote=True)
        .replace("{", "&#123;")
        .replace("}", "&#125;")
        .replace("$", "&#36;")
    )


def _file_name(source: str) -> str:
    return Path(source).name if source else ""


_OUTCOME_CLASS = {
    "godkendt": "ok",
    "anbefalet": "ok",
    "ikke godkendt": "no",
    "udsat": "wait",
    "oversendt": "wait",
    "taget til efterretning": "info",
    "drøftet": "info",
}


def _outcome_chip(outcome: str | None) -> str:
    if not outcome:
        return ""
    kind = _OUTCOME_CLASS.get(outcome.lower(), "info")
    return f'<span class="chip chip-{kind}">{esc(outcome.capitalize())}</span>'


def _closed_badge() -> str:
    return '<span class="badge-closed" title="Indholdet er ikke offentligt">lukket punkt</span>'


# -- highlighting --------------------------------------------------------------------------
def _spans(text: str, highlight: str | None) -> list[tuple[int, int]]:
    """Where the cited passage stands in ``text``: the whole quote, else its sentences."""
    if not highlight or not highlight.strip():
        return []
    quote = highlight.strip()
    start = text.find(quote)
    if start >= 0:
        return [(start, start + len(quote))]
    spans: list[tuple[int, int]] = []
    for piece in split_sentences(quote):
        sentence = piece.strip()
        if len(sentence) < 12:
            continue
        found = text.find(sentence)
        if found >= 0:
            spans.append((found, found + len(sentence)))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for begin, end in spans:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((begin, end))
    return merged


def marked(text: str, highlight: str | None) -> tuple[str, bool]:
    """``text`` escaped, with the cited passage wrapped in <mark>; and whether it was found."""
    spans = _spans(text, highlight)
    out: list[str] = []
    position = 0
    for begin, end in spans:
        out.append(esc(text[position:begin]))
        out.append(f"<mark>{esc(text[begin:end])}</mark>")
        position = end
    out.append(esc(text[position:]))
    return "".join(out), bool(spans)


# -- filters -------------------------------------------------------------------------------
class FilterError(ValueError):
    """A filter the user typed that cannot be used; the message is kind and Danish."""


ALL_MUNICIPALITIES = "Alle kommuner"


@dataclass(frozen=True)
class Filters:
    bodies: tuple[str, ...] = ()
    date_from: str = ""
    date_to: str = ""
    municipality: str | None = None
    case_number: str = ""


def _parse_date(value: str, label: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    for pattern in ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, pattern).date().isoformat()
        except ValueError:
            continue
    raise FilterError(
        f"Jeg kan ikke læse {label}-datoen «{value}». Skriv den som ÅÅÅÅ-MM-DD, "
        "fx 2024-03-12 – eller lad feltet stå tomt."
    )


def _filter_box(label: str, placeholder: str, elem_id: str) -> Any:
    """One small text field of the filter row (dates, case number)."""
    import gradio as gr

    return gr.Textbox(label=label, placeholder=placeholder, scale=1, min_width=150, elem_id=elem_id)


def build_filter(filters: Filters | None) -> SearchFilter | None:
    """The SearchFilter the user chose, None for no restriction; FilterError when unusable."""
    if filters is None:
        return None
    date_from = _parse_date(filters.date_from, "fra")
    date_to = _parse_date(filters.date_to, "til")
    if date_from and date_to and date_from > date_to:
        raise FilterError(
            f"Fra-datoen ({long_date(date_from)}) ligger efter til-datoen "
            f"({long_date(date_to)}). Byt om på dem, så finder jeg det."
        )
    municipality = filters.municipality
    if municipality == ALL_MUNICIPALITIES:
        municipality = None
    search_filter = SearchFilter(
        bodies=tuple(b for b in filters.bodies if b),
        municipality=municipality or None,
        date_from=date_from,
        date_to=date_to,
        case_number=case_number_filter(filters.case_number),
    )
    return None if search_filter.is_empty else search_filter


# -- follow-up questions -------------------------------------------------------------------
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_FOLLOW_UP_START = re.compile(r"^\s*(og|men|så|hvad med|hvad så)\b", re.IGNORECASE)


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_PRONOUNS = _word_set(
    "det den de dem deres dens dets dette denne disse sagen punktet projektet "
    "beslutningen forslaget planen"
)
# Words that say what is asked, not what it is about: a question made only of these (and
# pronouns) needs the previous question to be understood.
_GENERIC = _PRONOUNS | _word_set(
    """
    og men så hvad hvem hvor hvornår hvorfor hvordan hvilke hvilken hvilket med
    blev bliver er var været har havde skal skulle vil ville kan kunne må
    der om i på til for af fra ved efter før under over ud ind op ned
    en et nu da også igen så endnu mere meget mange stor store høj højt lang længe
    koste kostede koster kostet pris prisen beløb beløbet budget budgettet penge udgift
    udgiften udgifterne kr kroner mio
    besluttet besluttede beslutte beslutning vedtaget vedtog vedtage godkendt godkendte
    godkende afvist afviste udsat udsatte anbefalet anbefalede stemte stemt stemme stemmer
    imod sagde mente sket skete gik går endte ende resultat resultatet udfald udfaldet
    dato datoen tidspunkt tidspunktet næste sidst sidste senere først første
    behandlet behandlede behandling sket hvorledes begrundelse begrundelsen sag sags
    udvalget udvalg udvalgene byrådet byråd kommunen kommunalbestyrelsen
    """
)


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def is_elliptic(question: str) -> bool:
    """A short follow-up that names no topic of its own: "og hvad kostede det?"."""
    words = _words(question)
    if not words or len(words) > 10:
        return False
    if any(w not in _GENERIC and len(w) >= 3 for w in words):
        return False  # it names something: a place, a project, a person
    return bool(
        _FOLLOW_UP_START.match(question) or _PRONOUNS.intersection(words) or len(words) <= 4
    )


def _message_text(content: Any) -> str:
    """The text of a chat message in any of Gradio's shapes (str, dict, list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or "")
    if isinstance(content, list | tuple):
        return " ".join(_message_text(part) for part in content).strip()
    return ""


_TOKEN = re.compile(r"\w+(?:[/.,\-]\w+)*", re.UNICODE)


def topic_of(question: str) -> str:
    """The words of a question that name what it is about ("Solgården", "24/1", "2024")."""
    kept = []
    for token in _TOKEN.findall(question):
        lower = token.lower()
        if any(ch.isdigit() for ch in token) or (len(token) >= 3 and lower not in _GENERIC):
            kept.append(token)
    return " ".join(kept)


def contextualise(history: Sequence[dict[str, Any]], question: str) -> str:
    """The text to search for: an elliptic follow-up gets the topic of the last real question.

    "og hvad kostede det?" after "Hvad blev der besluttet om Solgården?" is searched as
    "og hvad kostede det? Solgården": the follow-up keeps its own question words (so a cost
    question is answered as one), the earlier question gives the subject.
    """
    question = question.strip()
    if not is_elliptic(question):
        return question
    asked = [
        _message_text(m.get("content"))
        for m in history
        if isinstance(m, dict) and m.get("role") == "user"
    ]
    for previous in reversed(asked):
        if previous.strip() and not is_elliptic(previous):
            return f"{question} {topic_of(previous) or previous.strip()}"
    return question


# -- rendering -----------------------------------------------------------------------------
def _card(n: int, citation: Citation, numbered: bool) -> str:
    number = f'<span class="ref-num">{n + 1}</span>' if numbered else ""
    where = " · ".join(esc(p) for p in (citation.body, long_date(citation.meeting_date)) if p)
    meta = []
    if citation.case_number:
        meta.append(f"Sag {esc(citation.case_number)}")
    if citation.section and not citation.closed:
        meta.append(esc(citation.section))
    meta_html = " · ".join(meta)
    chips = _outcome_chip(citation.outcome)
    if citation.vote:
        chips += f'<span class="chip chip-vote">{esc(citation.vote)}</span>'
    if citation.closed:
        body = (
            f"<div class='ref-closed'>{_closed_badge()}"
            "<span>Indholdet af lukkede punkter er ikke offentligt.</span></div>"
        )
    elif citation.quote:
        quote = citation.quote.strip()
        if len(quote) > QUOTE_PREVIEW:
            quote = quote[:QUOTE_PREVIEW].rsplit(" ", 1)[0] + " …"
        body = f'<blockquote class="ref-quote"><mark>{esc(quote)}</mark></blockquote>'
    else:
        body = ""
    return (
        f'<article class="ref-card{" is-closed" if citation.closed else ""}" role="button" '
        f'tabindex="0" data-kind="ref" data-n="{n}" data-item-id="{esc(citation.item_id)}" '
        f'aria-label="Åbn punkt {citation.item}: {esc(citation.title)}">'
        f'<div class="ref-top">{number}<span class="ref-where">{where}</span></div>'
        f'<div class="ref-title">Punkt {citation.item}: {esc(citation.title)}</div>'
        + (f'<div class="ref-meta">{meta_html}{chips}</div>' if meta_html or chips else "")
        + body
        + '<div class="ref-open">Åbn hele punktet →</div></article>'
    )


def source_refs(answer: Answer) -> list[dict[str, str | None]]:
    """What a click on card n needs: the item and the passage to mark (citations first)."""
    cards = answer.citations if answer.citations else answer.suggestions
    return [{"item_id": c.item_id, "quote": None if c.closed else c.quote} for c in cards]


def render_sources(answer: Answer) -> str:
    """The source cards beside an answer (or the nearest items when there was no answer)."""
    if answer.citations:
        heading = "Kilder" if len(answer.citations) != 1 else "Kilde"
        cards = "".join(_card(n, c, True) for n, c in enumerate(answer.citations))
        hint = "Klik på en kilde for at læse hele dagsordenspunktet."
    elif answer.suggestions:
        heading = "Nærmeste punkter"
        cards = "".join(_card(n, c, False) for n, c in enumerate(answer.suggestions))
        hint = "Ingen af dem svarer sikkert på spørgsmålet, men de ligger tættest på."
    else:
        return render_placeholder("Ingen kilder til dette svar.")
    return (
        f'<section class="refs"><h3 class="side-h">{heading}</h3>'
        f'<p class="side-hint">{hint}</p>{cards}</section>'
    )


def render_placeholder(text: str) -> str:
    return f'<div class="side-empty">{esc(text)}</div>'


def render_trail(trail: Sequence[TrailStep], current: str | None = None) -> str:
    """The case's path through the bodies as a compact timeline (date, body, outcome)."""
    if not trail:
        return ""
    steps = []
    for step in trail:
        classes = "trail-step" + (" is-current" if step.item_id == current else "")
        label = _closed_badge() if step.closed else _outcome_chip(step.outcome)
        steps.append(
            f'<li class="{classes}" role="button" tabindex="0" data-kind="trail" '
            f'data-item-id="{esc(step.item_id)}">'
            f'<span class="trail-date">{esc(long_date(step.meeting_date))}</span>'
            f'<span class="trail-body">{esc(step.body)}</span>'
            f'<span class="trail-title">Punkt {step.item}: {esc(step.title)}</span>'
            f'<span class="trail-outcome">{label}</span></li>'
        )
    return (
        '<section class="trail"><h3 class="side-h">Sagens forløb</h3>'
        f'<ol class="trail-list">{"".join(steps)}</ol></section>'
    )


def render_item(record: ItemRecord | None, highlight: str | None = None) -> str:
    """A whole agenda item, decisions first, with the cited passage marked.

    Closed items show number and title only, whatever ``highlight`` says.
    """
    if record is None:
        return render_placeholder("Punktet findes ikke (længere) i arkivet.")
    item = record.item
    kicker = " · ".join(
        esc(p) for p in (record.body, long_date(record.meeting_date), record.municipality) if p
    )
    meta = []
    if item.case_number:
        meta.append(f"Sag {esc(item.case_number)}")
    if record.source:
        meta.append(f"Fil: {esc(_file_name(record.source))}")
    head = (
        f'<div class="item-kicker">{kicker}</div>'
        f'<h3 class="item-title">Punkt {item.number}: {esc(item.title)}</h3>'
        f'<div class="item-meta">{" · ".join(meta)}</div>'
    )
    if item.closed:
        return (
            f'<article class="item-view is-closed">{head}'
            f'<div class="item-closed">{_closed_badge()}<p>Dette er et lukket punkt. '
            "Kun nummer og titel er offentlige; indholdet står ikke i arkivet.</p></div>"
            "</article>"
        )
    blocks: list[str] = []
    found_any = False
    for decision in item.decisions:
        who = ", ".join(p for p in (decision.body or record.body, long_date(decision.date)) if p)
        text, found = marked(decision.text, highlight)
        found_any |= found
        blocks.append(
            '<section class="item-block is-decision">'
            f"<h4>Beslutning{f' – {esc(who)}' if who else ''}"
            f"{_outcome_chip(_outcome(decision.text))}</h4>"
            f'<div class="block-text">{text}</div></section>'
        )
    for section in item.sections:
        text, found = marked(section.text, highlight)
        found_any |= found
        blocks.append(
            f'<section class="item-block"><h4>{esc(section.name)}</h4>'
            f'<div class="block-text">{text}</div></section>'
        )
    if not blocks:
        blocks.append(render_placeholder("Punktet har ingen tekst ud over titlen."))
    note = '<p class="item-note">Det citerede er <mark>markeret</mark>.</p>' if found_any else ""
    return f'<article class="item-view">{head}{note}{"".join(blocks)}</article>'


def _outcome(text: str) -> str | None:
    from rag.outcome import outcome_of

    return outcome_of(text)


def render_about(stats: CatalogStats | None, notice: str | None = None) -> str:
    """ "Om arkivet": what the index holds."""
    if stats is None or stats.meetings == 0:
        return f'<div class="about-empty">{_markdown_code(notice or EMPTY_ARCHIVE)}</div>'
    span = (
        f"{long_date(stats.first_date)} – {long_date(stats.last_date)}"
        if stats.first_date != stats.last_date
        else long_date(stats.first_date)
    )
    tiles = [
        ("Møder", f"{stats.meetings}"),
        ("Dagsordenspunkter", f"{stats.items}"),
        ("Heraf lukkede", f"{stats.closed_items}"),
        ("Udvalg og råd", f"{len(stats.bodies)}"),
        ("Periode", span),
        ("Senest indekseret", _indexed_at(stats.last_indexed)),
    ]
    tile_html = "".join(
        f'<div class="tile"><div class="tile-v">{esc(v)}</div><div class="tile-k">{esc(k)}</div>'
        "</div>"
        for k, v in tiles
    )
    bodies = ", ".join(esc(b) for b in stats.bodies)
    towns = (
        f"<p><b>Kommuner:</b> {', '.join(esc(m) for m in stats.municipalities)}</p>"
        if stats.municipalities
        else ""
    )
    return (
        f'<div class="about"><div class="tiles">{tile_html}</div>'
        f"<p><b>Udvalg og råd:</b> {bodies}</p>{towns}"
        '<p class="muted">Lukkede punkter er kun med som nummer og titel. '
        "Alt kører lokalt – intet sendes ud af maskinen.</p></div>"
    )


def _indexed_at(value: str | None) -> str:
    if not value:
        return "–"
    try:
        moment = datetime.fromisoformat(value).astimezone()
    except ValueError:
        return value
    return f"{long_date(moment.date().isoformat())} kl. {moment:%H:%M}"


def _markdown_code(text: str) -> str:
    """Escaped text where `code` is shown as code (for the notices)."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", esc(text))


def render_header(notice: str | None = None) -> str:
    banner = f'<div class="notice">{_markdown_code(notice)}</div>' if notice else ""
    return (
        '<header class="brand"><div class="brand-mark" aria-hidden="true">§</div>'
        '<div><h1>referat <span class="brand-dash">–</span> '
        '<span class="brand-sub">spørg referaterne</span></h1>'
        "<p>Svar med kilder fra kommunens mødereferater. Hvert citat kan åbnes, så du selv kan "
        "læse, hvad der står.</p></div></header>" + banner
    )


# -- example questions ---------------------------------------------------------------------
_BOILERPLATE = re.compile(
    r"dagsorden|meddelelse|eventuelt|orientering|underskrift|referat|lukket|gensidig|"
    r"spørgetid|godkendelse af|siden sidst|punkter til",
    re.IGNORECASE,
)


def example_questions(catalog: Catalog, limit: int = 4) -> list[str]:
    """Questions the archive can answer, made from titles of recent items with decisions."""
    stats = catalog.stats()
    if not stats.last_date:
        return []
    try:
        since = (date.fromisoformat(stats.last_date) - timedelta(days=400)).isoformat()
    except ValueError:
        since = None
    records = catalog.items_where(date_from=since)
    candidates = [
        r
        for r in reversed(records)
        if not r.item.closed
        and r.item.decisions
        and 6 <= len(r.title) <= 70
        and not _BOILERPLATE.search(r.title)
    ]
    questions: list[str] = []
    seen_bodies: set[str] = set()
    seen_titles: set[str] = set()
    # One per body first, so the examples show the archive's breadth.
    for record in candidates + candidates:
        if len(questions) >= max(limit - 1, 1):
            break
        title = record.title.strip().rstrip(".")
        if title.lower() in seen_titles:
            continue
        if record.body in seen_bodies and len(seen_bodies) < len(stats.bodies):
            continue
        seen_bodies.add(record.body)
        seen_titles.add(title.lower())
        questions.append(f"Hvad blev der besluttet om «{title}»?")
    if stats.bodies and stats.last_date:
        latest = catalog.latest_meeting_date((stats.bodies[0],)) or stats.last_date
        month = date.fromisoformat(latest[:10])
        questions.append(
            f"Hvilke sager behandlede {stats.bodies[0]} i "
            f"{MONTH_NAMES[month.month - 1]} {month.year}?"
        )
    return questions[:limit]


def render_examples(questions: Sequence[str]) -> str:
    """Example questions as buttons (a click asks the question)."""
    if not questions:
        return ""
    buttons = "".join(
        f'<button type="button" class="example" data-question="{esc(q)}">{esc(q)}</button>'
        for q in questions
    )
    return f'<div class="examples"><span class="examples-label">Prøv fx</span>{buttons}</div>'


# -- answering -----------------------------------------------------------------------------
class AnswerEngine(Protocol):
    """What the handlers need of ``rag.engine.Engine``."""

    @property
    def catalog(self) -> Catalog: ...

    def ask(
        self, question: str, search_filter: SearchFilter | None = ..., k: int = ...
    ) -> Answer: ...

    def item(self, item_id: str) -> ItemRecord | None: ...

    def trail(self, item_id: str) -> tuple[TrailStep, ...]: ...


class LockedEngine:
    """An engine whose calls take turns: the browser sessions share one index connection."""

    def __init__(self, engine: AnswerEngine, lock: threading.RLock) -> None:
        self._engine = engine
        self._lock = lock

    @property
    def catalog(self) -> Catalog:
        return self._engine.catalog

    def ask(self, question: str, search_filter: SearchFilter | None = None, k: int = 5) -> Answer:
        with self._lock:
            return self._engine.ask(question, search_filter, k)

    def item(self, item_id: str) -> ItemRecord | None:
        with self._lock:
            return self._engine.item(item_id)

    def trail(self, item_id: str) -> tuple[TrailStep, ...]:
        with self._lock:
            return self._engine.trail(item_id)


@dataclass(frozen=True)
class Turn:
    """One update of the chat while an answer is composed.

    ``sources``/``trail`` are HTML, or None when unchanged since the previous update.
    """

    history: list[dict[str, Any]]
    sources: str | None
    trail: str | None
    refs: list[dict[str, str | None]]
    done: bool


def chat_text(text: str) -> str:
    """Answer text for the chat's Markdown: document text escaped, quote markers kept."""
    lines = []
    for line in text.splitlines():
        marker = re.match(r"^(?:>\s?)*", line)
        prefix = marker.group(0) if marker else ""
        lines.append(prefix + html.escape(line[len(prefix) :], quote=False))
    return "\n".join(lines)


def _pieces(text: str, words_per_piece: int = 4) -> Iterator[str]:
    """The text growing a few words at a time: what the chat streams."""
    tokens = re.findall(r"\S+\s*", text)
    for end in range(words_per_piece, len(tokens), words_per_piece):
        yield "".join(tokens[:end])
    yield text


def _answer_markdown(answer: Answer, question: str, query: str, filtered: bool) -> str:
    text = chat_text(answer.answer)
    if not answer.found:
        tips = ["Prøv at spørge med andre ord, fx med navnet på stedet, projektet eller udvalget."]
        if filtered:
            tips.append("Du har afgrænset søgningen – prøv evt. uden filtre.")
        text += "\n\n" + " ".join(tips)
    if query != question:
        text += f"\n\n_Læst som opfølgning – søgte efter «{html.escape(query, quote=False)}»_"
    return text


def respond(
    engine: AnswerEngine,
    question: str,
    history: Sequence[dict[str, Any]],
    filters: Filters | None = None,
    *,
    k: int = 5,
    delay: float = 0.0,
) -> Iterator[Turn]:
    """Answer ``question`` in the conversation ``history``, streaming the text as it grows."""
    question = (question or "").strip()
    before = [dict(m) for m in history]
    if not question:
        yield Turn(before, None, None, [], True)
        return
    asked = [*before, {"role": "user", "content": question}]

    def say(text: str, sources: str | None, trail: str | None, refs: Any, done: bool) -> Turn:
        return Turn([*asked, {"role": "assistant", "content": text}], sources, trail, refs, done)

    try:
        search_filter = build_filter(filters)
    except FilterError as error:
        yield say(str(error), render_placeholder("Ret filteret, så søger jeg igen."), "", [], True)
        return
    yield say(SEARCHING, render_placeholder("Leder efter kilder …"), "", [], False)
    query = contextualise(before, question)
    try:
        answer = engine.ask(query, search_filter, k)
        text = _answer_markdown(answer, question, query, search_filter is not None)
        sources, trail = render_sources(answer), render_trail(answer.trail)
        refs = source_refs(answer)
    except Exception:
        log.exception("answering %r failed", query)
        yield say(ERROR_MESSAGE, render_placeholder("Ingen kilder."), "", [], True)
        return
    first = True
    for piece in _pieces(text):
        done = piece == text
        yield say(
            piece if done else piece + " ▍",
            sources if first else None,
            trail if first else None,
            refs,
            done,
        )
        first = False
        if delay and not done:
            time.sleep(delay)


def open_reference(
    engine: AnswerEngine, refs: Sequence[dict[str, Any]], data: dict[str, Any]
) -> str:
    """The item view for a click on a source card or a trail step (``data`` from the page)."""
    item_id = str(data.get("item_id") or "")
    highlight: str | None = None
    if data.get("kind") == "ref":
        try:
            n = int(data.get("n", -1))
        except (ValueError, TypeError):
            n = -1
        ref = refs[n] if 0 <= n < len(refs) else {}
        if ref.get("item_id") == item_id:
            highlight = ref.get("quote")
    record = engine.item(item_id) if item_id else None
    if record is not None and data.get("kind") == "trail" and record.item.decisions:
        highlight = record.item.decisions[-1].text
    return render_item(record, highlight)


# -- the API and MCP tools -------------------------------------------------------------------
def item_to_json(record: ItemRecord) -> dict[str, Any]:
    """An agenda item for the API: closed items give number and title only."""
    data: dict[str, Any] = {
        "item_id": record.item_id,
        "body": record.body,
        "meeting_date": record.meeting_date,
        "municipality": record.municipality,
        "item": record.number,
        "title": record.title,
        "case_number": record.item.case_number,
        "closed": record.item.closed,
        "source": record.source,
    }
    if record.item.closed:
        data["note"] = "Lukket punkt: kun nummer og titel er offentlige."
        return data
    data["decisions"] = [
        {"text": d.text, "body": d.body, "date": d.date} for d in record.item.decisions
    ]
    data["sections"] = [{"name": s.name, "text": s.text} for s in record.item.sections]
    return data


def trail_to_json(trail: Sequence[TrailStep]) -> list[dict[str, Any]]:
    steps = []
    for step in trail:
        steps.append(
            {
                "meeting_date": step.meeting_date,
                "body": step.body,
                "item": step.item,
                "title": step.title,
                "outcome": None if step.closed else step.outcome,
                "decision": None if step.closed else step.decision,
                "item_id": step.item_id,
                "closed": step.closed,
            }
        )
    return steps


# -- uploads -------------------------------------------------------------------------------
class IndexFiles(Protocol):
    def __call__(
        self, paths: Sequence[Path], progress: Callable[[int, int], None] | None = None
    ) -> IndexSummary: ...


_UNSAFE = re.compile(r"[^\w.\- ()æøåÆØÅ]+", re.UNICODE)


def sanitise_filename(name: str) -> str | None:
    """A bare, harmless file name from a user's file name; None when nothing usable is left."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable())
    base = _UNSAFE.sub("_", base).strip(" .")
    base = re.sub(r"\.{2,}", ".", base)
    if not base or base in (".", "..") or base.startswith("."):
        return None
    stem, dot, suffix = base.rpartition(".")
    if len(base) > 120:
        base = (stem[: 110 - len(suffix)] + dot + suffix) if dot else base[:120]
    return base


def store_uploads(
    files: Sequence[str | Path], upload_dir: Path, max_bytes: int = MAX_UPLOAD_BYTES
) -> tuple[list[Path], list[str]]:
    """Copy uploaded temp files into ``upload_dir`` under safe names.

    Returns (stored paths, Danish reasons for the files that were refused).
    """
    upload_dir.mkdir(parents=True, exist_ok=True)
    root = upload_dir.resolve()
    stored: list[Path] = []
    refused: list[str] = []
    for file in files:
        source = Path(file)
        name = sanitise_filename(source.name)
        shown = esc(source.name) or "(uden navn)"
        if name is None:
            refused.append(f"{shown}: filnavnet kan ikke bruges")
            continue
        if not name.lower().endswith(UPLOAD_SUFFIXES):
            refused.append(f"{shown}: kun {', '.join(UPLOAD_SUFFIXES)} kan lægges i arkivet")
            continue
        try:
            size = source.stat().st_size
        except OSError:
            refused.append(f"{shown}: filen kunne ikke læses")
            continue
        if size > max_bytes:
            refused.append(f"{shown}: filen er større end {max_bytes // (1024 * 1024)} MB")
            continue
        target = _free_target(root, name, source)
        if target.parent != root:  # cannot happen after sanitising; refuse rather than trust
            refused.append(f"{shown}: filnavnet kan ikke bruges")
            continue
        if not target.exists():
            shutil.copyfile(source, target)
        stored.append(target)
    return stored, refused


def _free_target(root: Path, name: str, source: Path) -> Path:
    """``root/name``, or ``name-2`` etc. when another file of that name is already there."""
    target = (root / name).resolve()
    stem, dot, suffix = name.rpartition(".")
    counter = 2
    while target.exists() and not _same_bytes(target, source):
        target = (root / f"{stem}-{counter}{dot}{suffix}").resolve()
        counter += 1
    return target


def _same_bytes(a: Path, b: Path) -> bool:
    try:
        return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()
    except OSError:
        return False


def _indexing_failed(error: Exception) -> str:
    from index.pipeline import IndexBusy, IndexWriteFailed, ModelMismatch, write_failure_cause

    if isinstance(error, IndexBusy):
        reason = "arkivet bliver lige nu opdateret af `referat index`. Prøv igen om lidt."
    elif isinstance(error, IndexWriteFailed):
        cause = write_failure_cause(error.__cause__ or error)
        why = (
            "disken er fuld"
            if cause.startswith("no space")
            else "mappen kan ikke skrives"
            if cause.startswith(("the folder is read-only", "cannot write (permission"))
            else "arkivet kunne ikke skrives"
        )
        reason = (
            f"{why}. Det, der lå i arkivet i forvejen, er bevaret og kan stadig søges i. "
            "Bed den, der driver `referat serve`, om at skaffe plads (se loggen)."
        )
    elif isinstance(error, ModelMismatch):
        reason = "arkivet er bygget med en anden sprogmodel end den, appen kører med."
    else:
        reason = "der skete en fejl under indekseringen (se loggen)."
    return f"Filerne er modtaget, men kunne ikke lægges i arkivet: {reason}"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def upload_report(summary: IndexSummary | None, refused: Sequence[str]) -> str:
    """A short Danish account of an upload (Markdown)."""
    lines: list[str] = []
    if summary is not None:
        lines.append(
            f"**{_count(summary.indexed, 'fil', 'filer')} lagt i arkivet** "
            f"({_count(summary.meetings, 'møde', 'møder')}, "
            f"{_count(summary.items, 'dagsordenspunkt', 'dagsordenspunkter')}"
            + (f", heraf {summary.closed_items} lukkede" if summary.closed_items else "")
            + ")."
        )
        if summary.unchanged:
            lines.append(f"{summary.unchanged} var der i forvejen og er uændrede.")
        for skipped in summary.skipped:
            lines.append(
                f"- Sprunget over: {esc(_file_name(skipped.source))} – {esc(skipped.reason)}"
            )
    for reason in refused:
        lines.append(f"- Ikke modtaget: {reason}")
    return "\n".join(lines) or "Ingen filer at lægge i arkivet."


# -- the app -------------------------------------------------------------------------------
class ChatApp:
    """The state all browser sessions share: the engine (reopened after an upload), a notice."""

    def __init__(
        self,
        engine: AnswerEngine | None,
        notice: str | None = None,
        reopen: Callable[[], AnswerEngine] | None = None,
    ) -> None:
        self.engine = engine
        self.reopen = reopen
        self.lock = threading.RLock()
        self.notice = notice
        if engine is not None and notice is None and self.stats() is None:
            self.notice = EMPTY_ARCHIVE

    def stats(self) -> CatalogStats | None:
        """The archive's figures; None when there is no index or it is empty."""
        if self.engine is None:
            return None
        with self.lock:
            stats = self.engine.catalog.stats()
        return stats if stats.meetings else None

    def current(self) -> LockedEngine | None:
        """The engine for looking things up (items, trails), if any."""
        return None if self.engine is None else LockedEngine(self.engine, self.lock)

    def usable(self) -> LockedEngine | None:
        """The engine for answering: only when there is an archive with something in it."""
        return self.current() if self.notice is None else None

    def refresh(self) -> None:
        """Reopen the engine after new files were indexed, so they can be asked about."""
        if self.reopen is None:
            return
        with self.lock:
            try:
                fresh = self.reopen()
            except Exception:
                log.exception("reopening the index failed")
                return
            old, self.engine = self.engine, fresh
            close = getattr(getattr(old, "catalog", None), "close", None)
            if old is not None and old.catalog is not fresh.catalog and callable(close):
                close()
            self.notice = None if self.stats() is not None else EMPTY_ARCHIVE


def _chat_placeholder(notice: str | None) -> str:
    if notice:
        return f"**{esc(notice)}**"
    return (
        "**Spørg referaterne**  \nSpørg fx hvad et udvalg besluttede, hvad noget kostede, "
        "eller hvordan en sag har bevæget sig gennem udvalgene. Svaret citerer referaterne, "
        "og kilderne vises ved siden af."
    )


def _css() -> str:
    return importlib.resources.files("ui").joinpath("style.css").read_text(encoding="utf-8")


def theme() -> Any:
    system = ["system-ui", "-apple-system", "Segoe UI", "Helvetica Neue", "Arial", "sans-serif"]
    mono = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
    return gr.themes.Soft(
        primary_hue=gr.themes.colors.teal,
        secondary_hue=gr.themes.colors.amber,
        neutral_hue=gr.themes.colors.slate,
        font=system,
        font_mono=mono,
    )


def launch_options() -> dict[str, Any]:
    """What ``launch`` needs besides host and port: the look, and no outside calls."""
    return {"css": _css(), "theme": theme(), "footer_links": [], "show_error": False}


# Clicking (or Enter on) a source card or a trail step opens the item: the page sends which.
CARD_JS = """
const pick = (event) => event.target.closest('[data-item-id]');
const open = (el) => trigger('click', {
  item_id: el.dataset.itemId, n: el.dataset.n || '', kind: el.dataset.kind || ''
});
element.addEventListener('click', (event) => { const el = pick(event); if (el) open(el); });
element.addEventListener('keydown', (event) => {
  if (event.key !== 'Enter' && event.key !== ' ') return;
  const el = pick(event);
  if (el) { event.preventDefault(); open(el); }
});
"""
EXAMPLE_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-question]');
  if (button) trigger('click', {question: button.dataset.question});
});
"""
SCROLL_TO_MARK_JS = """
() => { setTimeout(() => {
  const mark = document.querySelector('#item-panel mark');
  const panel = document.querySelector('#item-view');
  if (mark) mark.scrollIntoView({block: 'center', behavior: 'smooth'});
  else if (panel) panel.scrollIntoView({block: 'start', behavior: 'smooth'});
}, 80); }
"""


def build_app(
    engine: AnswerEngine | None,
    *,
    allow_upload: bool = False,
    upload_dir: Path | None = None,
    index_files: IndexFiles | None = None,
    reopen: Callable[[], AnswerEngine] | None = None,
    notice: str | None = None,
    stream_delay: float = 0.015,
) -> gr.Blocks:
    """The whole page. ``engine`` None (with a ``notice``) shows the notice instead of answers.

    ``index_files`` indexes uploaded files (only with ``allow_upload``); ``reopen`` gives a
    fresh engine afterwards so the new files can be asked about.
    """
    app = ChatApp(engine, notice, reopen)
    stats = app.stats()
    bodies = list(stats.bodies) if stats else []
    municipalities = list(stats.municipalities) if stats else []
    usable = app.usable()
    examples = example_questions(usable.catalog) if usable is not None else []

    demo: gr.Blocks
    with gr.Blocks(title=TITLE, analytics_enabled=False, fill_width=False) as demo:
        refs = gr.State([])
        header = gr.HTML(render_header(app.notice), elem_id="brand", js_on_load=None)
        with gr.Row(equal_height=False, elem_id="main-row"):
            with gr.Column(scale=6, min_width=420, elem_id="chat-col"):
                chatbot = gr.Chatbot(
                    show_label=False,
                    elem_id="chat",
                    height="58vh",
                    min_height=360,
                    placeholder=_chat_placeholder(app.notice),
                    buttons=["copy"],
                    feedback_options=None,
                    layout="bubble",
                )
                with gr.Row(elem_id="ask-row", equal_height=True):
                    question = gr.Textbox(
                        show_label=False,
                        placeholder="Skriv dit spørgsmål, fx «Hvad blev der besluttet om …?»",
                        scale=8,
                        lines=1,
                        max_lines=4,
                        autofocus=True,
                        elem_id="question",
                        container=False,
                    )
                    send = gr.Button("Spørg", variant="primary", scale=1, min_width=90)
                example_set = gr.HTML(
                    render_examples(examples),
                    elem_id="examples",
                    js_on_load=EXAMPLE_JS,
                    visible=bool(examples),
                )
                with gr.Accordion("Afgræns søgningen", open=False, elem_id="filters"):
                    with gr.Row():
                        body_filter = gr.Dropdown(
                            choices=bodies,
                            multiselect=True,
                            label="Udvalg og råd",
                            scale=2,
                            min_width=200,
                        )
                        date_from = _filter_box("Fra dato", "ÅÅÅÅ-MM-DD", "date-from")
                        date_to = _filter_box("Til dato", "ÅÅÅÅ-MM-DD", "date-to")
                        case_filter = _filter_box("Sagsnummer", "fx 24-006588", "case-filter")
                        municipality = gr.Dropdown(
                            choices=[ALL_MUNICIPALITIES, *municipalities],
                            value=ALL_MUNICIPALITIES,
                            label="Kommune",
                            visible=len(municipalities) > 1,
                            scale=2,
                            min_width=160,
                        )
                    new_chat = gr.Button("Ny samtale", size="sm", variant="secondary")
            with gr.Column(scale=5, min_width=360, elem_id="side-col"):
                with gr.Column(visible=True, elem_id="sources-view") as sources_view:
                    sources = gr.HTML(
                        render_placeholder(
                            "Her vises kilderne til svaret. Klik på en kilde for at læse hele "
                            "dagsordenspunktet."
                        ),
                        elem_id="sources",
                        js_on_load=CARD_JS,
                    )
                    trail_view = gr.HTML("", elem_id="trail", js_on_load=CARD_JS)
                with gr.Column(visible=False, elem_id="item-view") as item_view:
                    back = gr.Button("← Tilbage til kilderne", size="sm", elem_id="back")
                    item_html = gr.HTML("", elem_id="item-panel", js_on_load=None)
        with gr.Accordion("Om arkivet", open=False, elem_id="about"):
            about = gr.HTML(render_about(stats, app.notice), js_on_load=None)

        # -- chat --
        def on_ask(
            text: str,
            history: list[dict[str, Any]],
            chosen_bodies: list[str] | None,
            start: str,
            end: str,
            town: str | None,
            case: str | None,
        ) -> Iterator[tuple[Any, ...]]:
            current = app.usable()
            if current is None:
                said = [
                    *history,
                    {"role": "user", "content": text},
                    {"role": "assistant", "content": chat_text(app.notice or EMPTY_ARCHIVE)},
                ]
                yield said, "", gr.skip(), gr.skip(), [], gr.skip(), gr.skip()
                return
            filters = Filters(tuple(chosen_bodies or ()), start or "", end or "", town, case or "")
            try:
                for turn in respond(current, text, history, filters, delay=stream_delay):
                    yield (
                        turn.history,
                        "",
                        gr.skip() if turn.sources is None else turn.sources,
                        gr.skip() if turn.trail is None else turn.trail,
                        turn.refs,
                        gr.update(visible=True),
                        gr.update(visible=False),
                    )
            except Exception:  # respond catches its own; this is the last line of defence
                log.exception("the chat failed")
                said = [*history, {"role": "assistant", "content": ERROR_MESSAGE}]
                yield said, "", gr.skip(), gr.skip(), [], gr.skip(), gr.skip()

        ask_inputs = [question, chatbot, body_filter, date_from, date_to, municipality, case_filter]
        ask_outputs = [chatbot, question, sources, trail_view, refs, sources_view, item_view]
        for trigger in (question.submit, send.click):
            trigger(
                on_ask,
                ask_inputs,
                ask_outputs,
                api_visibility="private",
                show_progress="hidden",
                concurrency_limit=4,
            )

        def on_example(evt: gr.EventData) -> str:
            data = evt._data if isinstance(evt._data, dict) else {}
            return str(data.get("question") or "")

        example_set.click(
            on_example,
            None,
            question,
            api_visibility="private",
            show_progress="hidden",
        ).then(
            on_ask,
            ask_inputs,
            ask_outputs,
            api_visibility="private",
            show_progress="hidden",
            concurrency_limit=4,
        )

        def on_new_chat() -> tuple[Any, ...]:
            return (
                [],
                "",
                render_placeholder("Her vises kilderne til svaret."),
                "",
                [],
                gr.update(visible=True),
                gr.update(visible=False),
            )

        new_chat.click(on_new_chat, None, ask_outputs, api_visibility="private")

        # -- sources and the item panel --
        def on_open(current_refs: list[dict[str, Any]], evt: gr.EventData) -> tuple[Any, ...]:
            data = evt._data if isinstance(evt._data, dict) else {}
            current = app.current()
            if current is None:
                return gr.skip(), gr.skip(), gr.skip()
            try:
                view = open_reference(current, current_refs or [], data)
            except Exception:
                log.exception("opening %r failed", data)
                view = render_placeholder("Punktet kunne ikke åbnes. Prøv igen.")
            return view, gr.update(visible=False), gr.update(visible=True)

        for panel in (sources, trail_view):
            panel.click(
                on_open,
                [refs],
                [item_html, sources_view, item_view],
                api_visibility="private",
                show_progress="hidden",
            ).then(None, None, None, js=SCROLL_TO_MARK_JS)
        back.click(
            lambda: (gr.update(visible=True), gr.update(visible=False)),
            None,
            [sources_view, item_view],
            api_visibility="private",
        )

        # -- upload --
        if allow_upload:
            target_dir = upload_dir or Path("uploads")
            with gr.Accordion("Tilføj referater", open=False, elem_id="upload"):
                gr.Markdown(
                    "Læg nye mødereferater i arkivet. Filtyper: "
                    f"{', '.join(UPLOAD_SUFFIXES)} – højst {MAX_UPLOAD_BYTES // 2**20} MB pr. fil. "
                    "De indekseres med det samme, så du kan spørge til dem bagefter."
                )
                files = gr.UploadButton(
                    "Vælg referater og læg dem i arkivet …",
                    file_count="multiple",
                    file_types=list(UPLOAD_SUFFIXES),
                    type="filepath",
                    variant="primary",
                    elem_id="upload-button",
                )
                report = gr.Markdown(elem_id="upload-report")

            def on_upload(
                paths: list[str] | None,
                progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio's own idiom
            ) -> tuple[Any, ...]:
                if not paths:
                    return ("Vælg en eller flere filer først.", *([gr.skip()] * 5))
                progress(0.05, desc="Modtager filerne")
                stored, refused = store_uploads(paths, target_dir)
                summary: IndexSummary | None = None
                if stored and index_files is not None:

                    def step(done: int, total: int) -> None:
                        progress(0.1 + 0.85 * done / max(total, 1), desc="Indekserer")

                    try:
                        summary = index_files(stored, step)
                    except Exception as error:
                        log.exception("indexing uploads failed")
                        return (_indexing_failed(error), *([gr.skip()] * 5))
                    progress(0.97, desc="Åbner arkivet igen")
                    app.refresh()
                elif stored:
                    refused = [*refused, "indeksering er ikke slået til i denne app"]
                new_stats = app.stats()
                return (
                    upload_report(summary, refused),
                    gr.update(choices=list(new_stats.bodies) if new_stats else []),
                    render_about(new_stats, app.notice),
                    render_header(app.notice),
                    None,
                    gr.update(placeholder=_chat_placeholder(app.notice)),
                )

            files.upload(
                on_upload,
                [files],
                [report, body_filter, about, header, files, chatbot],
                api_visibility="private",
                concurrency_limit=1,
            )

        # -- the API and MCP tools --
        def ask(
            question: str,
            bodies: list[str] | None = None,
            date_from: str | None = None,
            date_to: str | None = None,
            municipality: str | None = None,
            case_number: str | None = None,
        ) -> dict[str, Any]:
            """Search the Danish municipal meeting minutes and answer a question with citations.

            The answer quotes the minutes verbatim and numbers its sources [1], [2], ...
            Closed agenda items are named by number and title only, never quoted.

            Args:
                question: The question in Danish, e.g. "Hvad blev der besluttet om Solgården?"
                bodies: Only these committees or councils, e.g. ["Byrådet"]; empty for all.
                date_from: Earliest meeting date, YYYY-MM-DD; empty for no limit.
                date_to: Latest meeting date, YYYY-MM-DD; empty for no limit.
                municipality: Only this municipality; empty for all.
                case_number: Only this case number, e.g. "24-006588"; empty for all.

            Returns:
                The answer: question, answer text, found, citations (body, meeting date, item
                number, title, case number, quote, closed, outcome, item_id), the case's
                trail and, when nothing was found, suggestions.
            """
            current = app.usable()
            if current is None:
                raise gr.Error(app.notice or EMPTY_ARCHIVE, title="Fejl", print_exception=False)
            filters = Filters(
                tuple(bodies or ()), date_from or "", date_to or "", municipality, case_number or ""
            )
            try:
                search_filter = build_filter(filters)
            except FilterError as error:
                raise gr.Error(str(error), title="Fejl", print_exception=False) from None
            if not (question or "").strip():
                raise gr.Error("Skriv et spørgsmål.", title="Fejl", print_exception=False)
            try:
                answer = current.ask(question.strip(), search_filter)
            except Exception:
                log.exception("the /ask API failed")
                raise gr.Error(ERROR_MESSAGE, title="Fejl", print_exception=False) from None
            return answer_to_json(answer)

        def item(item_id: str) -> dict[str, Any]:
            """Fetch one agenda item of the minutes by its id (item_id from a citation).

            Returns the whole item: body, meeting date, number, title, case number, the
            decisions first, then every section. A closed item gives number and title only.

            Args:
                item_id: The item_id of a citation or trail step returned by the ask tool.

            Returns:
                The agenda item as a dictionary.
            """
            current = app.current()
            if current is None:
                raise gr.Error(app.notice or EMPTY_ARCHIVE, title="Fejl", print_exception=False)
            record = current.item((item_id or "").strip())
            if record is None:
                raise gr.Error(
                    f"Intet dagsordenspunkt med id {item_id!r}.",
                    title="Fejl",
                    print_exception=False,
                )
            return item_to_json(record)

        def trail(item_id: str) -> list[dict[str, Any]]:
            """Fetch the trail of a case: every agenda item of the same case number, by date.

            Shows the path a case took through the committees and the council, with each
            step's outcome and decision. Closed steps give number and title only.

            Args:
                item_id: The item_id of any agenda item of the case (from the ask tool).

            Returns:
                The steps (meeting_date, body, item, title, outcome, decision, item_id,
                closed), oldest first; empty when the case was treated only once.
            """
            current = app.current()
            if current is None:
                raise gr.Error(app.notice or EMPTY_ARCHIVE, title="Fejl", print_exception=False)
            steps = current.trail((item_id or "").strip())
            return trail_to_json(steps)

        gradio_api(ask, api_name="ask")
        gradio_api(item, api_name="item")
        gradio_api(trail, api_name="trail")
    return demo


# -- serve ---------------------------------------------------------------------------------
def _auth(value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    user, colon, password = value.partition(":")
    if not colon or not user or not password:
        raise SystemExit("Error: REFERAT_AUTH must look like user:password")
    return user, password


def _open(settings: Settings, embedder: Any) -> tuple[Engine | None, str | None]:
    """The engine, or None and a kind Danish notice saying why there is none."""
    from index.open import IndexUnavailable
    from index.pipeline import ModelMismatch

    try:
        engine = Engine.open(settings, embedder)
        if engine.degraded:
            log.warning("answering from the word index alone: %s", engine.degraded)
        return engine, None
    except IndexUnavailable as error:
        if not (settings.db_dir / "catalog.sqlite").exists():
            return None, EMPTY_ARCHIVE
        log.warning("index unavailable: %s", error)
        return None, f"Arkivet kan ikke åbnes lige nu: {error}"
    except ModelMismatch as error:
        log.warning("%s", error)
        return None, (
            "Arkivet er bygget med en anden sprogmodel end den, der er valgt. "
            f"Start med den samme model som ved indekseringen. ({error})"
        )
    except Exception as error:
        log.exception("opening the index failed")
        return None, f"Arkivet kan ikke åbnes: {error}"


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    allow_upload: bool = False,
    mcp: bool = False,
) -> None:
    """Open the index and serve the chat (and, with ``mcp``, the MCP tools) until stopped.

    The index folder stays locked while serving (see ``index.pipeline.serve_lock``), so a
    `referat index` on the same folder is refused instead of writing under the open store.
    """
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    auth = _auth(settings.auth)
    if mcp and importlib.util.find_spec("mcp") is None:
        raise SystemExit(
            "Error: --mcp needs Gradio's MCP support; install it with: pip install 'gradio[mcp]'"
        )
    with contextlib.ExitStack() as held:
        lock_for_serving(settings, allow_upload, held)
        _serve(settings, host=host, port=port, allow_upload=allow_upload, mcp=mcp, auth=auth)


def lock_for_serving(settings: Settings, allow_upload: bool, held: contextlib.ExitStack) -> None:
    """Hold the index folder for the server's lifetime: shared, or exclusive with uploads.

    A Chroma server (``REFERAT_CHROMA_URL``) handles concurrent use itself: no lock then.
    Exits with a message when `referat index` has the folder; a folder that cannot hold a lock
    file (read-only) is served without one, as nothing can write to it anyway.
    """
    from index.pipeline import IndexBusy, IndexWriteFailed, serve_lock

    if settings.chroma_url:
        return
    try:
        held.enter_context(serve_lock(settings.db_dir, writes=allow_upload))
    except IndexBusy as error:
        raise SystemExit(f"Error: {error}") from None
    except IndexWriteFailed as error:
        if allow_upload:
            raise SystemExit(f"Error: uploads need a writable index: {error}") from None
        log.warning("serving without the index lock: %s", error)


def _serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    allow_upload: bool,
    mcp: bool,
    auth: tuple[str, str] | None,
) -> None:
    from index.embedder import load_embedder

    try:
        embedder = load_embedder(settings)
    except Exception as error:
        log.exception("loading the embedding model failed")
        embedder = None
        notice: str | None = f"Sprogmodellen kan ikke indlæses: {error}"
        engine: Engine | None = None
    else:
        engine, notice = _open(settings, embedder)
        if engine is not None:
            # Load the model now, so the first users are not the ones who wait for it.
            engine.retriever.embedder.embed_query("opvarmning")

    index_files: IndexFiles | None = None
    reopen: Callable[[], Engine] | None = None
    if allow_upload and embedder is not None:
        from index.open import open_for_writing

        def index_uploads(
            paths: Sequence[Path], progress: Callable[[int, int], None] | None = None
        ) -> IndexSummary:
            return open_for_writing(settings, embedder).run(paths, progress=progress)

        def reopen_engine() -> Engine:
            return Engine.open(settings, embedder)

        index_files, reopen = index_uploads, reopen_engine

    demo = build_app(
        engine,
        allow_upload=allow_upload,
        upload_dir=settings.data_dir / "uploads",
        index_files=index_files,
        reopen=reopen,
        notice=notice,
    )
    demo.queue(default_concurrency_limit=2)
    demo.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        auth_message="Log ind for at spørge referaterne." if auth else None,
        mcp_server=mcp,
        max_file_size=MAX_UPLOAD_BYTES if allow_upload else None,
        **launch_options(),
    )
