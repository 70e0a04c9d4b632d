"""From retrieved items to an answer that quotes the minutes and says where each quote is from.

Extractive by default: decisions are quoted verbatim with body and date; for a fact question
the sentences that carry the answer are quoted. Closed items are named, never quoted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from index.catalog import Catalog, ItemRecord
from index.chunking import TITLE_SECTION
from index.danish import fold, term_set, terms
from index.models import AgendaItem, Decision, Section
from index.parsing.common import DANISH_MONTHS
from index.store import SearchFilter
from rag.evidence import content_terms, match_weight
from rag.outcome import (
    approved_with_changes,
    approves_the_proposal,
    follows_recommendation,
    option_chosen,
    outcome_of,
    vote_of,
)
from rag.query import QueryIntent, translate_terms, years_named
from rag.reader import Reader
from rag.reading import ReadingConfig, answers, read
from rag.retriever import WEAK_COVERAGE, ItemHit, Retrieval, Retriever


@dataclass(frozen=True)
class AnswerConfig:
    # Evidence thresholds, calibrated on the eval sets (see eval/README.md). A Danish question
    # is answered when the best item covers enough of its content words (rag.evidence), or
    # some of them with a close vector; an English one, which shares no words with Danish
    # minutes, by vector similarity alone.
    min_coverage: float = WEAK_COVERAGE
    min_coverage_when_close: float = 0.10
    close_dense: float = 0.88
    # A place or a name alone does not answer a question about a thing there ("a swimming
    # pool in Lyngvig"): of the question's other content words, this share must be covered.
    min_topic_coverage: float = 0.15  # unless the best cosine is close_dense or more
    min_dense_english: float = 0.80
    evidence_depth: int = 3
    citations: int = 3
    fact_sentences: int = 2


@dataclass(frozen=True)
class Citation:
    meeting_date: str
    body: str
    municipality: str | None
    item: int
    title: str
    case_number: str | None
    section: str | None
    source: str
    quote: str | None
    closed: bool
    outcome: str | None
    item_id: str
    vote: str | None = None

    @property
    def label(self) -> str:
        """ "Direktionen, 19-06-2017, punkt 5: Budgetanalyser"."""
        return f"{self.body}, {danish_date(self.meeting_date)}, punkt {self.item}: {self.title}"


@dataclass(frozen=True)
class TrailStep:
    meeting_date: str
    body: str
    item: int
    title: str
    outcome: str | None
    decision: str | None
    item_id: str
    closed: bool


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    found: bool
    citations: tuple[Citation, ...] = ()
    trail: tuple[TrailStep, ...] = ()
    suggestions: tuple[Citation, ...] = ()
    kind: str = "fact"
    # Every retrieved item as (meeting date, item number, body), best first: what the eval ranks.
    retrieved: tuple[tuple[str, int, str], ...] = field(default=(), compare=False)


def danish_date(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}-{month}-{year}"


#: "januar" ... "december", in order.
MONTH_NAMES = tuple(DANISH_MONTHS)


def long_date(iso: str | None) -> str:
    """ "2024-03-12" -> "12. marts 2024" (unparseable values are shown as they are)."""
    if not iso:
        return ""
    try:
        day = date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    return f"{day.day}. {MONTH_NAMES[day.month - 1]} {day.year}"


# -- sentences -----------------------------------------------------------------------------
_ABBREVIATIONS = {
    "pr",
    "kr",
    "mio",
    "mia",
    "jf",
    "ca",
    "nr",
    "stk",
    "bl.a",
    "f.eks",
    "evt",
    "inkl",
    "ekskl",
    "iht",
    "vedr",
    "mv",
    "m.v",
    "osv",
    "dvs",
    "tlf",
    "d",
    "kl",
    "jan",
    "feb",
    "aug",
    "sept",
    "okt",
    "nov",
    "dec",
    "t",
    "pkt",
}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÆØÅ\"“«(])|\n+")


def split_sentences(text: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        candidate = text[start : match.start()]
        last_word = candidate.rsplit(None, 1)[-1].rstrip(".").lower() if candidate.split() else ""
        if (
            match.group(0).strip() == ""
            and "\n" not in match.group(0)
            and last_word in _ABBREVIATIONS
        ):
            continue
        if candidate.strip():
            pieces.append(candidate.strip())
        start = match.end()
    if text[start:].strip():
        pieces.append(text[start:].strip())
    return pieces


_AMOUNT = re.compile(
    r"\d[\d.,]*\s*(?:mio\.?|mia\.?|t\.)?\s*kr\.?|\d[\d.]*\.\d{3}|\d+,\d+\s*mio", re.I
)
_DATE_WORDS = re.compile(
    r"\b\d{1,2}\.\s*(?:januar|februar|marts|april|maj|juni|juli|august|september|oktober|"
    r"november|december)|\b\d{1,2}[-./]\d{1,2}[-./]\d{2,4}\b|\b(?:uge|kvartal)\s*\d|\b20\d\d\b|"
    # Times named by the year's seasons and holidays ("efter sommerferien", "inden jul").
    r"\b(?:før|efter|inden|til|i|om|fra)\s+(?:sommerferien|efterårsferien|vinterferien|"
    r"påskeferien|jul|julen|nytår|påske|påsken|foråret|efteråret|sommeren|vinteren)\b",
    re.I,
)
_NAME = re.compile(r"\b[A-ZÆØÅ][a-zæøå]+\s+[A-ZÆØÅ][a-zæøå]+")
_NUMBER = re.compile(r"\d")
_COMPANY = re.compile(r"\b(?:ApS|A/S|I/S|P/S|K/S)\b|&")
_ADDRESS = re.compile(r"\b[A-ZÆØÅ][a-zæøå]{3,}\s+\d+[A-Za-z]?\b(?!\s*(?:kr|mio|pct|%|\.))")
# A full date ("1. august 2026", "12-03-2024") says more than a bare year or month.
_MONTH_NAME = "(?:" + "|".join(MONTH_NAMES) + ")"
_FULL_DATE = re.compile(
    rf"\b\d{{1,2}}\.\s*{_MONTH_NAME}|\b\d{{1,2}}[-./]\d{{1,2}}[-./]\d{{2,4}}\b|"
    rf"\b{_MONTH_NAME}\s+20\d\d\b",
    re.I,
)
_MUNICIPALITY = re.compile(r"\b[A-ZÆØÅ][\wæøå-]+\s+Kommune\b")
_MEASURE = re.compile(
    r"\d[\d.,]*\s*(?:m2|m²|m\b|meter|km|cm|ha|hektar|kvadratmeter|procent|pct|%|timer|dage|uger|"
    r"måneder|år\b|personer|borgere|elever|pladser|boliger|stemmer)",
    re.I,
)


# "hvor mange høringssvar", "hvor stort et tillæg": the thing counted or measured, which the
# sentence that answers names beside its number.
_COUNTED = re.compile(
    r"(?:hvor mange|how many|hvor (?:stor|stort|høj|højt)(?: (?:er|var|bliver|blev|et|en))*) "
    r"(?!penge|kroner|money|koste|der\b|det\b|skal\b|vil\b|har\b)([a-zæøå]{4,})"
)
_DURATION = re.compile(
    r"\d[\d.,]*\s*(?:sekund\w*|minut\w*|time\w*|dag\w*|uge\w*|måned\w*|år\b)", re.I
)
# "hver 14. dag", "to gange om ugen", "ugentligt", "med 4 ugers interval": how often.
_FREQUENCY = re.compile(
    r"\bhver(?:t|e)?\s+(?:\d+\.?\s*|anden\s+|tredje\s+)?(?:dag|uge|måned|år|kvartal)|"
    r"\b\w+\s+gange?\s+(?:om|pr\.?|i|hver)\s+(?:dagen|ugen|måneden|året|dag|uge|måned|år)|"
    r"\b(?:dagligt?|ugentlig\w*|månedlig\w*|årlig\w*|kvartalsvis)\b|\d+\s*\w*\s+interval|"
    r"\bevery\s+(?:\d+\s+)?(?:day|week|month|year)s?\b|\b(?:daily|weekly|monthly|yearly)\b",
    re.I,
)
# A question about money ("hvor mange penge", "hvor stort er tilskuddet") wants an amount in
# kroner, not any number: a count or a measure beside it is a weaker match.
_MONEY = re.compile(
    r"penge|kron|\bkr\b|beløb|kost|pris|budget|tilskud|bevilling|afsat|udgift|diæt|takst|"
    r"\bløn|how much|cost|spend|\bpay"
)


# What kind of thing a question asks for, and how a sentence that holds one looks. A sentence
# without the asked-for kind of thing rarely answers the question, however many words it shares.
_ANSWER_TYPES: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (
        re.compile(r"hvor (meget|mange|stor|høj)|kost|beløb|pris|betal|how (much|many)|cost"),
        _AMOUNT,
    ),
    (
        re.compile(r"hvor (mange|stor|stort|høj|højt|lang|langt|bred)|how (many|big|high|long)"),
        _MEASURE,
    ),
    (re.compile(r"hvor mange|how many"), _NUMBER),
    (re.compile(r"hvor længe|how long|varighed|ventetid"), _DURATION),
    (re.compile(r"hvor (?:tit|ofte)|how often|hyppighed|interval"), _FREQUENCY),
    (re.compile(r"hvornår|when|dato|tidspunkt"), _DATE_WORDS),
    (re.compile(r"\bhvem\b|\bwho\b"), _NAME),
    (re.compile(r"firma|virksomhed|leverandør|entreprenør|rådgiver|company|contractor"), _COMPANY),
    (re.compile(r"hvilke kommuner|hvilken kommune|which municipalit"), _MUNICIPALITY),
    (
        re.compile(
            r"\bhvor\b(?! (meget|mange|stor|stort|høj|højt|ofte|længe|lang))|\bwhere\b|adresse"
        ),
        _ADDRESS,
    ),
)


def answer_type_factor(question: str, sentence: str) -> float:
    """1.5 when the sentence holds what the question asks for (1.8 for a full date when a
    date is asked for), 0.25 when it does not, 1 when the question asks for no kind. A bare
    number, or a number that is not an amount when money is asked about, counts for less."""
    q = fold(question)
    wanted = [shape for asks, shape in _ANSWER_TYPES if asks.search(q)]
    if not wanted:
        return 1.0
    found = [shape for shape in wanted if shape.search(sentence)]
    if not found:
        return 0.25
    if _DATE_WORDS in found and _FULL_DATE.search(sentence):
        return 1.8
    if _AMOUNT in wanted and _MONEY.search(q) and _AMOUNT not in found:
        return 0.6
    counted = _COUNTED.search(q)
    if counted:
        noun = re.escape(counted.group(1)[:5])
        # A count stands just before what it counts ("142 høringssvar", "41 dage"); a size
        # anywhere in the sentence that names the thing ("et tillæg ... på 1,916 mio. kr.").
        near = (
            r"\d[\d.,]*\s+(?:\w+\s+)?" + noun
            if counted.group(0).split()[1] in ("mange", "many")
            else noun
        )
        if re.search(near, fold(sentence)):
            return 1.8
    return 1.5


def _term_weights(
    question: str, topic: str, idf: Callable[[str], float | None] | None, unseen: float
) -> dict[str, float]:
    """The question's content terms, rarer ones weighing more; words of the ``topic`` (the
    item's title) count a little, since every sentence of the item is about it."""
    topic_terms = set(terms(topic))
    weights: dict[str, float] = {}
    for t in content_terms(question):
        weight = 1.0
        if idf is not None and unseen > 0:
            weight = 0.5 + (idf(t) or unseen) / unseen
        if t in topic_terms:
            weight *= 0.3
        weights[t] = weight
    return weights


