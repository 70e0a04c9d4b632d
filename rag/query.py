"""What a question says besides its subject: dates, the body, a case number, what kind of answer.

Pure: ``parse_query(question, today, known_bodies)`` looks only at its arguments. It is
deliberately conservative about dates, because a date becomes a filter: only phrases that name
a time ("i maj 2024", "den 9. september 2019", "20-09-2016", "efter 2020", "sidste år") count,
and a bare year in a name ("Budget 2020", "strategibrevet 2018") or a date a figure is given
"pr." does not.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

from index.danish import STOPWORDS, fold, stem_word


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


Kind = Literal["decision", "count", "list", "fact", "case"]
Language = Literal["da", "en"]


@dataclass(frozen=True)
class QueryIntent:
    """What ``parse_query`` understood. Dates are ISO ``YYYY-MM-DD``, inclusive, or None.

    ``kind`` is "decision", "count", "list" or "fact"; "case" when the question is nothing but
    a case number ("sag 17/163"). ``body`` is one of the ``known_bodies`` as given.
    ``search_text`` is the question without question words, for lexical search.
    """

    question: str
    search_text: str
    language: Language = "da"
    kind: Kind = "fact"
    date_from: str | None = None
    date_to: str | None = None
    latest_meeting: bool = False
    case_number: str | None = None
    body: str | None = None
    # How many bodies the question names in full: "Hvem skiftede fra Social- og
    # Handicapudvalget til Klima-, Teknik- og Miljøudvalget?" names two, neither of them the
    # body that decided.
    bodies_named: int = 0


# -- case numbers --------------------------------------------------------------------------------

_CASE_FORMS = (
    r"\d{2}\.\d{2}\.\d{2}-[a-zæøå]\d{2}-\d+-\d{2}",  # KLE journal number 00.01.00-A00-1-17
    r"[a-zæøå]{2,6}-\d{4}-\d{3,}",  # EMN-2025-003383
    r"\d{2,4}-\d{4}-\d{3,}",  # 326-2019-6577
    r"\d{2}-\d{5,7}",  # 23-013546
    r"\d{1,2}/\d{3,6}",  # 17/163, 16/5057
)
# Not part of a longer number or word: "2017/1634-5" is not "17/163".
_CASE_RE = re.compile(r"(?<![\w/.\-])(?:" + "|".join(_CASE_FORMS) + r")(?![\w/]|[.\-]\d)")
_CASE_WORDS = _words(
    "sag sagen sags sagsnr sagsnummer sagsnummeret nr nummer j jnr journalnr journalnummer "
    "case number no ref reference"
)


# -- dates ---------------------------------------------------------------------------------------

_MONTHS: dict[str, int] = {
    "januar": 1, "january": 1, "jan": 1,
    "februar": 2, "february": 2, "feb": 2,
    "marts": 3, "march": 3, "mar": 3,
    "april": 4, "apr": 4,
    "maj": 5, "may": 5,
    "juni": 6, "june": 6, "jun": 6,
    "juli": 7, "july": 7, "jul": 7,
    "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10,
    "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
_ABBREVIATIONS = _words("jan feb mar apr jun jul aug sep sept okt oct nov dec")
_FULL_MONTH_NAMES = [m for m in _MONTHS if m not in _ABBREVIATIONS]
_MONTH = "(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b\.?"
_FULL_MONTH = "(?P<month>" + "|".join(sorted(_FULL_MONTH_NAMES, key=len, reverse=True)) + r")\b"
_YEAR4 = r"(?P<year>(?:19|20)\d{2})"
_NUMBER_WORDS = {
    "en": 1, "et": 1, "one": 1, "a": 1, "to": 2, "two": 2, "tre": 3, "three": 3, "fire": 4,
    "four": 4, "fem": 5, "five": 5, "seks": 6, "six": 6, "ti": 10, "ten": 10,
}  # fmt: skip

# Each pattern names a time; the word just before it (the marker) says how it bounds the
# meeting date. Order matters: earlier patterns win where two overlap.
_DATE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("ymd", re.compile(r"\b(?P<year>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b")),
    (  # 20-09-2016, 20.09.2016, 9/9-2019, 9/9 2019
        "dmy",
        re.compile(
            r"(?<![\d/.\-])(?P<d>\d{1,2})[./\-](?P<m>\d{1,2})(?:[./\-]|\s+)"
            r"(?P<year>\d{4})(?![\d/]|[.\-]\d)"
        ),
    ),
    (  # 9/9-19, 20-09-16; not 3.4.12, which is more often a section number
        "dmy",
        re.compile(
            r"(?<![\d/.\-])(?P<d>\d{1,2})[/\-](?P<m>\d{1,2})[/\-]"
            r"(?P<year>\d{2})(?![\d/]|[.\-]\d)"
        ),
    ),
    (
        "d_month_y",
        re.compile(
            r"\b(?P<d>\d{1,2})(?:\.|st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r",?\s+" + _YEAR4 + r"\b"
        ),
    ),
    (
        "month_d_y",
        re.compile(r"\b" + _MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+" + _YEAR4 + r"\b"),
    ),
    ("month_y", re.compile(r"\b" + _MONTH + r",?\s+" + _YEAR4 + r"\b")),
    (
        "year_range",
        re.compile(
            r"\b(?P<marker>i|in|fra|from|mellem|between|perioden|period|during|år|årene|years)"
            r"\s+(?P<year>(?:19|20)\d{2})\s*(?:-|til|to|og|and)\s*(?P<year2>(?:19|20)\d{2})\b"
            r"(?![\-/.,]\d)"
        ),
    ),
    (
        "year",
        re.compile(
            r"\b(?P<marker>i|in|år|året|during|fra og med|fra|from|siden|since|efter|after|før|"
            r"inden|before|til og med|indtil|til|until|to|through|mellem|between|og|and)"
            r"\s+(?:år(?:et)?\s+|the\s+year\s+|year\s+)?" + _YEAR4 + r"\b(?![\-/.,]\d)"
        ),
    ),
    ("month", re.compile(r"\b(?P<marker>i|in)\s+" + _FULL_MONTH + r"(?!\.?\s*\d)")),
    (
        "last_n",
        re.compile(
            r"\b(?:de\s+|the\s+)?(?:sidste|seneste|forløbne|last|past)\s+"
            r"(?P<n>\d{1,2}|en|et|to|tre|fire|fem|seks|ti|one|two|three|four|five|six|ten)\s+"
            r"(?P<unit>år|years?|måneder|måned|months?)\b"
        ),
    ),
    (
        "rel",
        re.compile(
            r"\b(?P<rel>(?:i\s+)?(?:sidste|forrige)\s+år|last\s+year|previous\s+year|"
            r"(?:i\s+)?(?:sidste|forrige)\s+måned|last\s+month|previous\s+month|"
            r"i\s+år|(?:i\s+)?indeværende\s+år|this\s+year|"
            r"(?:i\s+)?denne\s+måned|this\s+month)\b(?!\s*(?:19|20)\d{2})"
        ),
    ),
]

_MARKER_BEFORE = re.compile(
    r"(?:^|\s)(?P<marker>fra og med|til og med|as of|udgangen af|end of|ultimo|primo|"
    r"prior to|up to|efter|after|siden|since|"
    r"fra|from|før|inden|before|indtil|til|until|to|through|mellem|between|og|and|i|in|den|"
    r"on|during|pr\.?|per)\s+$"
)
_AFTER = {"efter", "after"}
_SINCE = {"siden", "since", "fra og med"}
_FROM = {"fra", "from", "mellem", "between"}
_BEFORE = {"før", "inden", "before", "prior to"}
_UNTIL = {"indtil", "until", "til og med", "through", "up to"}
_TO = {"til", "to"}  # an end only after a "fra"/"mellem"; otherwise "udsat til maj 2024"
_AND = {"og", "and"}
# "pr. 31. juli 2019", "gælden ved udgangen af april 2024": a figure's date, reported at a later
# meeting, not the meeting's.
_IGNORE = {"pr", "pr.", "per", "as of", "udgangen af", "end of", "ultimo", "primo"}


_YEAR_IN_TEXT = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


def years_named(text: str) -> frozenset[str]:
    """The four-digit years a text names ("Budget 2025-2028" names 2025 and 2028)."""
    return frozenset(_YEAR_IN_TEXT.findall(text))


def _year_of(text: str) -> int:
    y = int(text)
    if y < 100:
        y += 2000 if y < 70 else 1900
    return y


def _month_range(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _shift_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _span_of(kind: str, m: re.Match[str], today: date) -> tuple[date, date] | None:
    """The (first, last) day a date phrase names, or None when it is not a valid date."""
    g = m.groupdict()
    try:
        if kind in ("ymd", "dmy", "d_month_y", "month_d_y"):
            month = int(g["m"]) if g.get("m") else _MONTHS[g["month"]]
            day = date(_year_of(g["year"]), month, int(g["d"]))
            return day, day
        if kind == "month_y":
            return _month_range(int(g["year"]), _MONTHS[g["month"]])
        if kind == "year_range":
            first, last = sorted((int(g["year"]), int(g["year2"])))
            return date(first, 1, 1), date(last, 12, 31)
        if kind == "year":
            year = int(g["year"])
            return date(year, 1, 1), date(year, 12, 31)
        if kind == "month":
            month = _MONTHS[g["month"]]
            year = today.year if month <= today.month else today.year - 1
            return _month_range(year, month)
        if kind == "last_n":
            n = int(g["n"]) if g["n"].isdigit() else _NUMBER_WORDS[g["n"]]
            months = n * 12 if g["unit"].startswith(("år", "year")) else n
            return _shift_months(today, -months), today
        rel = re.sub(r"\s+", " ", g["rel"])
        if rel.endswith("måned") or rel.endswith("month"):
            if rel.startswith(("denne", "i denne", "this")):
                return _month_range(today.year, today.month)
            previous = _shift_months(today.replace(day=1), -1)
            return _month_range(previous.year, previous.month)
        if rel in ("i år", "this year") or "indeværende" in rel:
            return date(today.year, 1, 1), date(today.year, 12, 31)
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    except (ValueError, KeyError, OverflowError):
        return None


# "Hvem skal gøre rent fra maj 2025?", "How much will parents pay from June 2024?": with a
# verb about what is to come, "fra/from" a time says when something takes effect, which was
# decided at some earlier meeting, not which meetings to search.
_FUTURE = re.compile(r"\b(?:skal|vil|bliver|kommer til at|fremover|will|shall|going to)\b")


def _dates(text: str, today: date) -> tuple[str | None, str | None]:
    """The meeting-date range a (folded, case-numbers-blanked) question asks for."""
    mentions: list[tuple[int, int, str, str, date, date]] = []  # start, end, kind, marker, …
    taken: list[tuple[int, int]] = []
    for kind, pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            start, end = m.span()
            if any(start < e and s < end for s, e in taken):
                continue
            span = _span_of(kind, m, today)
            if span is None:
                continue
            marker = m.groupdict().get("marker")
            if marker is None:
                before = _MARKER_BEFORE.search(text, 0, start)
                marker = before.group("marker") if before else ""
                if kind in ("last_n", "rel"):
                    marker = ""
            if kind == "year_range":
                marker = ""
            taken.append((start, end))
            mentions.append((start, end, kind, marker, *span))

    first: date | None = None
    last: date | None = None
    plain: list[tuple[date, date]] = []
    opened: tuple[date, date] | None = None  # after "fra"/"mellem", waiting for "til"/"og"
    for _, _, kind, marker, lo, hi in sorted(mentions):
        if marker in _IGNORE:
            continue
        if opened is not None and (marker in _TO or marker in _AND):
            first, last, opened = opened[0], hi, None
        elif marker in _FROM:
            if opened is not None:
                plain.append(opened)
            opened = (lo, hi)
        elif marker in _AFTER:
            first = hi + timedelta(days=1)
        elif marker in _SINCE:
            first = lo
        elif marker in _BEFORE:
            last = lo - timedelta(days=1)
        elif marker in _UNTIL:
            last = hi
        elif marker in _TO or (marker in _AND and kind == "year"):
            continue  # "udsat til maj 2024", "budget 2019 og 2020": not when the meeting was
        else:
            plain.append((lo, hi))
    if opened is not None and not _FUTURE.search(text):
        plain.append(opened)  # "referat fra 20-09-2016", "sager fra 2020": that time itself
    if plain and first is None and last is None:
        first = min(lo for lo, _ in plain)
        last = max(hi for _, hi in plain)
    if first is not None and last is not None and first > last:
        first, last = last, first
    return (
        first.isoformat() if first else None,
        last.isoformat() if last else None,
    )


# -- bodies --------------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+")
# Names for the same body in different municipalities, and English names, as stems.
_STEM_SYNONYMS = {"kommunalbestyr": "byråd", "borgerrepræsentation": "byråd"}
_ENGLISH_BODIES = [
    (re.compile(r"\b(?:city|town|municipal)\s+council\b|\bthe\s+council\b"), "byrådet"),
    (re.compile(r"\b(?:finance|economic|economics|economy)\s+committee\b"), "økonomiudvalget"),
    (
        re.compile(r"\b(?:executive\s+(?:board|management)|management\s+board|directorate)\b"),
        "direktionen",
    ),
]
_BODY_SUFFIXES = (
    "udvalget", "udvalg", "rådet", "råd", "bestyrelsen", "bestyrelse", "direktionen",
    "direktion", "forum", "gruppen", "gruppe",
)  # fmt: skip


def _stems(text: str) -> list[str]:
    """Stems of the words of a folded text, stop words out, synonyms merged."""
    out: list[str] = []
    for word in _WORD.findall(text):
        if word in STOPWORDS:
            continue
        s = stem_word(word)
        out.append(_STEM_SYNONYMS.get(s, s))
    return out


def _acronym(folded: str) -> str:
    letters: list[str] = []
    for word in _WORD.findall(folded):
        if word in STOPWORDS:
            continue
        letters.append(word[0])
        for suffix in _BODY_SUFFIXES:
            if word.endswith(suffix) and len(word) > len(suffix):
                letters.append(suffix[0])
                break
    return "".join(letters) if len(letters) >= 2 else ""


@lru_cache(maxsize=16)
def _body_keys(bodies: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...], str], ...]:
    keys = []
    for body in bodies:
        folded = fold(body)
        keys.append((body, tuple(_stems(folded)), _acronym(folded)))
    return tuple(keys)


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    return n > 0 and any(tuple(haystack[i : i + n]) == tuple(needle) for i in range(len(haystack)))


def _body(question: str, folded: str, known_bodies: Sequence[str]) -> tuple[str | None, int]:
    """The body the question names (None for none), and how many it names in full."""
    keys = _body_keys(tuple(known_bodies))
    if not keys:
        return None, 0
    for pattern, danish in _ENGLISH_BODIES:
        folded = pattern.sub(danish, folded)
    stems = _stems(folded)

    named = [(body, key) for body, key, _ in keys if _contains(stems, key)]
    # One name may fit several bodies ("Byråd 2018-2021", "Byråd 2022-2025"), and a name inside
    # a longer named one ("Sundhedsudvalget" in "Social- og Sundhedsudvalget") is that one.
    keys_named = {key for _, key in named}
    distinct = [k for k in keys_named if not any(o != k and _contains(o, k) for o in keys_named)]
    if named:
        return max(named, key=lambda n: len(n[1]))[0], len(distinct)

    acronyms = {fold(w) for w in _WORD.findall(question) if len(w) >= 2 and w.isupper()}
    for body, _, acronym in keys:
        if acronym and acronym in acronyms:
            return body, 1

    # "Miljøudvalget" for "Klima-, Teknik- og Miljøudvalget": the last word, when it is
    # distinctive (long) and names one body only.
    by_last: dict[str, set[str]] = {}
    for body, key, _ in keys:
        if key and len(key[-1]) >= 8:
            by_last.setdefault(key[-1], set()).add(body)
    for s in stems:
        owners = by_last.get(s)
        if owners and len(owners) == 1:
            return next(iter(owners)), 1
    return None, 0


# -- kind, language, search text -----------------------------------------------------------------

_COUNT = re.compile(
    r"\bhvor\s+mange\s+gange\b|\bhvor\s+(?:tit|ofte)\b|\bantal(?:let)?\s+(?:af\s+)?gange\b|"
    r"\bhvor\s+mange\s+(?:møder|sager|punkter|beslutninger)\b|"
    r"\bhow\s+many\s+times\b|\bhow\s+often\b|\bnumber\s+of\s+times\b|"
    r"\bhow\s+many\s+(?:meetings|cases|items|decisions)\b"
)
_LIST = re.compile(
    r"\bhvilke\s+(?:\w+\s+)?(?:sager|punkter|dagsordenspunkter|emner|beslutninger|møder)\b|"
    r"\b(?:which|what)\s+(?:\w+\s+)?(?:cases|items|matters|topics|issues|decisions|meetings)\b|"
    # What was on an agenda, not anything that merely mentions one ("Må et medlem på orlov se
    # de lukkede punkter på dagsordenen?" asks about a rule).
    r"\bhvad\s+(?:\w+\s+){0,3}?på\s+dagsordenen\b|\bwhat\s+(?:\w+\s+){0,3}?on\s+the\s+agenda\b|"
    r"\bdagsorden(?:en)?\s+(?:for|til|fra|ved)\b|\bagenda\s+(?:for|of)\b|^\s*(?:dagsorden|agenda)|"
    r"\b(?:oversigt|liste)\s+over\b|\b(?:list|oplist|nævn)\b"
)
_DECISION = re.compile(
    r"\b(?:besluttet|besluttede|beslutte|beslutning\w*|vedtaget|vedtog|vedtage|"
    r"godkend\w*|afgjort|afgørelse\w*|valgt|valgte|"
    r"decid\w*|decision\w*|approv\w*|adopted|resolved|resolution\w*|agreed)\b|"
    # "Hvad blev resultatet af Enhedslistens forslag?", "Hvad kom der ud af initiativet?":
    # the outcome of a proposal is what was decided on it (the result of a count is not).
    r"\b(?:resultat\w*|udfald\w*)\s+af\s+(?:\w+\s+){0,3}?"
    r"(?:\w*forslag\w*|initiativ\w*|sag\w*|ansøgning\w*|henvendelse\w*|anmodning\w*)|"
    r"\bkom\s+der\s+ud\s+af\b|\bhvordan\s+endte\b|\boutcome\s+of\b|"
    # "Sagde kommunen ja tak til tilbuddet?", "Afviste udvalget ansøgningen?": an answer to a
    # request is a decision on it.
    r"\bsagde\s+(?:\w+\s+){1,3}?(?:ja|nej)\b|\b(?:ja|nej)\s+tak\s+til\b|"
    r"\b(?:afviste|afvist|accepterede|accepteret|imødekom|imødekommet)\b|"
    # "På hvilke vilkår må foreningen overtage hallen?": the terms are in the decision.
    r"\bpå\s+hvilke\s+(?:vilkår|betingelser)\b"
)
# Who acts in a municipality's yes/no question: "kommunen", "byrådet", "Greve Kommune".
_DOER = r"(?:kommunen|byrådet|udvalget|man|\w+\s+kommune)"
# "Skal kommunen selv ansætte tryghedsvagterne?", "Fik plejecentret dispensation?": a yes/no
# question about what the municipality does is answered by what it decided.
_YES_NO = re.compile(
    r"\s*(?:skal|må|får|fik|vil|blev|bliver|kommer|kan|gik|godkendte)\s+\w+|"
    # "Arbejder kommunen videre med ...?", "Sælger byrådet ...?": a verb before its subject.
    r"\s*(?!hvor\b|hvorfor\b|hvornår\b|har\b|er\b|var\b)\w+[eoa]r\s+" + _DOER + r"\b|"
    # "Har kommunen indført ...?": whether something was done (not "Har kommunen en plan?").
    r"\s*har\s+" + _DOER + r"\s+\w{3,}t\b"
)
_LATEST = re.compile(
    r"\b(?:sidste|seneste|forrige|nyeste|sidst\s+afholdte|senest\s+afholdte)\s+"
    r"(?:\w+\s+)?\w*møde\w*|"
    r"\b(?:last|latest|most\s+recent|previous|recent)\s+(?:\w+\s+)?meeting\b"
)

# Questions about a meeting itself rather than its items: where it was held, who took part.
_MEETING_PLACE = re.compile(
    r"\bhvor\s+(?:blev|var|holdt|afholdt|afholdtes|foregik|mødtes|holdes|afholdes)\b"
    r"(?=.*\bmød)|\bmødested\w*|\bwhere\s+(?:was|were|did|is)\b(?=.*\bmeet)"
)
_MEETING_PEOPLE = re.compile(
    r"\bhvem\s+(?:deltog|deltager|var\s+(?:til\s+stede|med|fraværende)|sad\s+med|"
    r"havde\s+afbud|meldte\s+afbud)\b|\bdeltagere\w*\b(?=.*\bmød)|"
    r"\bwho\s+(?:attended|was\s+present|were\s+present|took\s+part)\b"
)


def meeting_detail(question: str) -> Literal["place", "people"] | None:
    """ "place" for "Hvor holdt udvalget møde i april?", "people" for "Hvem deltog i
    direktionens møde den 14. marts?"; None for a question about what a meeting treated."""
    folded = question.lower()
    if _MEETING_PEOPLE.search(folded):
        return "people"
    if _MEETING_PLACE.search(folded):
        return "place"
    return None


