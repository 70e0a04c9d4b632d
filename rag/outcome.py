"""What a decision text says happened, and how the vote went. Pure functions over Danish text."""

from __future__ import annotations

import re
from dataclasses import dataclass

# The outcome named first in the text wins ("Taget til efterretning, idet ... godkendt" was
# noted); on a tie the earlier pattern wins, so "ikke godkendt" beats "godkendt".
_OUTCOMES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(r"\b(" + "|".join(phrases) + r")\b", re.IGNORECASE))
    for label, phrases in (
        (
            "ikke godkendt",
            [
                r"ikke (?:godkendt|vedtaget|anbefalet|tiltrådt)",
                r"godkend\w*\s+ikke",
                "forkastet",
                "afvist",
                "faldt",
            ],
        ),
        ("udsat", ["udsat", "udsættes", "blev udsat"]),
        ("anbefalet", ["anbefale[rs]?", "anbefalet", "indstilles til godkendelse"]),
        (
            "oversendt",
            [
                "oversendt",
                "oversendes",
                "sendt videre",
                "sendes videre",
                "videresendt",
                "henvist til",
            ],
        ),
        (
            "godkendt",
            [
                r"godkend(?:t|es|te)",
                "vedtaget",
                "vedtoges",
                "tiltrådt",
                "tiltrådte",
                "bevilget",
                "besluttede",
                "blev besluttet",
                "indstillingen følges",
            ],
        ),
        (
            "taget til efterretning",
            [
                "taget til efterretning",
                "tages til efterretning",
                "til efterretning",
                "orienteringen blev taget",
            ],
        ),
        ("drøftet", ["drøftet", "drøftede", "drøftelse", "drøftes"]),
    )
)


def outcome_of(decision_text: str) -> str | None:
    """One of: godkendt, ikke godkendt, anbefalet, udsat, taget til efterretning, oversendt,
    drøftet; None when the text says none of them."""
    found = [
        (match.start(), rank, label)
        for rank, (label, pattern) in enumerate(_OUTCOMES)
        if (match := pattern.search(decision_text))
    ]
    return min(found)[2] if found else None


@dataclass(frozen=True)
class Vote:
    """The vote as the minutes state it; any part may be missing."""

    text: str
    for_count: int | None = None
    against_count: int | None = None
    against: str | None = None
    abstained: str | None = None


_COUNTS = re.compile(r"(\d+)\s+stemmer?\s+(?:for\s+)?mod\s+(\d+)", re.I)
_AGAINST = re.compile(r"\bImod\s+stemte\s*:?\s*([^.\n]+)", re.I)
_ABSTAIN = re.compile(r"([^.\n]*?)\s*undlod\s+at\s+stemme", re.I)
_FOR = re.compile(r"\bFor\s+stemte\s*:?\s*([^.\n]+)", re.I)


def vote_of(decision_text: str) -> Vote | None:
    """Counts and parties from "Godkendt med 23 stemmer mod 2", "Imod stemte: A og Ø",
    "(F) undlod at stemme". None when the decision records no vote."""
    counts = _COUNTS.search(decision_text)
    against = _AGAINST.search(decision_text)
    abstained = _ABSTAIN.search(decision_text)
    in_favour = _FOR.search(decision_text)
    if not (counts or against or abstained or in_favour):
        return None
    sentences = [
        m.group(0).strip() for m in (counts, in_favour, against, abstained) if m is not None
    ]
    return Vote(
        text=" ".join(dict.fromkeys(sentences)),
        for_count=int(counts.group(1)) if counts else None,
        against_count=int(counts.group(2)) if counts else None,
        against=against.group(1).strip() if against else None,
        abstained=abstained.group(1).strip(" ,:") if abstained else None,
    )