_BULLET = re.compile(r"^\s*(?:[-•*–·]|\d{1,2}[.)])\s")


def _lines_in_context(text: str) -> list[tuple[str, str]]:
    """(line, heading) for every line of ``text``: a list item ("- Udgift: 146.551 kr.") under
    a short line that ends in a colon ("Model 2 (den mindre):") is read with that heading,
    which says what the item is about; any other line ends the list."""
    out: list[tuple[str, str]] = []
    heading = ""
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.endswith(":") and len(stripped.split()) <= 12:
            heading = stripped
            out.append((line, ""))
        elif heading and _BULLET.match(line):
            out.append((line, heading))
        else:
            # The line right after a heading is its paragraph; any later one ends the list.
            out.append((line, heading if out and out[-1][0].strip() == heading else ""))
            heading = ""
    return out


# A sentence this short is read with the one before it: "Omkostning ca. 320.000 kr." says
# what it costs only after "Scenarie 1. Midlertidig afdækning af tagene."
_TAIL_WORDS = 5


def _with_their_tails(line: str) -> list[str]:
    """The sentences of one line, each very short one joined to the sentence before it (as
    the line writes them, so that the quote is still verbatim)."""
    units: list[str] = []
    position = 0
    spans: list[tuple[int, int]] = []
    for sentence in split_sentences(line):
        start = line.find(sentence, position)
        if start < 0:  # not expected: split_sentences keeps the line's own characters
            units.append(sentence)
            spans.append((-1, -1))
            continue
        end = start + len(sentence)
        position = end
        if spans and spans[-1][0] >= 0 and len(sentence.split()) <= _TAIL_WORDS:
            spans[-1] = (spans[-1][0], end)
            units[-1] = line[spans[-1][0] : end]
        else:
            spans.append((start, end))
            units.append(sentence)
    return units


