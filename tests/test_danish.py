from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from index.danish import (
    STOPWORDS,
    fold,
    split_compound,
    stem,
    stem_word,
    terms,
    tokenize,
)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Solgaarden", "Solgården"),
        ("SOLGÅRDEN", "solgården"),
        ("Oekonomiudvalget", "Økonomiudvalget"),
        ("Faellesskab", "Fællesskab"),
        ("Aalborg", "Ålborg"),
        ("Aarhus", "Århus"),
        ("baaden", "båden"),
        ("Byraadet", "Byrådet"),
        ("idé", "ide"),
        ("Ärø", "Ærø"),  # Swedish/German ä and ö are the Danish letters
        ("2019–2020", "2019-2020"),  # en dash
        ("ﬁnans", "finans"),  # NFKC ligature
    ],
)
def test_fold_makes_spellings_equal(a: str, b: str) -> None:
    assert fold(a) == fold(b)


def test_fold_canonical_form_is_the_modern_letters() -> None:
    assert fold("Solgaarden") == "solgården"
    assert fold("OEKONOMI") == "økonomi"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Byrådet godkendte", ["byrådet", "godkendte"]),
        ("460.000 kr.", ["460.000", "460", "000", "460000", "kr"]),
        ("28,7 mio.", ["28,7", "28", "7", "mio"]),
        ("sag 17/163", ["sag", "17/163", "17", "163"]),
        ("24-003117", ["24-003117", "24", "003117"]),
        ("EMN-2025-003383", ["emn-2025-003383", "emn", "2025", "003383"]),
        ("1.250.000", ["1.250.000", "1", "250", "000", "1250000"]),
        ("HR-strategien", ["hr-strategien", "hr", "strategien"]),
        ("Slut. Ny sætning", ["slut", "ny", "sætning"]),  # a full stop with a space splits
        ("", []),
        ("— ? !", []),
    ],
)
def test_tokenize(text: str, expected: list[str]) -> None:
    assert tokenize(text) == expected


@pytest.mark.parametrize(
    ("forms", "same"),
    [
        (["Solgården", "Solgårdens", "Solgaarden", "Solgaardens"], True),
        (["plejecenter", "plejecentret", "plejecentre", "plejecentrets"], True),
        (["kunstgræsbane", "kunstgræsbanen", "kunstgræsbaner"], True),
        (["byråd", "byrådet", "byrådets", "Byraadet"], True),
        (["regel", "reglen", "regler", "reglerne"], True),
        (["udvalg", "udvalget", "udvalgets"], True),
        (["teater", "teatret"], True),
        (["skole", "bane"], False),
    ],
)
def test_stemming_unifies_inflections(forms: list[str], same: bool) -> None:
    stems = {stem_word(fold(f)) for f in forms}
    assert (len(stems) == 1) is same, stems


def test_stem_leaves_numbers_and_joined_tokens_alone() -> None:
    assert stem(["17/163", "460.000", "2019", "hr-strategien"]) == [
        "17/163",
        "460.000",
        "2019",
        "hr-strategien",
    ]


def test_stopwords_are_the_snowball_list_folded() -> None:
    assert {"og", "i", "at", "også", "sådan", "hvad"} <= STOPWORDS
    assert len(STOPWORDS) == 94
    assert terms("og i at det Solgården") == ["solgård"]


def test_terms_drop_lone_letters_but_keep_digits() -> None:
    assert terms("punkt 3 a") == [stem_word("punkt"), "3"]


# -- decompounding ------------------------------------------------------------------------------

VOCABULARY = {
    "bane",
    "banen",
    "kunstgræs",
    "græs",
    "pleje",
    "center",
    "solgården",
    "erne",
    "udvalg",
}


def _known(word: str) -> bool:
    return stem_word(word) in {stem_word(v) for v in VOCABULARY}


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("kunstgræsbanen", ["banen", "kunstgræs"]),
        ("kunstgræsbane", ["bane", "kunstgræs"]),
        ("plejecentret", ["centret", "pleje"]),
        ("solgårdscentret", ["centret", "solgårds"]),  # linking s: "solgårds" stems to "solgård"
        ("fodboldbane", ["bane"]),
        ("banen", []),  # too short to be a compound
        ("kunstgræs", ["græs"]),
        ("direktionen", []),  # nothing known inside
        ("græsbanerne", ["banerne"]),  # a head needs five letters: "græs" is too short
        ("skolerne", []),  # "erne" is an ending, not a word, even if known
        ("økonomiudvalget", ["udvalget"]),
    ],
)
def test_split_compound_finds_known_tails_and_heads(word: str, parts: list[str]) -> None:
    assert split_compound(word, _known) == parts


def test_split_compound_ignores_inflection_endings() -> None:
    # "kunstgræsbane" is known, but in "kunstgræsbanerne" it is the word itself, not a part.
    vocabulary = {"kunstgræsbane"}
    assert split_compound("kunstgræsbanerne", lambda w: w in vocabulary) == []


def test_split_compound_follows_the_tail_chain() -> None:
    vocabulary = {"græsbanen", "banen"}
    assert split_compound("kunstgræsbanen", lambda w: w in vocabulary) == ["græsbanen", "banen"]


# -- robustness ---------------------------------------------------------------------------------


@given(st.text())
def test_tokenize_and_fold_never_raise(text: str) -> None:
    tokens = tokenize(text)
    assert all(tokens)
    assert isinstance(fold(text), str)
    stem(tokens)
    terms(text)


@given(st.text(alphabet="aeoåæøAEOÅÆØbdgkrstnäöéü -./,0123456789"))
def test_fold_is_idempotent_on_danish_text(text: str) -> None:
    assert fold(fold(text)) == fold(text)