_FOLLOWS_RECOMMENDATION = re.compile(
    r"\b(?:som\s+indstillet|indstillingen\s+(?:blev\s+)?(?:godkendt|fulgt|tiltrådt))"
    r"(?:\s+(?:af|fra)\s+(?P<body>[\wÆØÅæøå\- ]+?udvalg(?:et)?))?",
    re.I,
)
# A committee's name is a run of capitalised words, with hyphens, commas and "og", ending in
# "udvalget" ("Klima-, Teknik- og Miljøudvalget"). Matched case-sensitively, so that "Byrådet,
# at" before it is not taken for part of the name.
_COMMITTEE = r"(?P<body>(?:[A-ZÆØÅ][\wæøå]*-?,?\s+(?:og\s+)?)*[A-ZÆØÅ][\wæøå-]*udvalget)"
# "Byrådet godkendte Økonomiudvalgets indstilling", "at godkende Klima-, Teknik- og
# Miljøudvalgets indstilling".
_APPROVES_BODY = re.compile(
    r"\b(?:[Gg]odkend\w*|[Tt]iltræd\w*|[Ff]ølge\w*)\s+" + _COMMITTEE + r"s\s+indstilling"
)
# "... at Sundheds- og Omsorgsudvalgets indstilling godkendes".
# "... at Social- og Handicapudvalgets og Skole-, Børne- og Ungeudvalgets indstillinger
# godkendes": the first body named is followed.
_BODY_RECOMMENDATION = re.compile(
    _COMMITTEE + r"s\s+indstilling(?:er)?\s+(?:godkendes|tiltrædes|følges|anbefales)"
)
# "... at indstillingen fra Kultur- og Fritidsudvalget anbefales".
_RECOMMENDATION_FROM_BODY = re.compile(
    r"\b[Ii]ndstillingen\s+fra\s+" + _COMMITTEE + r"\s+(?:godkendes|tiltrædes|følges|anbefales)"
)
# "at indstillingens punkt 1, 2 og 3 godkendes": the recommendation as it came to this meeting.
_POINTS_OF_RECOMMENDATION = re.compile(
    r"\b(?:indstillingens\s+|indstillings)(?:punkt\w*|pkt\.?|nr\.?)?[\s\d,\-–.og]*\s(?:godkendes|anbefales|tiltrædes)",
    re.I,
)


# "at fagudvalgenes indstilling godkendes": the committees' recommendations before this one.
_COMMITTEES_RECOMMENDATION = re.compile(r"\b(?:fag)?udvalgenes\s+indstilling", re.I)


def follows_recommendation(decision_text: str) -> str | None:
    """When a decision just approves an earlier recommendation, the body that made it
    ("" when the text does not name one); None when the decision stands on its own."""
    # Some minutes write the committee in lower case ("godkendte økonomiudvalgets indstilling").
    text = re.sub(
        r"\b(\w+udvalgets\s+indstilling)",
        lambda m: m.group(1)[:1].upper() + m.group(1)[1:],
        decision_text,
    )
    match = (
        _APPROVES_BODY.search(text)
        or _BODY_RECOMMENDATION.search(text)
        or _RECOMMENDATION_FROM_BODY.search(text)
        or _FOLLOWS_RECOMMENDATION.search(text)
    )
    if not match:
        earlier = _POINTS_OF_RECOMMENDATION.search(text) or _COMMITTEES_RECOMMENDATION.search(text)
        return "" if earlier else None
    body = match.group("body")
    if not body:
        return ""
    # "Social- og Handicapudvalgets og Skole-, Børne- og Ungeudvalget": the first of them.
    return re.split(r"(?<=udvalget)s\s", body)[0].strip()