def scored_sentences(
    question: str,
    texts: Sequence[str],
    preferred: Sequence[str] = (),
    topic: str = "",
    idf: Callable[[str], float | None] | None = None,
    unseen: float = 0.0,
    *,
    credit_topic: bool = False,
) -> list[tuple[float, int, str]]:
    """(score, position, sentence) for every sentence of ``texts``, best first.

    Within one item the words of its ``topic`` (title) count a little, since every sentence is
    about it. With ``credit_topic`` they count fully for every sentence instead: for comparing
    the best sentences of different items, where an item titled with the question's words is
    more likely the one that answers it, not less."""
    weights = _term_weights(question, "" if credit_topic else topic, idf, unseen)
    topic_terms = set(terms(topic)) if credit_topic else set()
    scored: list[tuple[float, int, str]] = []
    order = 0
    for text in texts:
        for line, heading in _lines_in_context(text):
            heading_terms = term_set(heading) if heading else frozenset()
            for sentence in _with_their_tails(line):
                if len(sentence) < 3:
                    continue
                sentence_terms = term_set(sentence)
                score = 1.0
                for t, w in weights.items():
                    match = match_weight(t, sentence_terms)
                    if heading_terms and match < 1.0:
                        match = max(match, 0.7 * match_weight(t, heading_terms))
                    if topic_terms and match < 1.0:
                        match = max(match, match_weight(t, topic_terms))
                    score += w * match
                if any(sentence in passage for passage in preferred):
                    score += 0.5
                score *= answer_type_factor(question, sentence)
                scored.append((score, order, sentence))
                order += 1
    scored.sort(key=lambda s: (-s[0], s[1]))
    return scored


def best_sentences(
    question: str,
    texts: Sequence[str],
    limit: int,
    preferred: Sequence[str] = (),
    topic: str = "",
    idf: Callable[[str], float | None] | None = None,
    unseen: float = 0.0,
) -> list[str]:
    """The sentences that best answer ``question``, in their original order. Sentences inside
    a ``preferred`` passage (what retrieval ranked highest) get a small bonus; words of the
    ``topic`` (the item's title) count less, since every sentence of the item is about it."""
    scored = scored_sentences(question, texts, preferred, topic, idf, unseen)
    if not scored:
        return []
    top = [s for s in scored[:limit] if s[0] > 0] or scored[:1]
    return [s[2] for s in sorted(top, key=lambda s: s[1])]


@dataclass(frozen=True)
class Quoting:
    """How the sentences to quote are chosen: by the question's words, rarer ones (by the
    lexical index's ``idf``) weighing more. Not by the reader: over the round-7 to round-9
    blind files at their first runs its choice quoted no better (eval/README.md, "Round 9")."""

    idf: Callable[[str], float | None] | None = None
    unseen: float = 0.0

    def best(
        self,
        asked: str,
        item: AgendaItem,
        limit: int,
        preferred: Sequence[str] = (),
        *,
        decisions: bool = True,
    ) -> list[str]:
        """The sentences of ``item`` (its decisions too, unless not ``decisions``) that best
        answer ``asked``, in their order in the item."""
        texts = [s.text for s in item.sections]
        if decisions:
            texts = [d.text for d in item.decisions] + texts
        return best_sentences(asked, texts, limit, preferred, item.title, self.idf, self.unseen)


# -- composing -----------------------------------------------------------------------------
def _citation(
    record: ItemRecord, quote: str | None, section: str | None, decision: Decision | None = None
) -> Citation:
    closed = record.item.closed
    vote = vote_of(decision.text) if decision else None
    return Citation(
        meeting_date=record.meeting_date,
        body=record.body,
        municipality=record.municipality,
        item=record.number,
        title=record.title,
        case_number=record.item.case_number,
        section=None if closed else section,
        source=record.source,
        quote=None if closed else quote,
        closed=closed,
        outcome=None if closed or decision is None else outcome_of(decision.text),
        item_id=record.item_id,
        vote=vote.text if vote else None,
    )


