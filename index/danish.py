"""Danish text normalisation for matching: folding, tokenising, stemming, decompounding. Pure.

Everything here is applied identically to documents and to queries, so what matters is that
two spellings of the same word end up as the same string, not that the string is pretty:

* ``fold`` lower-cases, NFKC-normalises, strips accents and brings the old spellings aa/ae/oe
  to the modern letters å/æ/ø (the direction the Danish Snowball stemmer expects), so
  "Solgaarden" and "Solgården" both become "solgården".
* ``tokenize`` finds words and numbers; "460.000", "28,7", "17/163" and "24-003117" are kept
  whole *and* split into their parts, so either spelling in a question finds them.
* ``stem`` is Snowball Danish plus two small repairs for nouns that drop an e when inflected
  (center/centret, regel/reglen).
* ``split_compound`` finds a known word at the end or the start of a long compound
  ("kunstgræsbanen" → "banen", "kunstgræs"), so the lexical index can let "bane" find it, with
  a lower weight than a whole-word match.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import Stemmer as _StemmerModule

# Bump when anything below changes what a text is analysed into: saved indexes check it.
ANALYZER_VERSION = 1

# The Snowball Danish stop word list (snowballstem.org/algorithms/danish/stop.txt).
SNOWBALL_STOPWORDS: tuple[str, ...] = (
    "og", "i", "jeg", "det", "at", "en", "den", "til", "er", "som", "på", "de", "med", "han",
    "af", "for", "ikke", "der", "var", "mig", "sig", "men", "et", "har", "om", "vi", "min",
    "havde", "ham", "hun", "nu", "over", "da", "fra", "du", "ud", "sin", "dem", "os", "op",
    "man", "hans", "hvor", "eller", "hvad", "skal", "selv", "her", "alle", "vil", "blev",
    "kunne", "ind", "når", "være", "dog", "noget", "ville", "jo", "deres", "efter", "ned",
    "skulle", "denne", "end", "dette", "mit", "også", "under", "have", "dig", "anden", "hende",
    "mine", "alt", "meget", "sit", "sine", "vor", "mod", "disse", "hvis", "din", "nogle", "hos",
    "blive", "mange", "ad", "bliver", "hendes", "været", "thi", "jer", "sådan",
)  # fmt: skip

_VOWELS = frozenset("aeiouyæøå")


def _build_translation() -> dict[int, str]:
    """Accented Latin letters to their base letter, except the Danish ones, which are kept."""
    table: dict[int, str] = {}
    for cp in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        ch = chr(cp)
        if ch in "æøåÆØÅ":
            continue
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if base and base != ch:
            table[cp] = base.casefold()
    # Swedish/German spellings of the Danish letters, and a few letters NFD cannot split.
    table.update({ord(k): v for k, v in {"ä": "æ", "ö": "ø", "ǿ": "ø", "ł": "l", "đ": "d"}.items()})
    # All kinds of dash become a hyphen, so "2019–2020" tokenises like "2019-2020".
    for cp in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0xFE63, 0xFF0D):
        table[cp] = "-"
    return table


_TRANSLATION = _build_translation()
# str.translate with a dict looks up every character; a regex only stops at the rare ones.
_SPECIAL = re.compile(
    "[" + "".join(re.escape(chr(cp)) for cp in sorted(_TRANSLATION)) + "]"
    "|[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)


def _replace_special(match: re.Match[str]) -> str:
    return _TRANSLATION.get(ord(match.group()), "")


def fold(text: str) -> str:
    """Lower-case, NFKC, accents off, aa/ae/oe → å/æ/ø: the form both documents and queries take.

    >>> fold("Solgaarden") == fold("Solgården") == "solgården"
    True
    >>> fold("ØKONOMIUDVALGET"), fold("Oekonomiudvalget"), fold("idé")
    ('økonomiudvalget', 'økonomiudvalget', 'ide')
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    if not folded.isascii():
        folded = _SPECIAL.sub(_replace_special, folded)
    return folded.replace("aa", "å").replace("ae", "æ").replace("oe", "ø")


STOPWORDS: frozenset[str] = frozenset(fold(w) for w in SNOWBALL_STOPWORDS)

# A word or number, possibly joined to more by . / , - with no space: "17/163", "28,7".
_TOKEN = re.compile(r"[^\W_]+(?:[./,\-][^\W_]+)*")
_PART = re.compile(r"[^\W_]+")
_THOUSANDS = re.compile(r"\d{1,3}(?:[.,]\d{3})+")


def tokenize(text: str) -> list[str]:
    """Folded tokens of ``text``, in order.

    A token joined by ``. / , -`` is kept whole and followed by its parts; a number grouped in
    thousands is also given without separators, so "460.000" also matches "460000".

    >>> tokenize("Sag 17/163: 460.000 kr.")
    ['sag', '17/163', '17', '163', '460.000', '460', '000', '460000', 'kr']
    """
    tokens: list[str] = []
    for token in _TOKEN.findall(fold(text)):
        tokens.append(token)
        if token.isalnum():
            continue
        tokens.extend(_PART.findall(token))
        if _THOUSANDS.fullmatch(token):
            tokens.append(token.replace(".", "").replace(",", ""))
    return tokens


_local = threading.local()


