"""Decision answers say what was approved: the matter's final step, the recommendations it
follows, and the Indstilling that a bare "Godkendt." approved."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from index.catalog import Catalog
from index.hash_embedder import HashEmbedder
from index.open import LexicalRebuilder
from index.pipeline import Indexer
from index.store import MemoryVectorStore, SearchFilter
from rag.answer import RECURRING_TITLE, same_matter, trail_for
from rag.engine import Engine
from rag.retriever import Retrieval
from tests.minutes_factory import FakeItem, FakeMeeting, engine_for, write_meetings

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
        "dir.txt": FakeMeeting(
            "01-02-2024",
            "Direktionen",
            (
                FakeItem(
                    2,
                    "Forslag om hundeskov ved Langagergård",
                    "24/1",
                    decision="Godkendt, at sagen forelægges Teknik- og Miljøudvalget.",
                ),
            ),
        ),
        "status.txt": FakeMeeting(
            "04-09-2024",
            "Teknik- og Miljøudvalget",
            (
                FakeItem(
                    3,
                    "Status på hundeskov ved Langagergård",
                    "24/7",
                    decision="Orienteringen blev taget til efterretning.",
                ),
            ),
        ),
        "other.txt": FakeMeeting(
            "20-03-2024",
            "Byrådet",
            (FakeItem(10, "Cykelsti på Kirkevej", "24/8", decision="Udsat."),),
        ),
    }
    return engine_for(tmp_path, meetings)


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


def test_the_trail_joins_the_same_matter_under_another_case_number(engine: Engine) -> None:
    direktion = next(
        r for r in engine.catalog.items_where(bodies=("Direktionen",)) if r.number == 2
    )
    steps = [(s.meeting_date, s.body) for s in engine.trail(direktion.item_id)]
    assert steps == [
        ("2024-02-01", "Direktionen"),
        ("2024-03-05", "Teknik- og Miljøudvalget"),
        ("2024-03-13", "Økonomiudvalget"),
        ("2024-03-20", "Byrådet"),
        ("2024-09-04", "Teknik- og Miljøudvalget"),
    ]


def test_a_later_status_taken_to_note_is_not_the_outcome(engine: Engine) -> None:
    answer = engine.ask("Hvad blev der besluttet om hundeskoven ved Langagergård?")
    assert (answer.citations[0].body, answer.citations[0].meeting_date) == (
        "Byrådet",
        "2024-03-20",
    )


def test_a_question_about_a_stage_is_not_moved_to_the_outcome(engine: Engine) -> None:
    answer = engine.ask("Hvad blev først besluttet om hundeskoven ved Langagergård?")
    first = answer.citations[0]
    assert (first.meeting_date, first.item, first.body) == answer.retrieved[0]


def test_a_standing_agenda_heading_is_not_a_matter(tmp_path: Path) -> None:
    title = "Orientering fra borgmesteren om aktuelle sager"
    meetings = {
        f"m{n}.txt": FakeMeeting(
            f"{n + 1:02d}-05-2024", "Byrådet", (FakeItem(5, title, f"24/{n}"),)
        )
        for n in range(RECURRING_TITLE + 1)
    }
    db = tmp_path / "db"
    catalog = Catalog.open(db)
    Indexer(db, catalog, MemoryVectorStore(), HashEmbedder(), LexicalRebuilder(db)).run(
        write_meetings(tmp_path / "minutes", meetings)
    )
    first = catalog.items_where(date_to="2024-05-01")[0]
    assert same_matter(catalog, first) == []
    assert trail_for(catalog, first) == ()


def test_a_title_is_counted_through_an_index(tmp_path: Path) -> None:
    # Every answer asks whether its items' titles are standing headings; without an index
    # each ask scans every item of the archive.
    Catalog.open(tmp_path / "db").close()
    with sqlite3.connect(tmp_path / "db" / "catalog.sqlite") as connection:
        plan = connection.execute(
            "EXPLAIN QUERY PLAN SELECT 1 FROM items WHERE title=?", ("Meddelelser",)
        ).fetchall()
    assert any("items_title" in row[-1] for row in plan), plan


def test_a_recommendation_from_months_before_is_not_what_was_approved(tmp_path: Path) -> None:
    # The committee recommended the anlægsbevilling in March; Økonomiudvalget's "indstilling
    # godkendes" in November is about a later step the committee's March decision never saw.
    meetings = {
        "tmu.txt": FakeMeeting(
            "05-03-2024", "Teknik- og Miljøudvalget", (hundeskov(4, COMMITTEE_DECISION),)
        ),
        "oeu.txt": FakeMeeting("13-11-2024", "Økonomiudvalget", (hundeskov(7, FINANCE_DECISION),)),
    }
    answer = engine_for(tmp_path, meetings).ask(
        "Hvad blev der besluttet om hundeskoven ved Langagergård?"
    )
    assert answer.found, answer.answer
    assert answer.citations[0].quote == FINANCE_DECISION
    assert "Det godkendte forslag" not in answer.answer
    assert RECOMMENDATION not in answer.answer


def test_a_decision_is_answered_from_the_matter_not_a_standing_heading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    news = "Meddelelser"
    decided = "Orienteringen blev taget til efterretning."
    meetings = {
        f"m{n}.txt": FakeMeeting(
            f"{n + 1:02d}-0{1 + n % 9}-2024",
            "Teknik- og Miljøudvalget",
            (FakeItem(1, news, f"24/{50 + n}", decision=decided),),
        )
        for n in range(1, RECURRING_TITLE + 1)
    }
    meetings["m0.txt"] = FakeMeeting(
        "01-01-2024",
        "Teknik- og Miljøudvalget",
        (
            FakeItem(
                1,
                news,
                "24/50",
                (("Meddelelser", "Hundeskoven ved Langagergård: hundeskoven indhegnes."),),
                f"Hundeskoven ved Langagergård. {decided}",
            ),
            hundeskov(2, "Godkendt, at hundeskoven ved Langagergård indhegnes."),
        ),
    )
    engine = engine_for(tmp_path, meetings)
    search = engine.retriever.search

    def heading_first(*args: Any, **kwargs: Any) -> Retrieval:
        # As with real vectors, where a heading's text about the matter can match best.
        found = search(*args, **kwargs)
        mentions = [
            h
            for h in found.hits
            if h.record.title == news and "Hundeskov" in h.record.item.decisions[0].text
        ]
        hits = [*mentions, *(h for h in found.hits if h not in mentions)]
        return replace(found, hits=tuple(hits))

    monkeypatch.setattr(engine.retriever, "search", heading_first)
    question = "Hvad blev der besluttet om hundeskoven ved Langagergård?"
    assert engine.retriever.search(question).hits[0].record.title == news
    answer = engine.ask(question)
    assert answer.found, answer.answer
    assert answer.citations[0].title == "Hundeskov ved Langagergård"


def test_a_year_the_question_names_picks_the_matter_with_it_in_its_title(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def budget(number: int, years: str, decision: str) -> FakeItem:
        text = f"Budgettet for {years} vedtages. Der er budget for 2025 og overslagsår."
        return FakeItem(
            number,
            f"Budget {years} - 2. behandling",
            f"2{number}/9",
            (("Baggrund", text),),
            decision,
        )

    meetings = {
        "b24.txt": FakeMeeting(
            "02-10-2024", "Byrådet", (budget(4, "2025-28", "Budget 2025-28 vedtaget."),)
        ),
        "b25.txt": FakeMeeting(
            "01-10-2025", "Byrådet", (budget(5, "2026-29", "Budget 2026-29 vedtaget."),)
        ),
    }
    engine = engine_for(tmp_path, meetings)
    search = engine.retriever.search

    def newest_first(*args: Any, **kwargs: Any) -> Retrieval:
        found = search(*args, **kwargs)
        hits = sorted(found.hits, key=lambda h: h.record.meeting_date, reverse=True)
        return replace(found, hits=tuple(hits))

    monkeypatch.setattr(engine.retriever, "search", newest_first)
    question = "Hvad besluttede byrådet om budgettet for 2025?"
    found = engine.retriever.search(question)
    assert found.search_filter.date_from is None, "2025 names the budget, not when it was decided"
    assert found.hits[0].record.title == "Budget 2026-29 - 2. behandling"
    answer = engine.ask(question)
    assert answer.citations[0].quote == "Budget 2025-28 vedtaget."


def test_the_recommendation_followed_is_the_one_on_this_matter(tmp_path: Path) -> None:
    # Some minutes give one case number to several items of a meeting: the committee's
    # recommendation is the item on the hundeskov, not the meeting's last item under "24/7".
    unrelated = FakeItem(
        6,
        "Årsberetning fra Seniorrådet",
        "24/7",
        (
            (
                "Indstilling",
                "Administrationen indstiller, at årsberetningen tages til efterretning.",
            ),
        ),
        "Orienteringen blev taget til efterretning.",
    )
    meetings = {
        "tmu.txt": FakeMeeting(
            "05-03-2024",
            "Teknik- og Miljøudvalget",
            (hundeskov(4, COMMITTEE_DECISION), unrelated),
        ),
        "oeu.txt": FakeMeeting("13-03-2024", "Økonomiudvalget", (hundeskov(7, FINANCE_DECISION),)),
    }
    answer = engine_for(tmp_path, meetings).ask(
        "Hvad blev der besluttet om hundeskoven ved Langagergård?"
    )
    assert answer.found, answer.answer
    quotes = [c.quote for c in answer.citations]
    assert quotes[:3] == [FINANCE_DECISION, COMMITTEE_DECISION, RECOMMENDATION]
    assert "Årsberetning" not in answer.answer.split("Se også")[0]


def test_an_approval_with_remarks_shows_the_recommendation_it_amended(tmp_path: Path) -> None:
    remarks = "Godkendt med følgende bemærkninger;\n\nUdvalget ønsker hegnet malet grønt."
    meetings = {
        "tmu.txt": FakeMeeting("05-03-2024", "Teknik- og Miljøudvalget", (hundeskov(4, remarks),)),
    }
    answer = engine_for(tmp_path, meetings).ask(
        "Hvad blev der besluttet om hundeskoven ved Langagergård?"
    )
    assert [c.quote for c in answer.citations[:2]] == [remarks, RECOMMENDATION]
    assert "Indstillingen, som blev godkendt med bemærkninger eller ændringer" in answer.answer


def test_a_decision_answer_quotes_the_sentence_with_what_the_question_asks(
    engine: Engine,
) -> None:
    # The decisions and the Indstilling say nothing of the hundeejere; the Baggrund does.
    answer = engine.ask("Hvad besluttede man om hundeejernes ønske om en hundeskov?")
    assert answer.found, answer.answer
    assert answer.citations[0].section == "Beslutning"
    context = [c for c in answer.citations if c.section == "Baggrund"]
    assert [c.quote for c in context] == [
        "Hundeejere ønsker en indhegnet hundeskov ved Langagergård."
    ]
    assert answer.answer.index(COUNCIL_DECISION) < answer.answer.index("Hundeejere ønsker")


def test_no_context_sentence_when_the_decision_answers_every_word(engine: Engine) -> None:
    answer = engine.ask("Hvad blev der besluttet om hundeskoven ved Langagergård?")
    assert not [c for c in answer.citations if c.section == "Baggrund"]


def _initiatives(extra: dict[str, FakeMeeting]) -> dict[str, FakeMeeting]:
    """Byrådet's initiative proposals on many topics, each sent on to a committee: their
    titles share ¾ of their words, and only the topic word tells them apart."""
    topics = ["pantstation", "hundeskov", "bypark", "cykelsti", "vandpost", "skaterbane"]
    topics += ["legeplads", "havnebad", "bænke", "træer"]
    assert len(topics) > RECURRING_TITLE
    meetings = {
        f"byr{n}.txt": FakeMeeting(
            f"{n + 1:02d}-04-2025",
            "Byrådet",
            (
                FakeItem(
                    5,
                    f"Initiativretsforslag fra (Ø) vedr. {topic} i Fjordby",
                    f"25/{n}",
                    (("Sagsfremstilling", f"Enhedslisten foreslår {topic} i Fjordby."),),
                    "Byrådet sendte sagen til realitetsbehandling i Teknik- og Miljøudvalget.",
                ),
            ),
        )
        for n, topic in enumerate(topics)
    }
    return meetings | extra


PANT_OUTCOME = "Administrationen indstiller, at der ikke arbejdes videre med en pantstation."


def test_the_trail_joins_a_proposal_to_its_follow_up_among_many_like_it(tmp_path: Path) -> None:
    follow_up = FakeMeeting(
        "03-06-2025",
        "Teknik- og Miljøudvalget",
        (
            FakeItem(
                12,
                "Opfølgning på initiativretsforslag vedr. pantstation i Fjordby",
                "25/99",
                (("Indstilling", PANT_OUTCOME),),
                "Godkendt.",
            ),
        ),
    )
    engine = engine_for(tmp_path, _initiatives({"tmu.txt": follow_up}))
    proposal = next(
        r for r in engine.catalog.items_where(bodies=("Byrådet",)) if "pantstation" in r.title
    )
    assert [(s.meeting_date, s.body) for s in engine.trail(proposal.item_id)] == [
        ("2025-04-01", "Byrådet"),
        ("2025-06-03", "Teknik- og Miljøudvalget"),
    ]
    # "Hvad blev resultatet af ..." asks for the decision, which the follow-up made.
    answer = engine.ask("Hvad blev resultatet af Enhedslistens forslag om en pantstation?")
    assert answer.found, answer.answer
    assert (answer.citations[0].meeting_date, answer.citations[0].quote) == (
        "2025-06-03",
        "Godkendt.",
    )
    assert PANT_OUTCOME in answer.answer


def _trail_of_the_first(tmp_path: Path, first: FakeMeeting, later: FakeMeeting) -> list[str]:
    """(date, body) of the trail of ``first``'s one item, with ``later`` in the archive."""
    engine = engine_for(tmp_path, {"first.txt": first, "later.txt": later})
    item = engine.catalog.items_where(bodies=(first.body,))[0]
    return [f"{s.meeting_date} {s.body}" for s in engine.trail(item.item_id)]