def _quote_decisions(
    catalog: Catalog,
    record: ItemRecord,
    trail: Sequence[TrailStep],
    citations: list[Citation],
    parts: list[str],
) -> None:
    """The item's decisions, each with who decided when: this meeting's own first, then what
    it approved, then any earlier decisions the item repeats that the approvals did not already
    show, newest first (a Byråd item repeats the Magistrat's recommendation)."""
    item = record.item
    own = own_decision(record)
    repeated = sorted(
        (d for d in item.decisions if d is not own), key=lambda d: d.date or "", reverse=True
    )
    for decision in (own, *repeated):
        if any(c.quote == decision.text for c in citations):
            continue
        citations.append(_citation(record, decision.text, "Beslutning", decision))
        who = decision.body or record.body
        when = danish_date(decision.date or record.meeting_date)
        where = f"punkt {item.number}: {item.title}"
        if decision is not own:
            # An earlier body's decision, as this item's minutes repeat it.
            where = f"gengivet i {record.body}s referat, {where}"
        parts.append(
            f"{who} besluttede den {when} ({where}) [{len(citations)}]:\n{_quote(decision.text)}"
        )
        _what_was_approved(catalog, record, decision, trail, citations, parts)


def trail_for(catalog: Catalog, record: ItemRecord) -> tuple[TrailStep, ...]:
    """Every item of the same matter, in date order: the path a case took through the bodies.

    The same matter is the same case number or, across case numbers (a Direktion's own
    journal number, a committee's), clearly the same title (``same_matter``)."""
    found: dict[str, ItemRecord] = {}
    if record.item.case_number:
        found.update((r.item_id, r) for r in catalog.items_by_case(record.item.case_number))
    found.update((r.item_id, r) for r in same_matter(catalog, record))
    found.setdefault(record.item_id, record)
    steps = []
    for other in sorted(found.values(), key=lambda r: (r.meeting_date, r.body, r.number)):
        decision = other.item.decisions[-1] if other.item.decisions else None
        steps.append(
            TrailStep(
                meeting_date=other.meeting_date,
                body=other.body,
                item=other.number,
                title=other.title,
                outcome=outcome_of(decision.text) if decision else None,
                decision=decision.text if decision else None,
                item_id=other.item_id,
                closed=other.item.closed,
            )
        )
    return tuple(steps) if len(steps) > 1 else ()


_CLOSED_PREFIX = re.compile(r"^\s*lukket\s*(?:punkt)?\s*[:\-–]\s*", re.I)
_MATTER_WORD = re.compile(r"[^\W\d_]{6,}")
# Share of the shorter title's words the other must have: "Udvidelse af plejecentret Solgården
# med 24 plejeboliger" and "Plejeboligkapacitet - udvidelse af plejecentret Solgården".
MATTER_OVERLAP = 0.75
# More items than this under one title are a standing agenda heading ("Orientering fra
# borgmesteren"), not one matter.
RECURRING_TITLE = 8
MATTER_YEARS = 2
RECOMMENDATION_AGE = timedelta(days=92)
MATTER_CANDIDATES = 60


def _is_standing_heading(catalog: Catalog, record: ItemRecord) -> bool:
    """A title under which more than ``RECURRING_TITLE`` items stand: a heading such as
    "Meddelelser", not a matter."""
    return catalog.title_count(record.title, RECURRING_TITLE + 1) > RECURRING_TITLE


def _standing(catalog: Catalog, record: ItemRecord) -> bool:
    # A closed item's public title is often only "Lukket", which every meeting may have.
    return not record.item.closed and _is_standing_heading(catalog, record)


def _matter_terms(title: str) -> frozenset[str]:
    """A title's words without "Lukket:" and without dates and numbers, which say when, not
    what ("Øvrige sager 10-03-2015" and "Økonomiopfølgning 10-03-2015" are not one matter)."""
    # "Pride-flag i Pride-ugen" and "Prideflag i Prideugen" are one matter's titles.
    joined = _INNER_HYPHEN.sub("", _CLOSED_PREFIX.sub("", title))
    return frozenset(t for t in term_set(joined) if not any(c.isdigit() for c in t))


_INNER_HYPHEN = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")


def _title_overlap(own: frozenset[str], theirs: frozenset[str]) -> float:
    """Share of the shorter title's words that the other title has too (0 for an empty one)."""
    if not own or not theirs:
        return 0.0
    return len(own & theirs) / min(len(own), len(theirs))


def same_matter(catalog: Catalog, record: ItemRecord) -> list[ItemRecord]:
    """Items whose titles say they are the same matter as ``record``'s, within two years: a
    title of at least three words sharing ``MATTER_OVERLAP`` of them. Closed items (no case
    number) are joined to their matter this way too."""
    title = _CLOSED_PREFIX.sub("", record.title)
    own = _matter_terms(record.title)
    if len(own) < 3:
        return []
    year = int(record.meeting_date[:4])
    words = sorted(set(_MATTER_WORD.findall(title)), key=len, reverse=True)[:2]
    # A word in very many titles ("anlægsbevilling") does not single out a matter.
    found = [catalog.titles_like(word, MATTER_CANDIDATES + 1) for word in words]
    usable = [candidates for candidates in found if len(candidates) <= MATTER_CANDIDATES]
    matches: dict[str, set[int]] = {}
    for n, candidates in enumerate(usable):
        for item_id, other_title, meeting_date in candidates:
            theirs = _matter_terms(other_title)
            if (
                len(theirs) >= 3
                and abs(int(meeting_date[:4]) - year) <= MATTER_YEARS
                and _title_overlap(own, theirs) >= MATTER_OVERLAP
            ):
                matches.setdefault(item_id, set()).add(n)
    if len(matches) > RECURRING_TITLE and usable:
        # Every "Initiativretsforslag fra (A) vedr. ... i Greve" shares ¾ of its words with the
        # one on a pantstation: then only the titles with the rarer word ("pantstation") are
        # the matter.
        rarer = min(range(len(usable)), key=lambda n: len(usable[n]))
        matches = {item_id: found_by for item_id, found_by in matches.items() if rarer in found_by}
    if len(matches) > RECURRING_TITLE:
        return []
    return [r for r in (catalog.item(i) for i in sorted(matches)) if r is not None]


