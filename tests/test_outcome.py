from __future__ import annotations

import pytest

from rag.outcome import (
    approved_with_changes,
    approves_the_proposal,
    follows_recommendation,
    outcome_of,
    vote_of,
)


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


@pytest.mark.parametrize(
    ("text", "body"),
    [
        (
            "Økonomiudvalget anbefaler overfor Byrådet, at Klima-, Teknik- og Miljøudvalgets "
            "indstilling godkendes.",
            "Klima-, Teknik- og Miljøudvalget",
        ),
        (
            "Økonomiudvalget anbefaler overfor Byrådet at godkende Sundheds- og "
            "Omsorgsudvalgets indstilling",
            "Sundheds- og Omsorgsudvalget",
        ),
        ("Byrådet godkendte økonomiudvalgets indstilling.", "Økonomiudvalget"),
        # Two committees' recommendations: the first named is followed.
        (
            "Økonomiudvalget anbefaler, overfor Byrådet, at Social- og Handicapudvalgets og "
            "Skole-, Børne- og Ungeudvalgets indstillinger godkendes.",
            "Social- og Handicapudvalget",
        ),
        (
            "Økonomiudvalget anbefaler over for byrådet, at indstillingen fra Kultur- og "
            "Fritidsudvalget anbefales med bemærkning om, at der afholdes et temamøde.",
            "Kultur- og Fritidsudvalget",
        ),
        ("Økonomiudvalget anbefaler, at indstillingens punkt 1, 2 og 3 godkendes.", ""),
        ("Økonomiudvalget anbefaler, at indstillingspunkt 1-5 godkendes med bemærkning.", ""),
        ("Økonomiudvalget anbefaler overfor Byrådet, at fagudvalgenes indstilling godkendes.", ""),
        ("Orienteringen blev taget til efterretning.", None),
    ],
)
def test_a_committee_named_with_commas_is_followed(text: str, body: str | None) -> None:
    assert follows_recommendation(text) == body


@pytest.mark.parametrize(
    ("text", "approves"),
    [
        ("Godkendt.", True),
        ("Anbefales.\n\nAfbud: Claus Dyremose", True),
        ("1.-2. Godkendt.", True),
        ("1. a og b anbefales.", True),
        ("Dorthe Bøgh Madsen deltog som stedfortræder.\n\nGodkendt.", True),
        ("2. Godkendt\n\n(Ø) stemmer imod.\n\n4. godkendt med bemærkning om, at ...", True),
        ("Byrådet godkendte administrationens indstilling.", True),
        ("Økonomiudvalget anbefaler, at indstillingspunkt 1-5 godkendes.", True),
        ("Godkendt med følgende bemærkninger;\n\nUdvalget ønsker en status i 2025.", True),
        (
            "1. Taget til efterretning.\n2. Godkendt med bemærkning om, at udvalget vil se hallen.",
            True,
        ),
        # These say what they decide, or approve another body's words, not the Indstilling.
        ("1 a. Ikke godkendt", False),
        ("Orienteringen blev taget til efterretning.", False),
        ("Byrådet godkendte Økonomiudvalgets indstilling.", False),
        ("Godkendt med 24 pladser i stedet for 20.", False),
        # A party's vote for the recommendation under a rejection is not its approval.
        ("2. Ikke godkendt\n\n(Ø) stemmer for administrationens indstilling.", False),
        ("Administrationens indstilling blev ikke godkendt.", False),
    ],
)
def test_approving_the_items_own_recommendation(text: str, approves: bool) -> None:
    assert approves_the_proposal(text) is approves


@pytest.mark.parametrize(
    ("text", "changed"),
    [
        ("Godkendt med følgende bemærkninger;", True),
        ("Anbefales godkendt med den ændring, at 4 pladser bliver aflastning.", True),
        ("Godkendt med 24 pladser i stedet for 20.", False),
        ("Godkendt.", False),
    ],
)
def test_an_approval_with_remarks_or_changes(text: str, changed: bool) -> None:
    assert approved_with_changes(text) is changed
