"""What the question says about time and cases narrows the search, and gives way when it
leaves nothing that answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.embedder import Vectors
from index.store import SearchFilter
from rag.engine import Engine
from rag.query import QueryIntent
from rag.retriever import ItemHit, Retriever
from tests.minutes_factory import FakeItem, FakeMeeting, engine_for, solgaarden_case


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return engine_for(tmp_path, solgaarden_case("HEMMELIGT-H1"))


def count_searches(monkeypatch: pytest.MonkeyPatch) -> list[SearchFilter]:
    filters: list[SearchFilter] = []
    search = Retriever._search

    def counted(
        self: Retriever,
        question: str,
        intent: QueryIntent,
        search_filter: SearchFilter,
        k: int,
        vector: Vectors | None = None,
    ) -> list[ItemHit]:
        filters.append(search_filter)
        return search(self, question, intent, search_filter, k, vector)

    monkeypatch.setattr(Retriever, "_search", counted)
    return filters


def test_a_date_that_finds_the_matter_is_kept_and_searched_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    searched = count_searches(monkeypatch)
    found = engine.retriever.search("Hvad blev der besluttet om Solgården i april 2024?")
    assert (found.search_filter.date_from, found.search_filter.date_to) == (
        "2024-04-01",
        "2024-04-30",
    )
    assert found.hits and found.hits[0].record.meeting_date == "2024-04-09"
    assert len(searched) == 1


def test_a_date_that_leaves_nothing_gives_way(engine: Engine) -> None:
    found = engine.retriever.search("Hvad blev der besluttet om Solgården i 2019?")
    assert found.search_filter == SearchFilter()
    assert any(h.record.title == "Solgården udvides" for h in found.hits)


def test_a_case_number_no_item_has_falls_back_to_the_users_filters(engine: Engine) -> None:
    found = engine.retriever.search(
        "Hvad blev der besluttet om Solgården i sag 99/999?", SearchFilter(bodies=("Byrådet",))
    )
    assert found.search_filter == SearchFilter(bodies=("Byrådet",))
    assert [h.record.body for h in found.hits] and all(
        h.record.body == "Byrådet" for h in found.hits
    )


def test_each_retriever_scores_the_others_candidates(engine: Engine) -> None:
    retriever = engine.retriever
    question = "Hvad koster udvidelsen af Solgården?"
    vector = retriever.embedder.embed_query(question)
    lexical = retriever.lexical
    assert lexical is not None
    found_by_vector = retriever.store.query(vector, 1)
    found_by_words, words_of_vector = lexical.search_and_score(
        question, 3, also=[c for c, _ in found_by_vector]
    )
    assert found_by_words == lexical.search(question, 3)
    only_words = [c for c, _ in found_by_words if c not in dict(found_by_vector)]
    assert only_words, "the test needs a chunk only BM25 found"
    dense, words = retriever._completed(vector, found_by_vector, found_by_words, words_of_vector)
    # The BM25-only chunk now has its cosine, computed from its stored vector, in the ranking.
    cosine = dict(retriever.store.similarities(vector, only_words))
    assert {c: s for c, s in dense if c in cosine} == cosine
    assert [s for _, s in dense] == sorted((s for _, s in dense), reverse=True)
    assert set(dict(words)) >= set(dict(found_by_words))


def test_bm25_scores_the_chunks_it_is_asked_about_from_the_same_pass(engine: Engine) -> None:
    lexical = engine.retriever.lexical
    assert lexical is not None
    question = "Hvad koster udvidelsen af Solgården?"
    everything = dict(lexical.search(question, 1000))
    best, others = lexical.search_and_score(question, 1, also=list(everything))
    assert best == lexical.search(question, 1)
    # Every other chunk with a score, with the score a full search gives it.
    assert dict(others) == {c: s for c, s in everything.items() if c != best[0][0]}


def _committee_change(tmp_path: Path) -> Engine:
    change = FakeItem(
        10,
        "Ændring i udvalgsbesætning",
        "22/10",
        (
            (
                "Sagsfremstilling",
                "Simon Hansen skifter fra Social- og Handicapudvalget til "
                "Teknik- og Miljøudvalget, hvor han afløser Eva Berg.",
            ),
        ),
        "Godkendt.",
    )
    meetings = {
        "byr.txt": FakeMeeting("23-05-2022", "Byrådet", (change,)),
        "shu.txt": FakeMeeting(
            "16-05-2022", "Social- og Handicapudvalget", (FakeItem(3, "Budgetopfølgning", "22/3"),)
        ),
        "tmu.txt": FakeMeeting(
            "17-05-2022", "Teknik- og Miljøudvalget", (FakeItem(4, "Vejvedligeholdelse", "22/4"),)
        ),
    }
    return engine_for(tmp_path, meetings)


def test_bodies_a_question_asks_about_give_way_when_their_items_do_not_answer(
    tmp_path: Path,
) -> None:
    found = _committee_change(tmp_path).retriever.search(
        "Hvem skiftede fra Social- og Handicapudvalget til Teknik- og Miljøudvalget?"
    )
    assert found.search_filter.bodies == ()
    assert found.hits[0].record.title == "Ændring i udvalgsbesætning"


def test_the_one_body_a_question_names_as_decider_is_kept(tmp_path: Path) -> None:
    found = _committee_change(tmp_path).retriever.search(
        "Hvad har Teknik- og Miljøudvalget besluttet om udvalgsbesætningen?"
    )
    assert found.search_filter.bodies == ("Teknik- og Miljøudvalget",)
    assert all(h.record.body == "Teknik- og Miljøudvalget" for h in found.hits)


def _yearly_report(tmp_path: Path) -> Engine:
    report = FakeItem(
        14,
        "Personalepolitisk redegørelse 2024",
        "25/14",
        (("Sagsfremstilling", "I gennemsnit var der 15,45 sygedage pr. fuldtidsansat i 2024."),),
        "Taget til efterretning.",
    )
    next_loan = FakeItem(
        15,
        "Lånoptag 2025 vedrørende regnskab 2024",
        "25/15",
        (
            (
                "Sagsfremstilling",
                "I gennemsnit 15,45 sygedage pr. fuldtidsansat i 2024 påvirker ikke lånet.",
            ),
        ),
    )
    meetings = {
        "2025.txt": FakeMeeting("24-09-2025", "Økonomiudvalget", (report, next_loan)),
        "2024.txt": FakeMeeting(
            "09-09-2024",
            "Økonomiudvalget",
            (
                FakeItem(
                    3,
                    "Budgetopfølgning",
                    "24/3",
                    (
                        (
                            "Sagsfremstilling",
                            "Antallet af sygedage pr. fuldtidsansat følges hvert kvartal.",
                        ),
                    ),
                ),
            ),
        ),
    }
    return engine_for(tmp_path, meetings)


def test_an_item_of_another_year_titled_with_the_questions_year_comes_first(
    tmp_path: Path,
) -> None:
    # The 2024 figure is reported in 2025, in an item that carries the year in its title.
    found = _yearly_report(tmp_path).retriever.search(
        "Hvor mange sygedage havde en fuldtidsansat i gennemsnit i 2024?"
    )
    assert found.search_filter.date_from == "2024-01-01"
    titles = [h.record.title for h in found.hits]
    assert titles[0] == "Personalepolitisk redegørelse 2024"
    assert "Budgetopfølgning" in titles
    # A title that also names a year the question does not is another year's matter.
    assert "Lånoptag 2025 vedrørende regnskab 2024" not in titles


def test_a_year_the_user_chose_is_not_widened(tmp_path: Path) -> None:
    found = _yearly_report(tmp_path).retriever.search(
        "Hvor mange sygedage havde en fuldtidsansat i gennemsnit i 2024?",
        SearchFilter(date_from="2024-01-01", date_to="2024-12-31"),
    )
    assert [h.record.title for h in found.hits] == ["Budgetopfølgning"]


def test_the_search_without_dates_is_made_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The year's items cover this weakly, and the other years not clearly better: the date
    # hint is kept, and the items titled with the year come from the same search without it.
    engine = _yearly_report(tmp_path)
    searched = count_searches(monkeypatch)
    found = engine.retriever.search(
        "Hvor mange sygedage og ferieuger og kursusdage og overarbejdstimer havde en "
        "fuldtidsansat i gennemsnit i 2024?"
    )
    assert found.search_filter.date_from == "2024-01-01"
    assert found.hits[0].record.title == "Personalepolitisk redegørelse 2024"
    assert searched == [
        SearchFilter(date_from="2024-01-01", date_to="2024-12-31"),
        SearchFilter(),
    ]