def _recommendation_followed(
    catalog: Catalog, record: ItemRecord, decision: Decision, trail: Sequence[TrailStep]
) -> tuple[ItemRecord, Decision] | None:
    """ "Godkendt som indstillet af Økonomiudvalget": find the decision that was approved."""
    named = follows_recommendation(decision.text)
    if named is None:
        return None
    # A recommendation goes on to the next body within weeks; one from months before was
    # about another step of the matter (an anlægsbevilling, not the later tillægsbevilling).
    since = (date.fromisoformat(record.meeting_date) - RECOMMENDATION_AGE).isoformat()
    earlier = [s for s in trail if since <= s.meeting_date < record.meeting_date and not s.closed]
    if named:
        folded = fold(named)[:8]
        earlier = [s for s in earlier if fold(s.body).startswith(folded)] or earlier
    # Some minutes give one case number to several items of a meeting (Greve's Sundheds- og
    # Omsorgsudvalget, 05-02-2024, punkt 4-7): the recommendation is the one on this matter.
    own = _matter_terms(record.title)
    earlier = [s for s in earlier if _title_overlap(own, _matter_terms(s.title)) >= 0.5] or earlier
    for step in reversed(earlier):
        previous = catalog.item(step.item_id)
        if previous and previous.item.decisions:
            return previous, own_decision(previous)
    return None


def recommendation_chain(
    catalog: Catalog,
    record: ItemRecord,
    decision: Decision,
    trail: Sequence[TrailStep],
    hops: int = 3,
) -> list[tuple[ItemRecord, Decision]]:
    """The decisions a decision approves, one body back at a time: Byrådet "godkendte
    Økonomiudvalgets indstilling", which "anbefaler, at Klima-, Teknik- og Miljøudvalgets
    indstilling godkendes", which says what was decided. At most ``hops`` steps."""
    chain: list[tuple[ItemRecord, Decision]] = []
    current, said = record, decision
    for _ in range(hops):
        followed = _recommendation_followed(catalog, current, said, trail)
        if followed is None:
            break
        current, said = followed
        chain.append(followed)
    return chain


def recommendation_section(item: AgendaItem) -> Section | None:
    """The item's Indstilling: what the administration (or a committee) put to the meeting."""
    return next((s for s in item.sections if fold(s.name).startswith("indstilling")), None)


def final_step(catalog: Catalog, record: ItemRecord, trail: Sequence[TrailStep]) -> ItemRecord:
    """The latest item of the same matter that decided something: a case that went from a
    committee to Økonomiudvalget and Byrådet was decided by the last of them, and an earlier
    "sendt tilbage" is not the outcome. A status taken to note (or only discussed) decided
    nothing, so a question that matched a later status is answered by the decision before it.
    The same case number with a title about something else (a yearly series under one number)
    does not count."""
    own = _matter_terms(record.title)
    for step in reversed(trail):
        if step.closed or step.outcome in (None, "taget til efterretning", "drøftet"):
            continue
        if step.item_id == record.item_id:
            return record
        if step.meeting_date == record.meeting_date:
            continue  # another item of the same meeting is another matter
        if _title_overlap(own, _matter_terms(step.title)) >= 0.5:
            found = catalog.item(step.item_id)
            if found is not None and found.item.decisions:
                return found
    return record


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.strip().splitlines())


def evidence_ok(
    hit: ItemHit, intent: QueryIntent, config: AnswerConfig, *, standing_heading: bool = False
) -> bool:
    if standing_heading:
        # A heading every meeting has ("Godkendelse af dagsorden", "Meddelelser") is near in
        # meaning to any question about agendas, items and meetings: only its words count.
        return hit.coverage >= config.min_coverage and (
            hit.topic_coverage >= config.min_topic_coverage
        )
    if intent.language == "en":
        # Near in meaning, or (measured on the glossary's Danish words) covering the question
        # as a Danish one must: a cross-language vector can miss what the words find.
        return hit.best_dense >= config.min_dense_english or hit.coverage >= config.min_coverage
    # A closed item shows only its title, often no more than the place or party it concerns
    # ("Lukket: Salg af ejendommen Kirkevej 22"), so its names count as its topic.
    if (
        hit.topic_coverage < config.min_topic_coverage
        and hit.best_dense < config.close_dense
        and not hit.record.item.closed
    ):
        return False  # a close vector may be a paraphrase ("langsommere" for "hastighed")
    # A close vector needs some of the question's own words, not only a verb that says what
    # happens ("Skal der stilles vindmøller op?" and a guarantee "stillet" for district heating).
    return hit.coverage >= config.min_coverage or (
        hit.coverage_without_verbs >= config.min_coverage_when_close
        and hit.best_dense >= config.close_dense
    )


def compose(
    question: str,
    retrieval: Retrieval,
    catalog: Catalog,
    config: AnswerConfig | None = None,
    idf: Callable[[str], float | None] | None = None,
    unseen: float = 0.0,
    reader: Reader | None = None,
    reading: ReadingConfig | None = None,
) -> Answer:
    """The answer to ``question`` from what retrieval found. ``idf`` (the lexical index's)
    lets rare words of the question count more when choosing the sentences to quote. With a
    ``reader``, hits carry its scores (``rag.reading.read``): they decide whether anything
    answers."""
    reading = reading or ReadingConfig()
    quoting = Quoting(idf, unseen)
    answer = _compose(
        question, retrieval, catalog, config or AnswerConfig(), quoting, reading if reader else None
    )
    ranked = tuple((h.record.meeting_date, h.record.number, h.record.body) for h in retrieval.hits)
    return replace(answer, retrieved=ranked)