def test_a_title_written_with_and_without_hyphens_is_one_matter(tmp_path: Path) -> None:
    first = FakeMeeting(
        "08-09-2025", "Byrådet", (FakeItem(9, "Flagning med Pride-flag i Pride-ugen", "25/1"),)
    )
    later = FakeMeeting(
        "05-11-2025",
        "Økonomiudvalget",
        (FakeItem(5, "Opfølgning: flagning med Prideflag i Prideugen", "25/2"),),
    )
    assert _trail_of_the_first(tmp_path, first, later) == [
        "2025-09-08 Byrådet",
        "2025-11-05 Økonomiudvalget",
    ]


def test_a_title_whose_longest_word_is_its_own_still_joins_its_matter(tmp_path: Path) -> None:
    # "Plejeboligkapacitet" is in no other title; "plejecentret" finds the matter's steps.
    first = FakeMeeting(
        "15-02-2024",
        "Direktionen",
        (FakeItem(3, "Plejeboligkapacitet - udvidelse af plejecentret Solgården", "24/1"),),
    )
    later = FakeMeeting(
        "07-05-2024",
        "Byrådet",
        (FakeItem(4, "Udvidelse af plejecentret Solgården med 24 plejeboliger", "24/2"),),
    )
    assert _trail_of_the_first(tmp_path, first, later) == [
        "2024-02-15 Direktionen",
        "2024-05-07 Byrådet",
    ]
