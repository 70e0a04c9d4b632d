"""How well the best item covers what the question asks about: the signal behind "not found".

Nearest vectors always exist, so dense similarity alone cannot tell "about something else" from
"about this". Coverage asks instead: of the question's content words, weighted by how rare they
are in the archive, how many does the item actually contain? A word the archive never uses
("skøjtehal") weighs as much as the rarest word there is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from index.catalog import ItemRecord
from index.danish import terms

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
        "år året sidste seneste første ved gør få om"
    )
)


def content_terms(question: str) -> list[str]:
    return [
        t
        for t in dict.fromkeys(terms(question))
        if t not in QUESTION_WORDS and not t.isdigit() and len(t) > 1
    ]


def _match_weight(term: str, item_terms: set[str]) -> float:
    if term in item_terms:
        return 1.0
    # A compound in the item contains the question's word ("bane" in "kunstgræsbane").
    if len(term) >= 4 and any(term in other for other in item_terms if len(other) > len(term)):
        return 1.0
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
) -> float:
    """Share of the question's idf-weighted content terms found in the item (1.0 if none).

    ``ignore`` holds words already enforced by a filter (the body the question names)."""
    ignored = {t for text in ignore for t in terms(text)}
    wanted = [t for t in content_terms(question) if t not in ignored]
    if not wanted:
        return 1.0
    item_terms = {t for text in item_texts for t in terms(text)}
    total = found = 0.0
    for term in wanted:
        weight = idf(term) or unseen
        total += weight
        found += weight * _match_weight(term, item_terms)
    return found / total if total else 1.0