def _fact_sources(question: str, strong: Sequence[ItemHit], quoting: Quoting) -> ItemHit:
    """The item whose best sentences answer a fact question best. The answer is often in a
    later or earlier meeting's item of the same case (a status, the result of a tender), not in
    the one that matched the question's words best, so the strong items compete on their best
    sentences, the best-ranked item winning a near tie."""
    idf, unseen = quoting.idf, quoting.unseen
    best: tuple[float, int] | None = None
    weights = _term_weights(question, "", idf, unseen)
    for rank, hit in enumerate(strong):
        if hit.record.item.closed:
            continue
        item = hit.record.item
        texts = [d.text for d in item.decisions] + [s.text for s in item.sections]
        preferred = [p.chunk.text for p in hit.passages if p.chunk.section != TITLE_SECTION]
        scored = scored_sentences(
            question, texts, preferred, item.title, idf, unseen, credit_topic=True
        )
        if not scored:
            continue
        # An item titled with the question's words is about them: it wins a tie with an item
        # that only mentions them.
        title_terms = set(terms(item.title))
        titled = sum(w * match_weight(t, title_terms) for t, w in weights.items())
        value = scored[0][0] * (1.0 - 0.1 * rank) + 0.3 * titled
        if best is None or value > best[0]:
            best = (value, rank)
    return strong[best[1]] if best is not None else strong[0]


def _compose(
    question: str,
    retrieval: Retrieval,
    catalog: Catalog,
    config: AnswerConfig,
    quoting: Quoting,
    reading: ReadingConfig | None = None,
) -> Answer:
    intent = retrieval.intent
    hits = list(retrieval.hits)

    # Only a case-number question may be answered by the case alone; otherwise demand evidence.
    # Evidence must come from the items retrieval ranked highest; a weak match far down the
    # list is more likely a coincidence than an answer.
    def evident(hit: ItemHit) -> bool:
        if reading is not None and not answers(hit, reading):
            return False  # the reader read it and found no answer, whatever words it shares
        return evidence_ok(hit, intent, config, standing_heading=_standing(catalog, hit.record))

    strong = [
        h
        for h in hits[: config.evidence_depth]
        if evident(h) or retrieval.search_filter.case_number
    ]
    unseen_names = () if retrieval.search_filter.case_number else retrieval.unseen_names
    if not strong or unseen_names:
        suggestions = tuple(
            _citation(h.record, None if h.record.item.closed else h.passages[0].chunk.text, None)
            for h in hits[:3]
        )
        text = "Referaterne ser ikke ud til at svare på det spørgsmål."
        if unseen_names:
            # Not echoed: a name asked about may be one only a closed item's text holds.
            text = (
                "Referaterne ser ikke ud til at svare på det spørgsmål: et navn i spørgsmålet "
                "står ikke i nogen af de offentlige referater."
            )
        if suggestions:
            text += " De nærmeste punkter er:\n" + "\n".join(f"- {s.label}" for s in suggestions)
        return Answer(question, text, False, suggestions=suggestions, kind=intent.kind)

    if retrieval.search_filter.case_number:
        # A question about a case is answered by where the case stands now: its latest item.
        strong.sort(key=lambda h: h.record.meeting_date, reverse=True)
    elif intent.kind == "decision":
        # Matters are decided under their own title, not under a standing heading
        # ("Huskeliste og orientering fra administrationen") that mentions them in passing.
        # A year the question names but does not search by names the matter ("budgettet for
        # 2025" is "Budget 2025-28", decided in 2024), so a title with it comes first.
        years = frozenset() if retrieval.search_filter.date_from else years_named(question)
        strong.sort(
            key=lambda h: (
                _is_standing_heading(catalog, h.record),
                not years & years_named(h.record.title),
            )
        )
    top = strong[0]
    if top.record.item.closed:
        citation = _citation(top.record, None, None)
        text = (
            f"Sagen blev behandlet som et lukket punkt: {citation.label}. "
            "Indholdet af lukkede punkter er ikke offentligt, så referat kan ikke citere det."
        )
        closed_trail = trail_for(catalog, top.record)
        return Answer(question, text, True, (citation,), closed_trail, kind=intent.kind)

    parts: list[str] = []
    citations: list[Citation] = []
    wants_decision = intent.kind in ("decision", "case")
    # An English question's words are matched in the minutes by their Danish glossary words.
    asked = translate_terms(question) if intent.language == "en" else question
    if not (wants_decision and top.record.item.decisions):
        # A reader has ranked the items on what they say: its first is the source.
        chosen = strong[0] if reading is not None else _fact_sources(asked, strong, quoting)
        strong.remove(chosen)
        strong.insert(0, chosen)
        top = chosen
    trail = trail_for(catalog, top.record)
    record = top.record
    if (
        wants_decision
        and record.item.decisions
        and not _names_a_time_or_body(retrieval)
        and not _STAGE.search(fold(question))
    ):
        record = final_step(catalog, record, trail)
    item = record.item
    if wants_decision and item.decisions:
        _quote_decisions(catalog, record, trail, citations, parts)
        _add_context(asked, record, citations, parts, quoting)
    else:
        # The whole item, not only the passages retrieval ranked: the sentence that holds the
        # answer is often beside the one that matched the question best.
        preferred = [p.chunk.text for p in top.passages if p.chunk.section != TITLE_SECTION]
        # Not from the decision: it is quoted after these in full.
        sentences = quoting.best(asked, item, config.fact_sentences, preferred, decisions=False)
        section = section_of(item, sentences[0]) if sentences else None
        if sentences:
            quote = " ".join(sentences)
            citations.append(_citation(top.record, quote, section))
            parts.append(
                f"Ifølge {top.record.body}s referat fra den {danish_date(top.record.meeting_date)} "
                f"(punkt {item.number}: {item.title}) [1]:\n{_quote(quote)}"
            )
        if item.decisions:
            _quote_decisions(catalog, record, trail, citations, parts)
    see_also = []
    cited = {c.item_id for c in citations} | {record.item_id}
    occasions: list[ItemRecord] = []
    asked_years = years_named(question)
    for hit in [h for h in strong if h.record.item_id not in cited][: config.citations - 1]:
        if (
            _another_occasion(catalog, record, hit.record)
            # Not another year's edition of a yearly matter when the question names its year.
            and not _another_years_edition(hit.record, asked_years)
            # Not the same case again on its way through the bodies.
            and not any(_same_case_passing(hit.record, o) for o in occasions)
        ):
            # The same recurring matter on another occasion (this year's new member of a
            # council, the first payout and then the liquidation): what it says there is part
            # of the answer, not only a pointer.
            quotes = _occasion_quotes(asked, hit, wants_decision, quoting)
            # A case's Økonomiudvalg and Byråd items repeat one text: quoted once.
            if quotes and not any(quotes[0][0] == c.quote for c in citations):
                occasions.append(hit.record)
                for n, (quote, section, said) in enumerate(quotes):
                    citations.append(_citation(hit.record, quote, section, said))
                    head = f"Samme emne, {citations[-1].label}" if n == 0 else section
                    parts.append(f"{head} [{len(citations)}]:\n{_quote(quote)}")
                continue
        passage = hit.passages[0].chunk
        citations.append(
            _citation(hit.record, None if hit.record.item.closed else passage.text, passage.section)
        )
        see_also.append(f"{citations[-1].label} [{len(citations)}]")
    if see_also:
        parts.append("Se også: " + "; ".join(see_also))
    return Answer(question, "\n\n".join(parts), True, tuple(citations), trail, kind=intent.kind)


