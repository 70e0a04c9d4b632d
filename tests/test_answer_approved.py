"""Decision answers say what was approved: the matter's final step, the recommendations it
follows, and the Indstilling that a bare "Godkendt." approved."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.catalog import Catalog
from index.hash_embedder import HashEmbedder
from index.lexical import LexicalIndex
from index.open import LexicalRebuilder, lexical_dir
from index.pipeline import Indexer
from index.store import MemoryVectorStore, SearchFilter
from rag.engine import Engine
from tests.minutes_factory import FakeItem, FakeMeeting, write_meetings

RECOMMENDATION = (
    "Administrationen indstiller, at hundeskoven ved Langagergård indhegnes for 150.000 kr."
)
COMMITTEE_DECISION = "Godkendt.\n\nAfbud: Anna Hansen"
FINANCE_DECISION = "Økonomiudvalget anbefaler, at Teknik- og Miljøudvalgets indstilling godkendes."
COUNCIL_DECISION = "Byrådet godkendte Økonomiudvalgets indstilling."


def hundeskov(number: int, decision: str) -> FakeItem:
    return FakeItem(
        number,
        "Hundeskov ved Langagergård",
        "24/7",
        (
            ("Baggrund", "Hundeejere ønsker en indhegnet hundeskov ved Langagergård."),
            ("Indstilling", RECOMMENDATION),
        ),
        decision,
    )


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    meetings = {
        "tmu.txt": FakeMeeting(
            "05-03-2024", "Teknik- og Miljøudvalget", (hundeskov(4, COMMITTEE_DECISION),)
        ),
        "oeu.txt": FakeMeeting("13-03-2024", "Økonomiudvalget", (hundeskov(7, FINANCE_DECISION),)),
        "byr.txt": FakeMeeting("20-03-2024", "Byrådet", (hundeskov(9, COUNCIL_DECISION),)),
        "other.txt": FakeMeeting(
            "20-03-2024",
            "Byrådet",
            (FakeItem(10, "Cykelsti på Kirkevej", "24/8", decision="Udsat."),),
        ),
    }
    db = tmp_path / "db"
    catalog = Catalog.open(db)
    store, embedder = MemoryVectorStore(), HashEmbedder()
    paths = write_meetings(tmp_path / "minutes", meetings)
    Indexer(db, catalog, store, embedder, LexicalRebuilder(db)).run(paths)
    lexical = LexicalIndex.load(lexical_dir(db))
    return Engine(catalog, store, embedder, lexical)


def test_a_decision_answer_follows_the_case_to_what_was_approved(engine: Engine) -> None:
    answer = engine.ask("Hvad blev der besluttet om hundeskoven ved Langagergård?")
    assert answer.found, answer.answer
    # The final step first: Byrådet decided the matter, whichever meeting matched best.
    first = answer.citations[0]
    assert (first.body, first.meeting_date, first.quote) == (
        "Byrådet",
        "2024-03-20",
        COUNCIL_DECISION,
    )
    quotes = [c.quote for c in answer.citations]
    # Then the recommendations it followed, body by body, and what the last one approved.
    assert quotes[1:4] == [FINANCE_DECISION, COMMITTEE_DECISION, RECOMMENDATION]
    assert [c.section for c in answer.citations[:4]] == [
        "Beslutning",
        "Beslutning",
        "Beslutning",
        "Indstilling",
    ]
    assert answer.citations[3].body == "Teknik- og Miljøudvalget"
    assert "150.000 kr." in answer.answer
    assert answer.answer.index(COUNCIL_DECISION) < answer.answer.index("150.000 kr.")


def test_asking_about_one_meeting_answers_with_that_meetings_decision(engine: Engine) -> None:
    answer = engine.ask(
        "Hvad besluttede udvalget om hundeskoven?",
        SearchFilter(bodies=("Teknik- og Miljøudvalget",)),
    )
    assert answer.found, answer.answer
    assert answer.citations[0].body == "Teknik- og Miljøudvalget"
    assert answer.citations[0].quote == COMMITTEE_DECISION
    # "Godkendt." is shown with the Indstilling it approved, once.
    assert [c.quote for c in answer.citations].count(RECOMMENDATION) == 1
