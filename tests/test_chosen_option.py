"""A decision that picks one of a case's options ("Udvalget anbefaler model 3") is shown with
the line that says what the option is."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.models import AgendaItem, Section
from rag.answer import chosen_option
from tests.minutes_factory import FakeItem, FakeMeeting, engine_for

PROPOSAL = (
    "Administrationen indstiller,\n"
    "at model 1, hvor borgerne selv køber en robotstøvsuger, godkendes, eller\n"
    "at model 2 om økonomisk støtte til indkøb godkendes, eller\n"
    "at model 3 om udlån af robotstøvsuger godkendes."
)
LETTERED = (
    "Administrationen indstiller,\n1. at orienteringen tages til efterretning.\n"
    "2. at der tages stilling til indsatsen ved enten,\na. at henlægge sagen\neller\n"
    "b. at forlænge indsatsen til 2023."
)
BACKGROUND = (
    "Ældreloven giver to muligheder.\n"
    "Scenarie B: Hallen holdes åben om aftenen.\n"
    "Udgiften til scenarie B er 2,5 mio. kr."
)
ITEM = AgendaItem(
    6,
    "Robotstøvsugere i hjemmeplejen",
    sections=(Section("Baggrund", BACKGROUND), Section("Indstilling", PROPOSAL)),
)


@pytest.mark.parametrize(
    ("decision", "expected"),
    [
        (
            "Udvalget anbefaler model 3.",
            ("Model 3", "at model 3 om udlån af robotstøvsuger godkendes.", "Indstilling"),
        ),
        # Outside the Indstilling only a line that starts with the option says what it is.
        (
            "Scenarie B godkendes.",
            ("Scenarie B", "Scenarie B: Hallen holdes åben om aftenen.", "Baggrund"),
        ),
        ("Model 7 godkendes.", None),  # no such option in the case
        # A party's vote for another option is not the decision's choice.
        ("Anbefales.\nImod stemte: A og Ø, der ønsker model 3.", None),
        ("Godkendt.", None),
    ],
)
def test_the_option_a_decision_chose(decision: str, expected: tuple[str, str, str] | None) -> None:
    assert chosen_option(ITEM, decision) == expected


def test_a_decision_answer_says_what_the_chosen_model_is(tmp_path: Path) -> None:
    meetings = {
        "sou.txt": FakeMeeting(
            "02-06-2025",
            "Sundheds- og Omsorgsudvalget",
            (
                FakeItem(
                    6,
                    "Robotstøvsugere i hjemmeplejen",
                    "25/6",
                    (("Indstilling", PROPOSAL),),
                    "Udvalget anbefaler model 3.",
                ),
            ),
        ),
    }
    answer = engine_for(tmp_path, meetings).ask(
        "Hvad blev der besluttet om robotstøvsugere i hjemmeplejen?"
    )
    assert answer.found, answer.answer
    assert [c.quote for c in answer.citations[:2]] == [
        "Udvalget anbefaler model 3.",
        "at model 3 om udlån af robotstøvsuger godkendes.",
    ]
    assert "Model 3 i sagen (Sundheds- og Omsorgsudvalget, 02-06-2025, punkt 6)" in answer.answer


def test_a_lettered_point_of_the_recommendation() -> None:
    item = AgendaItem(3, "Jobafklaring", sections=(Section("Indstilling", LETTERED),))
    assert chosen_option(
        item, "Orienteringen blev taget til efterretning\nUdvalget beslutter punkt a."
    ) == (
        "Punkt a",
        "a. at henlægge sagen",
        "Indstilling",
    )
    assert chosen_option(item, "Godkendt, jf. punkt 2.") is None