# A case goes fagudvalg → Økonomiudvalget → Byrådet within weeks: in Greve 2022-2025 each
# step takes 12 days at the median and 42 days or less in 98 % of 1,188 steps.
CASE_PASSAGE = timedelta(days=42)


def _another_occasion(catalog: Catalog, record: ItemRecord, other: ItemRecord) -> bool:
    """Whether ``other`` is the same matter as ``record`` on another occasion: another
    meeting, not the same case passing through the bodies, neither a standing heading nor
    closed, and a title sharing two words or more and half of the shorter title's words."""
    if other.item.closed or other.meeting_date == record.meeting_date:
        return False
    if _is_standing_heading(catalog, other):
        return False
    if _same_case_passing(record, other):
        return False
    # Two words at least: "Budget 2024-2027 - 2. behandling" and "Budget 2026-2029 - proces
    # og tidsplan" share a word, not a matter.
    ours_terms, theirs_terms = _matter_terms(record.title), _matter_terms(other.title)
    return len(ours_terms & theirs_terms) >= 2 and _title_overlap(ours_terms, theirs_terms) >= 0.5


def _another_years_edition(record: ItemRecord, asked_years: frozenset[str]) -> bool:
    """Whether the item's title names years, none of them one the question names."""
    titled = years_named(record.title)
    return bool(asked_years and titled and not titled & asked_years)


def _same_case_passing(one: ItemRecord, other: ItemRecord) -> bool:
    """Whether two items are one case on its way through the bodies (fagudvalg,
    Økonomiudvalget, Byrådet): not another case number, another body, and within the weeks
    such a passage takes. The case's next round (the loan's final size in March after the
    mandate in January) is another occasion."""
    ours, theirs = one.item.case_number, other.item.case_number
    if (ours and theirs and ours != theirs) or other.body == one.body:
        return False
    apart = abs(date.fromisoformat(one.meeting_date) - date.fromisoformat(other.meeting_date))
    return apart <= CASE_PASSAGE


def _occasion_quotes(
    question: str,
    hit: ItemHit,
    wants_decision: bool,
    quoting: Quoting,
) -> list[tuple[str, str | None, Decision | None]]:
    """What another occasion of the matter says, as the top item is quoted: its decision for
    a decision question, else its best sentence and then its decision."""
    item = hit.record.item
    decision = own_decision(hit.record) if item.decisions else None
    if wants_decision and decision is not None:
        return [(decision.text, "Beslutning", decision)]
    preferred = [p.chunk.text for p in hit.passages if p.chunk.section != TITLE_SECTION]
    sentences = quoting.best(question, item, 1, preferred)
    quotes: list[tuple[str, str | None, Decision | None]] = [
        (sentence, section_of(item, sentence), None) for sentence in sentences
    ]
    if decision is not None and not any(decision.text in q for q, _, _ in quotes):
        quotes.append((decision.text, "Beslutning", decision))
    return quotes


def _add_context(
    question: str,
    record: ItemRecord,
    citations: list[Citation],
    parts: list[str],
    quoting: Quoting,
) -> None:
    """A decision often says only "Godkendt." and its Indstilling only "at §7, stk. 3 udgår":
    what the question asks ("en årlig skriftlig status") is in the case's text. When the
    quotes so far leave some of the question's words out, quote the item's sentence that
    has them."""
    said = term_set(record.title).union(*(term_set(c.quote) for c in citations if c.quote))
    missing = [t for t in content_terms(question) if match_weight(t, said) < 0.5]
    if not missing:
        return
    sentences = quoting.best(question, record.item, 1, decisions=False)
    if not sentences or any(sentences[0] in (c.quote or "") for c in citations):
        return
    sentence = sentences[0]
    # A heading line ("Plan- og Boligudvalget") is not a sentence that says anything.
    if len(sentence.split()) < 6 or not any(
        match_weight(t, term_set(sentence)) >= 0.5 for t in missing
    ):
        return
    section = section_of(record.item, sentence)
    citations.append(_citation(record, sentence, section))
    parts.append(f"{section or 'Sagen'} [{len(citations)}]:\n{_quote(sentence)}")