_ENGLISH = _words(
    "the what which who whom when where why how did does do was were is are of about meeting "
    "meetings council committee decided decision many times last in on and for with to a an "
    "has have been be any this that year month decisions items agenda before after since until "
    "between from during discuss discussed approved"
)
_DANISH = _words(
    "hvad hvilke hvilken hvilket hvem hvornår hvor hvorfor hvordan blev er var det den de om "
    "af på til og med mødet møde møder sidste seneste gange har der ikke en et at som fra skal "
    "kan i sag sagen år måned besluttet"
)
_DANISH_FILLER = _words(
    "hvad hvilke hvilken hvilket hvem hvornår hvor hvordan hvorfor hvorledes blev bliver er "
    "var der det den de har havde om mon kan kunne du mig jeg fortæl forklar venligst gerne "
    "vil ville vide siger sagt mange gange ofte tit noget nogen nogle referaterne referatet "
    "referat referater"
)
_ENGLISH_FILLER = _words(
    "what which who whom when where why how was were is are did does do done the a an of about "
    "please tell me can could would you i there has have had been be many times often any it "
    "that this regarding concerning on to in for by with and or say says said minutes"
)
_EDGE_PUNCTUATION = "?!.,;:\"'()[]{}«»“”‘’"


# Common municipal words in English and Danish, for the lexical side of an English question:
# Danish minutes share no words with it, so BM25 and the coverage test would find nothing.
# General vocabulary of minutes and municipal services, not words of any one question.
_GLOSSARY_PAIRS = (
    "care home:plejecenter|nursing home:plejehjem|town hall:rådhus|city hall:rådhus|"
    "city council:byråd|town council:byråd|municipal council:byråd|council:byråd|"
    "finance committee:økonomiudvalg|committee:udvalg|mayor:borgmester|municipality:kommune|"
    "municipal:kommunal|school:skole|schools:skoler|pupils:elever|pupil:elev|students:elever|"
    "teacher:lærer|teachers:lærere|daycare:daginstitution|nursery:vuggestue|"
    "kindergarten:børnehave|children:børn|child:barn|lunch:frokost|meal:måltid|"
    "parents:forældre|elderly:ældre|housing:boliger|homes:boliger|home:hjem|residents:borgere|"
    "citizens:borgere|citizen:borger|wing:fløj|extension:udvidelse|expansion:udvidelse|"
    "construction:byggeri|building:bygning|roof:tag|road:vej|roads:veje|street:gade|"
    "traffic:trafik|speed:hastighed|bicycle:cykel|cycle path:cykelsti|bus:bus|parking:parkering|"
    "harbour:havn|harbor:havn|beach:strand|coast:kyst|flood:oversvømmelse|climate:klima|"
    "waste:affald|water:vand|heating:varme|energy:energi|solar:sol|library:bibliotek|"
    "sports:idræt|football:fodbold|artificial turf:kunstgræs|pitch:bane|swimming pool:svømmehal|"
    "budget:budget|cost:udgift|costs:udgifter|price:pris|grant:bevilling|appropriation:bevilling|"
    "loan:lån|tender:udbud|contract:kontrakt|supplier:leverandør|fine:bod|salary:løn|"
    "staff:personale|employees:medarbejdere|employee:medarbejder|sickness absence:sygefravær|"
    "absence:fravær|sick:syg|hearing:høring|consultation:høring|responses:høringssvar|"
    "local plan:lokalplan|plan:plan|policy:politik|strategy:strategi|report:rapport|"
    "accounts:regnskab|election:valg|vote:afstemning|voted:stemte|against:imod|"
    "winter:vinter|salt:salt|salted:saltet|days:dage|open:åbne|opens:åbner|closed:lukket|"
    "christmas:jul|security:sikring|safety:tryghed|guards:vagter|dog:hund|park:park|"
    "museum:museum|sale:salg|sold:solgt|plot:grund|plots:grunde|property:ejendom|"
    "rent:leje|tax:skat|fee:takst|fees:takster|decided:besluttet|approved:godkendt|"
    "buildings:bygninger|clean:rengøre|cleaning:rengøring|company:firma|companies:firmaer|"
    "contractor:entreprenør|unemployment:ledighed|jobs:job|holiday:ferie|summer:sommer|"
    "playground:legeplads|kitchen:køkken|canteen:kantine|police:politi|"
    "wind turbines:vindmøller|trees:træer|forest:skov|nature:natur|lake:sø|"
    "bridge:bro|path:sti|noise:støj|pollution:forurening|sewage:spildevand|"
    "disabled:handicappede|disability:handicap|refugees:flygtninge|integration:integration|"
    "pay:betale|pays:betaler|paid:betalt|month:måned|monthly:månedlig|year:år|yearly:årlig|"
    "complaint:klage|complaints:klager|written:skriftlig|application:ansøgning|"
    "applications:ansøgninger|permit:tilladelse|permission:tilladelse|proposal:forslag|"
    "meeting:møde|agenda:dagsorden|decision:beslutning|inquiry:henvendelse|"
    "inquiries:henvendelser|receive:modtage|received:modtaget|director:direktør|"
    "directors:direktion|manager:leder|association:forening|associations:foreninger|"
    "club:klub|sports hall:idrætshal|renovation:renovering|maintenance:vedligeholdelse|"
    "lighting:belysning|savings:besparelser|deficit:underskud|surplus:overskud|"
    "health:sundhed|culture:kultur|leisure:fritid|education:uddannelse|survey:undersøgelse|"
    "home care:hjemmepleje|hospital:sygehus|rules:regler|agreement:aftale|lease:leje|"
    "area:område|district:bydel|village:landsby|train:tog|station:station|"
    "youth:unge|young people:unge|families:familier|family:familie|abuse:misbrug"
)
GLOSSARY: dict[str, str] = dict(pair.split(":") for pair in _GLOSSARY_PAIRS.split("|"))
_GLOSSARY_RE = re.compile(
    r"\b(" + "|".join(re.escape(k) for k in sorted(GLOSSARY, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)


def translate_terms(text: str) -> str:
    """The Danish words of ``GLOSSARY`` for the English ones in ``text``, the rest kept."""
    return _GLOSSARY_RE.sub(lambda m: GLOSSARY[m.group(1).lower()], text)


def _language(words: Sequence[str], question: str) -> Language:
    english = sum(w in _ENGLISH for w in words)
    danish = sum(w in _DANISH for w in words) + 2 * any(c in "æøåÆØÅ" for c in question)
    return "en" if english > danish else "da"


def _search_text(question: str, language: Language) -> str:
    kept: list[str] = []
    for raw in question.split():
        word = raw.strip(_EDGE_PUNCTUATION)
        if not word:
            continue
        low = word.lower()
        if fold(low) in _DANISH_FILLER or low in _DANISH_FILLER:
            continue
        if language == "en" and low in _ENGLISH_FILLER:
            continue
        kept.append(word)
    text = " ".join(kept)
    return translate_terms(text) if language == "en" else text


# -- the whole -----------------------------------------------------------------------------------


def parse_query(question: str, today: date, known_bodies: Sequence[str]) -> QueryIntent:
    """Understand ``question``: see ``QueryIntent``. Relative dates are relative to ``today``."""
    low = re.sub(r"[\u2010-\u2015\u2212]", "-", unicodedata.normalize("NFKC", question).lower())

    case_number = None
    case_match = _CASE_RE.search(low)
    blanked = low
    if case_match is not None:
        start, end = case_match.span()
        case_number = low[start:end].upper()
        blanked = low[:start] + " " * (end - start) + low[end:]
    folded = fold(blanked)

    latest = _LATEST.search(folded) is not None
    date_from, date_to = _dates(folded, today)
    body, bodies_named = _body(question, fold(low), known_bodies)

    words = re.findall(r"[^\W\d_]+", low)
    language = _language(words, question)

    kind: Kind = "fact"
    if _COUNT.search(folded):
        kind = "count"
    elif _LIST.search(folded):
        kind = "list"
    elif _DECISION.search(folded) or _YES_NO.match(folded):
        kind = "decision"
    elif case_number is not None:
        rest = [
            w
            for w in re.findall(r"[^\W\d_]+", folded)
            if w not in _CASE_WORDS and w not in _DANISH_FILLER and w not in _ENGLISH_FILLER
        ]
        if not rest:
            kind = "case"

    return QueryIntent(
        question=question,
        search_text=_search_text(question, language) or question.strip(),
        language=language,
        kind=kind,
        date_from=date_from,
        date_to=date_to,
        latest_meeting=latest,
        case_number=case_number,
        body=body,
        bodies_named=bodies_named,
    )