def _stemmer() -> _StemmerModule.Stemmer:
    """The Snowball Danish stemmer, created on first use; one per thread (it is not thread-safe)."""
    stemmer: _StemmerModule.Stemmer | None = getattr(_local, "stemmer", None)
    if stemmer is None:
        import Stemmer

        stemmer = Stemmer.Stemmer("danish")
        _local.stemmer = stemmer
    return stemmer


def _repair(stem: str) -> str:
    """Undo what Snowball leaves of an e dropped in inflection: centr/cent, regel/regl."""
    if len(stem) >= 5:
        if stem[-1] == "r" and stem[-2] not in _VOWELS:
            return stem[:-1]  # centret → centr → cent, like center → cent
        if stem.endswith("el") and stem[-3] not in _VOWELS:
            return stem[:-2] + "l"  # regel → regl, like reglen → regl
    return stem


@lru_cache(maxsize=262_144)
def stem_word(token: str) -> str:
    """The stem of one folded token. Only purely alphabetic tokens are stemmed."""
    if not token.isalpha():
        return token
    return _repair(_stemmer().stemWord(token))


def stem(tokens: Iterable[str]) -> list[str]:
    """Snowball Danish stems (with the e-drop repairs) of folded tokens; numbers etc. unchanged.

    >>> stem(["solgårdens", "solgården", "plejecentret", "plejecenter", "17/163"])
    ['solgård', 'solgård', 'plejecent', 'plejecent', '17/163']
    """
    return [stem_word(t) for t in tokens]


@lru_cache(maxsize=262_144)
def term(token: str) -> str | None:
    """What one folded token is indexed as: its stem, or None for stop words and lone letters."""
    if token in STOPWORDS or (len(token) == 1 and token.isalpha()):
        return None
    return stem_word(token)


# A verb and the noun minutes write for the same act: a question asks "skal huset sælges?",
# the (often closed) item is titled "Salg af ...". Each group's words match one another.
_RELATED_WORDS = (
    "sælge salg solgt|købe køb købt|leje udleje udlejning|bygge byggeri|ansætte ansættelse|"
    "lukke lukning|åbne åbning|renovere renovering|udvide udvidelse|etablere etablering|"
    "nedlægge nedlæggelse|flytte flytning|betale betaling|bevilge bevilling|søge ansøgning|"
    "forlænge forlængelse|opføre opførelse|nedrive nedrivning|overtage overtagelse|"
    "udbyde udbud|anlægge anlæg|afskedige afskedigelse|indføre indførelse|ændre ændring|"
    "forbyde forbud|tillade tilladelse|nedsætte nedsættelse|spare besparelse"
)


@lru_cache(maxsize=1)
def _related_groups() -> dict[str, frozenset[str]]:
    groups: dict[str, frozenset[str]] = {}
    for group in _RELATED_WORDS.split("|"):
        stems = frozenset(stem_word(fold(word)) for word in group.split())
        for one in stems:
            groups[one] = stems - {one}
    return groups


def related_terms(stem: str) -> frozenset[str]:
    """Stems of the words that name the same act as ``stem`` ("salg", "solgt" for "sælg")."""
    return _related_groups().get(stem, frozenset())


@lru_cache(maxsize=16_384)
def term_set(text: str) -> frozenset[str]:
    """``terms(text)`` as a set, remembered: answering looks at the same item texts and
    sentences again and again (a case's items repeat one another's text)."""
    return frozenset(terms(text))


def terms(text: str) -> list[str]:
    """The index terms of a text: tokens, stop words out, stemmed. No decompounding."""
    out: list[str] = []
    for token in tokenize(text):
        t = term(token)
        if t is not None:
            out.append(t)
    return out


def split_compound(
    word: str,
    known: Callable[[str], bool],
    *,
    min_part: int = 3,
    min_head: int = 5,
    min_length: int = 8,
) -> list[str]:
    """Known words at the end and at the start of a long compound, longest first.

    ``word`` is a folded token; ``known`` says whether a (folded, unstemmed) string is a word
    of the vocabulary. Found: the longest known tail, then the longest known tail of that tail
    while it is still long enough to be a compound, then the longest known head (a head is
    shorter and commoner, so it must have ``min_head`` letters). The rest of the word must keep
    at least ``min_part`` letters of the word's stem, so an inflection ending ("skol|erne") is
    never a part, and neither is anything that stems like the word itself.

    >>> vocab = {"bane", "banen", "kunstgræs", "græs"}
    >>> split_compound("kunstgræsbanen", vocab.__contains__)
    ['banen', 'kunstgræs']
    """
    if len(word) < min_length or not word.isalpha():
        return []
    own = stem_word(word)
    limit = len(own) - min_part  # a cut must leave min_part letters of the stem on both sides

    def is_part(candidate: str) -> bool:
        return known(candidate) and stem_word(candidate) != own

    parts: list[str] = []
    offset = 0  # where the rest of the word that may still be a compound starts
    while len(word) - offset >= min_length:
        cut = next(
            (i for i in range(offset + min_part, limit + 1) if is_part(word[i:])),
            None,
        )
        if cut is None:
            break
        parts.append(word[cut:])
        offset = cut

    for j in range(limit, min_head - 1, -1):
        head = word[:j]
        if is_part(head):
            parts.append(head)
            break

    seen = {own}
    unique: list[str] = []
    for part in parts:
        s = stem_word(part)
        if s not in seen:
            seen.add(s)
            unique.append(part)
    return unique