def chosen_option(item: AgendaItem, decision_text: str) -> tuple[str, str, str] | None:
    """When a decision picks one of the options the case put ("Udvalget anbefaler model 3"),
    the option ("Model 3"), the line that says what it is and that line's section: the
    Indstilling's ("at model 3 om udlån af robotstøvsuger godkendes") or else a heading that
    names it."""
    chosen = option_chosen(decision_text)
    if chosen is None:
        return None
    kind, name, lettered = chosen
    option = re.compile(rf"\b{re.escape(kind)}\s+{re.escape(name)}\b(?![.,]\d)", re.IGNORECASE)
    if lettered:
        # "Udvalget beslutter punkt a.": the Indstilling's point "a. at henlægge sagen".
        option = re.compile(rf"^\s*{re.escape(name)}[.)]\s+\S", re.IGNORECASE)
    proposal = recommendation_section(item)
    ordered = ([proposal] if proposal else []) + [s for s in item.sections if s is not proposal]
    for section in ordered:
        # An Indstilling's points ("at model 2 ..., eller at model 3 ...") may stand on one
        # line when the text was reflowed from a PDF.
        clauses = [c for line in section.text.splitlines() for c in _POINT_BREAK.split(line)]
        for clause in clauses:
            found = option.search(clause)
            # In the Indstilling any point naming it; elsewhere a heading that starts with it.
            if (
                found
                and (section is proposal or found.start() == 0)
                and len(clause.split()) > 2
                and "|" not in clause  # a table row names it without saying what it is
            ):
                return f"{kind.capitalize()} {name}", clause.strip(), section.name
    return None


_POINT_BREAK = re.compile(r"(?<=,)\s+(?:eller|og)\s+(?=at\s)")


def _what_was_approved(
    catalog: Catalog,
    record: ItemRecord,
    decision: Decision,
    trail: Sequence[TrailStep],
    citations: list[Citation],
    parts: list[str],
) -> None:
    """After a decision that only approves a recommendation ("Byrådet godkendte
    Økonomiudvalgets indstilling", "Godkendt."), quote what it approved: the earlier bodies'
    decisions it follows, and the Indstilling the last of them approved. A text already
    quoted in ``citations`` is not quoted again."""
    approved: tuple[ItemRecord, Decision] = (record, decision)
    for previous, earlier in recommendation_chain(catalog, record, decision, trail):
        if any(c.quote == earlier.text for c in citations):
            break
        citations.append(_citation(previous, earlier.text, "Beslutning", earlier))
        parts.append(
            f"Det godkendte forslag er {previous.body}s fra den "
            f"{danish_date(previous.meeting_date)} [{len(citations)}]:\n" + _quote(earlier.text)
        )
        approved = (previous, earlier)
    source, last = approved
    proposal = recommendation_section(source.item)
    if not approves_the_proposal(last.text):
        chosen = chosen_option(source.item, last.text)
        if chosen is not None and not any(chosen[1] in (c.quote or "") for c in citations):
            option, line, section = chosen
            citations.append(_citation(source, line, section))
            parts.append(
                f"{option} i sagen ({source.body}, {danish_date(source.meeting_date)}, "
                f"punkt {source.number}) [{len(citations)}]:\n{_quote(line)}"
            )
        return
    if proposal is None:
        return
    if any(c.quote == proposal.text for c in citations):
        return
    citations.append(_citation(source, proposal.text, proposal.name))
    changed = " med bemærkninger eller ændringer" if approved_with_changes(last.text) else ""
    parts.append(
        f"Indstillingen, som blev godkendt{changed} ({source.body}, "
        f"{danish_date(source.meeting_date)}, "
        f"punkt {source.number}) [{len(citations)}]:\n{_quote(proposal.text)}"
    )


# "før Kystdirektoratet havde udtalt sig", "hvad blev først besluttet": one stage of a matter,
# not its outcome.
_STAGE = re.compile(
    r"\b(?:før|inden|først|oprindelig\w*|i første omgang|indledningsvis|"
    r"before|first|originally|initially)\b"
)


def _names_a_time_or_body(retrieval: Retrieval) -> bool:
    """Whether the question (or the user) asked about one meeting's decision rather than the
    matter's outcome: a date, a body or "sidste møde"."""
    wanted = retrieval.search_filter
    return bool(wanted.bodies or wanted.date_from or wanted.date_to)


def own_decision(record: ItemRecord) -> Decision:
    """The decision this meeting made on the item, not an earlier one it repeats."""
    decisions = record.item.decisions
    for decision in reversed(decisions):
        if decision.date == record.meeting_date:
            return decision
    return decisions[-1]


def section_of(item: AgendaItem, sentence: str) -> str | None:
    """The section a quoted sentence of ``item`` stands in ("Beslutning" for its decisions)."""
    if any(sentence in d.text for d in item.decisions):
        return "Beslutning"
    return next((s.name for s in item.sections if sentence in s.text), None)


def answer_question(
    retriever: Retriever,
    question: str,
    search_filter: SearchFilter | None = None,
    k: int = 5,
    config: AnswerConfig | None = None,
    reader: Reader | None = None,
    reading: ReadingConfig | None = None,
) -> Answer:
    """The answer to ``question``. With a ``reader``, retrieval hands it ``reading.candidates``
    items, which it re-ranks (``rag.reading``) before the first ``k`` are answered from."""
    from rag.archive import answer_about_archive, answer_about_meeting

    intent: QueryIntent = retriever.intent(question)
    meeting_answer = answer_about_meeting(retriever, question, intent, search_filter)
    if meeting_answer is not None:
        return meeting_answer
    if intent.kind in ("count", "list"):
        archive_answer = answer_about_archive(retriever, question, intent, search_filter)
        if archive_answer is not None:
            return archive_answer
    reading = reading or ReadingConfig()
    if reader is None:
        retrieval = retriever.search(question, search_filter, k)
    else:
        found = retriever.search(question, search_filter, max(k, reading.candidates))
        retrieval = read(reader, question, found, reading, k)
    lexical = retriever.lexical
    idf, unseen = (
        (lexical.idf, lexical.max_idf()) if lexical is not None and len(lexical) else (None, 0.0)
    )
    return compose(question, retrieval, retriever.catalog, config, idf, unseen, reader, reading)
