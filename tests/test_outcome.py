from __future__ import annotations

import pytest

from rag.outcome import follows_recommendation, outcome_of, vote_of


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("Godkendt.", "godkendt"),
        ("Godkendt, idet pinden vedr. IT-midler udgik.", "godkendt"),
        ("Ikke godkendt.", "ikke godkendt"),
        ("Udvalget godkendte ikke forslaget.", "ikke godkendt"),
        ("Anbefales godkendt med den ændring, at 4 pladser bliver aflastning.", "anbefalet"),
        ("Sagen blev udsat til næste møde.", "udsat"),
        ("Taget til efterretning, idet direktionen godkendte notatet.", "taget til efterretning"),
        ("Oversendt til Byrådet.", "oversendt"),
        ("Drøftet.", "drøftet"),
        ("Direktionen drøftede sagen og besluttede at vente.", "drøftet"),
        ("Mødet sluttede kl. 12.", None),
    ],
)
def test_outcome_labels(text: str, outcome: str | None) -> None:
    assert outcome_of(text) == outcome


def test_vote_counts_and_parties() -> None:
    vote = vote_of("Godkendt med 23 stemmer mod 2. Imod stemte: A og Ø. (F) undlod at stemme.")
    assert vote is not None
    assert (vote.for_count, vote.against_count) == (23, 2)
    assert vote.against == "A og Ø"
    assert vote.abstained == "(F)"
    assert vote_of("Godkendt.") is None


@pytest.mark.parametrize(
    ("text", "body"),
    [
        ("Godkendt som indstillet af Økonomiudvalget.", "Økonomiudvalget"),
        ("Byrådet godkendte Økonomiudvalgets indstilling.", "Økonomiudvalget"),
        ("Indstillingen blev godkendt.", ""),
        ("Godkendt.", None),
    ],
)
def test_following_a_recommendation(text: str, body: str | None) -> None:
    assert follows_recommendation(text) == body
