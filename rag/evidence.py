"""How well the best item covers what the question asks about: the signal behind "not found".

Nearest vectors always exist, so dense similarity alone cannot tell "about something else" from
"about this". Coverage asks instead: of the question's content words, weighted by how rare they
are in the archive, how many does the item actually contain? A word the archive never uses
("skøjtehal") weighs as much as the rarest word there is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Set

from index.catalog import ItemRecord
from index.danish import related_terms, term_set, terms

# Words that say what kind of question it is, not what it is about.
QUESTION_WORDS = frozenset(
    terms(
        "hvad hvem hvor hvornår hvordan hvorfor hvilken hvilket hvilke hvor meget mange stor "
        "stort høj højt lang længe besluttet besluttede beslutning beslutte vedtaget vedtog "
        "godkendt godkendte afgjort aftalt sket skete gjorde gjort siger sagde fik får blev "
        "koster kostede koste pris beløb dato sag sagen sager referat referaterne referatet "
        "møde mødet dagsorden dagsordenen punkt punktet behandlede behandlet nyt nye ny "
        "kommune kommunen status ifølge skal kan må gælder endte "
        # Months name a time, which the query filter handles, not a topic.
        "januar februar marts april maj juni juli august september oktober november december "
        "år året sidste seneste første ved gør få om "
        # Auxiliaries the stopword list leaves ("Hvem er blevet udpeget?").
        "blevet haft"
    )
)


# Verbs that say what happens to a matter, not which matter: "Hvornår åbner den nye
# metrostation?" is about a metrostation, and an item that only says something opens is not
# about it. Topic coverage leaves them out, as it leaves out names. ("tage" is not here: its
# stem is also "tag", a roof.)
GENERIC_VERBS = frozenset(
    terms(
        "åbne åbner åbnes åbnet holde holder holdes holdt komme kommer kom kommet "
        "gå går gik give giver gives gav givet sætte sætter sættes satte stille stiller "
        "stilles stillet lave laver laves lavet starte starter startes startet begynde begynder "
        "begyndte slutte slutter ligge ligger stå står stod finde findes fandt"
    )
)


_WORD = re.compile(r"[^\W_]+(?:[./,\-][^\W_]+)*")


def _capitalised_words(question: str) -> list[str]:
    """Words written with a capital letter, other than the first word (capitalised as the
    sentence's start)."""
    return [
        word
        for n, match in enumerate(_WORD.finditer(question))
        if n > 0 and (word := match.group())[:1].isupper()
    ]


def proper_terms(question: str) -> set[str]:
    """Terms of the question's names: words written with a capital letter other than the
    first word ("Lyngvig", "Solgården", "SF"). A name says where or who, not what about."""
    return {t for word in _capitalised_words(question) for t in terms(word)}


def name_words(question: str) -> list[str]:
    """Words written as a name: a capital letter, then small letters, other than the first word
    ("Esbjerg", "Solgårdens"). Acronyms and product names ("SOSU", "ChatGPT") are left out:
    minutes often write those another way ("social- og sundhedsassistent", "generativ AI")."""
    return [word for word in _capitalised_words(question) if word[1:].islower()]


# "Hvilket firma ...", "hvilken entreprenør ...", "which company": the word after it names the
# kind of answer wanted, which the minutes name by the answer itself ("Grønbane ApS").
_ANSWER_KIND = re.compile(r"\b(?:hvilke[nt]?|which)\s+([^\W\d_]+)", re.IGNORECASE)


def content_terms(question: str) -> list[str]:
    kinds = {t for m in _ANSWER_KIND.finditer(question) for t in terms(m.group(1))}
    return [
        t
        for t in dict.fromkeys(terms(question))
        if t not in QUESTION_WORDS and t not in kinds and not t.isdigit() and len(t) > 1
    ]


def match_weight(term: str, item_terms: Set[str]) -> float:
    if term in item_terms:
        return 1.0
    if not item_terms.isdisjoint(related_terms(term)):
        return 0.9  # "sælge" and "salg": one act, said as a verb and as a noun
    # A weak verb's past tense keeps a t the stemmer leaves ("stemte" stem, "stemme" stem).
    if len(term) >= 4 and (
        (term.endswith("t") and term[:-1] in item_terms) or term + "t" in item_terms
    ):
        return 0.8
    # A compound in the item ends in the question's word, its head ("bane" in
    # "kunstgræsbane"); one that holds it elsewhere ("hold" in "holdning") only partly matches.
    if len(term) >= 4:
        longer = [other for other in item_terms if len(other) > len(term) and term in other]
        if any(other.endswith(term) for other in longer):
            return 1.0
        if longer:
            return 0.5
    # The question's compound contains a word of the item ("plejecenterudvidelsen"): partly.
    if any(len(other) >= 5 and other in term for other in item_terms):
        return 0.5
    return 0.0


def item_texts(record: ItemRecord) -> list[str]:
    """What an item says about itself: title, body, case number, sections and decisions."""
    item = record.item
    return [
        record.title,
        record.body,
        item.case_number or "",
        *(s.text for s in item.sections),
        *(d.text for d in item.decisions),
    ]


def coverage(
    question: str,
    item_texts: Iterable[str],
    idf: Callable[[str], float | None],
    unseen: float,
    ignore: Iterable[str] = (),
    *,
    topic_only: bool = False,
    without_verbs: bool = False,
    power: float = 2.0,
) -> float:
    """Share of the question's idf-weighted content terms found in the item (1.0 if none).

    ``ignore`` holds words already enforced by a filter (the body the question names). With
    ``topic_only`` the question's names (``proper_terms``) are left out too: what is measured
    is whether the item is about the *thing* asked about, not only the place or person."""
    ignored = {t for text in ignore for t in terms(text)}
    if topic_only:
        ignored |= proper_terms(question) | GENERIC_VERBS
    if without_verbs:
        ignored |= GENERIC_VERBS
    wanted = [t for t in content_terms(question) if t not in ignored]
    if not wanted:
        return 1.0
    item_terms = frozenset().union(*(term_set(text) for text in item_texts))
    total = found = 0.0
    for term in wanted:
        # Squared by default, so that the rare word that names the thing asked about outweighs
        # the common words around it: "tilladelse til et casino" is not covered by an item
        # about another tilladelse. Chosen on the tuning part of the eval sets (eval/README.md).
        weight = (idf(term) or unseen) ** power
        total += weight
        found += weight * match_weight(term, item_terms)
    return found / total if total else 1.0