# Lines that say who was there, not what was decided.
_ATTENDANCE = re.compile(
    r"^\s*(?:afbud|fraværende|fravær|mødt|til stede)\b.*$|^.*\bdeltog som stedfortræder\b.*$",
    re.I | re.M,
)
# "1.-2. ", "1-4 ", "3) ", "Ad punkt 2:": which points of the recommendation a line is about.
_POINT_NUMBERS = re.compile(
    r"^\s*(?:ad\s+)?(?:punkt\s+|pkt\.?\s*)?\d+(?:\s*[a-z]\b)?"
    r"(?:\s*[.)\-–]+\s*\d+(?:\s*[a-z]\b)?)*\s*[.):]?"
    # "1. a og b anbefales": the lettered sub-points.
    r"(?:\s*[a-z](?:\s*(?:,|og|-)\s*[a-z])*\b\.?)?\s*",
    re.I,
)
# "med følgende bemærkninger", "med den ændring": approved, with remarks or changes.
_REMARKS = r"med\s+(?:\w+\s+)?(?:bemærkning|ændring|tilføjelse)\w*"
# Words of a line that rejects, or records a vote or an abstention, rather than approves.
_REFUSING = r"ikke|imod|stemte|stemmer|undlod|afviste|afvist"
_BARE_APPROVAL = re.compile(
    r"^(?:(?:godkendt|godkendes|anbefales|anbefalet|tiltrådt|tiltrædes|vedtaget|indstilles)"
    r"(?:\s+som\s+indstillet)?"
    # "Godkendt med følgende bemærkninger;", "2. Godkendt med bemærkning om, at udvalget
    # ønsker at besøge Valhallen.": the recommendation, with remarks the decision states.
    r"(?:\s+" + _REMARKS + r"\b.*)?"
    r"|indstillingen\s+(?:blev\s+)?(?:godkendt|godkendes|tiltrådt|fulgt|anbefales))[.!:;]?$",
    re.I,
)
_NOT_AN_APPROVAL = re.compile(rf"\b(?:{_REFUSING})\b", re.I)
_ADMINISTRATION_RECOMMENDATION = re.compile(
    r"\badministrationens\s+indstilling|\bindstillingspunkt|\bindstillingens\s+punkt", re.I
)


_WITH_CHANGES = re.compile(r"\b(?:godkend|tiltræ|vedta)\w*\s+" + _REMARKS, re.I)


def approved_with_changes(decision_text: str) -> bool:
    """ "Godkendt med følgende bemærkninger": approved, with remarks or changes of its own."""
    return bool(_WITH_CHANGES.search(decision_text))


# "Udvalget anbefaler model 3", "Scenarie B godkendes": one of the options the case put;
# "Udvalget beslutter punkt a.": one of its lettered points.
_OPTION = re.compile(
    r"\b(model|scenarie|løsningsmodel|løsning|mulighed|alternativ|variant)\s+(\d{1,2}|[A-ZÆØÅ])\b",
    re.IGNORECASE,
)
_LETTERED = re.compile(r"\b(punkt)\s+([a-h])\b(?![.)]?\s*\d)", re.IGNORECASE)
# Not a party's vote or wish ("Imod stemte: A og Ø, der ønsker model C").
_DISSENT = re.compile(rf"\b(?:{_REFUSING}|ønsker|ønskede)\b", re.IGNORECASE)


def option_chosen(decision_text: str) -> tuple[str, str, bool] | None:
    """The option a decision picks, as (kind, name, lettered): ("model", "3", False) for
    "Udvalget anbefaler model 3", ("punkt", "a", True) for "Udvalget beslutter punkt a."."""
    for line in decision_text.splitlines():
        if _DISSENT.search(line):
            continue
        match = _OPTION.search(line) or _LETTERED.search(line)
        if match:
            return match.group(1), match.group(2), match.re is _LETTERED
    return None


def approves_the_proposal(decision_text: str) -> bool:
    """Whether the decision approves (points of) the item's own recommendation without saying
    what it was: "Godkendt.", "1.-2. Anbefales.", "Byrådet godkendte administrationens
    indstilling" (with or without changes). What was approved is then in the item's
    Indstilling, which an answer shows beside the decision."""
    text = _ATTENDANCE.sub("", decision_text)
    for line in text.splitlines():
        # "(Ø) stemmer for administrationens indstilling" is one party's vote, and "ikke
        # godkendt ... administrationens indstilling" a rejection: neither approves it.
        if _ADMINISTRATION_RECOMMENDATION.search(line) and not _NOT_AN_APPROVAL.search(line):
            return True
        core = _POINT_NUMBERS.sub("", line.strip()).strip()
        if core and _BARE_APPROVAL.match(core):
            return True
    return False
