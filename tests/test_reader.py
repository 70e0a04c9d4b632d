"""The reader seam (rag.reader, rag.reading): re-ranking, refusing and choosing backends, with
fakes in place of the trained model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from index.settings import load_settings
from rag.overlap_reader import OverlapReader
from rag.reader import ReaderUnavailable, load_reader, passage_text
from rag.reading import ReadingConfig, read
from tests.minutes_factory import FakeItem, FakeMeeting, engine_for


class ScriptedReader:
    """Scores a passage by the first scripted word it contains: what a test wants the model
    to think, with no model."""

    name = "scripted"

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores

    def score(self, question: str, passages: Sequence[str]) -> list[float]:
        out = []
        for passage in passages:
            out.append(next((v for w, v in self.scores.items() if w in passage), 0.0))
        return out


MEETINGS = {
    "tmu.txt": FakeMeeting(
        "03-10-2023",
        body="Teknik- og Miljøudvalget",
        items=(
            FakeItem(
                1,
                "Ny belysning på stierne i Nordskoven",
                "23/10",
                (("Sagsfremstilling", "Stierne i Nordskoven får LED-lys for 1,2 mio. kr."),),
                "Godkendt.",
            ),
            FakeItem(
                2,
                "Vintertjeneste 2023-24",
                "23/11",
                (("Sagsfremstilling", "Saltning af cykelstier sker fra kl. 5."),),
                "Taget til efterretning.",
            ),
            FakeItem(
                3,
                "Trafiksikkerhedsplan",
                "23/12",
                (("Sagsfremstilling", "Planen peger på 14 steder med mange uheld."),),
                "Anbefalet.",
            ),
        ),
    )
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return engine_for(tmp_path_factory.mktemp("reader"), MEETINGS)


def test_the_reader_orders_the_items_and_keeps_its_scores(engine) -> None:  # type: ignore[no-untyped-def]
    found = engine.retriever.search("Hvad sker der på stierne om vinteren?", None, 10)
    assert len(found.hits) == 3
    reader = ScriptedReader({"Trafiksikkerhed": 0.99, "Vintertjeneste": 0.6})
    readout = read(reader, "Hvad sker der på stierne om vinteren?", found, ReadingConfig(), 2)
    titles = [h.record.title for h in readout.hits]
    assert titles == ["Trafiksikkerhedsplan", "Vintertjeneste 2023-24"]
    assert [h.reader for h in readout.hits] == [0.99, 0.6]


def test_equal_reader_scores_keep_retrievals_order(engine) -> None:  # type: ignore[no-untyped-def]
    found = engine.retriever.search("belysning stierne Nordskoven", None, 10)
    readout = read(ScriptedReader({}), "belysning stierne Nordskoven", found, ReadingConfig(), 10)
    assert [h.record.item_id for h in readout.hits] == [h.record.item_id for h in found.hits]
    assert all(h.reader == 0.0 for h in readout.hits)


def test_the_reader_reads_each_items_best_passages_with_its_title(engine) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    class Recording(ScriptedReader):
        def score(self, question: str, passages: Sequence[str]) -> list[float]:
            seen.extend(passages)
            return super().score(question, passages)

    found = engine.retriever.search("LED-lys", None, 1)
    read(Recording({}), "LED-lys", found, ReadingConfig(passages_per_item=2), 1)
    assert seen and all(p.startswith("Ny belysning på stierne i Nordskoven") for p in seen)
    assert any("1,2 mio. kr." in p for p in seen)


def test_an_answer_cites_the_item_the_reader_prefers(engine) -> None:  # type: ignore[no-untyped-def]
    question = "Hvor er der uheld på stierne?"
    assert engine.retriever.search(question, None, 5).hits[0].record.title != "Trafiksikkerhedsplan"
    engine.reader = ScriptedReader({"Trafiksikkerhed": 0.95})
    try:
        answer = engine.ask(question)
    finally:
        engine.reader = None
    assert answer.found
    assert answer.citations[0].title == "Trafiksikkerhedsplan"


def test_no_item_the_reader_trusts_is_not_found(engine) -> None:  # type: ignore[no-untyped-def]
    # The rules alone answer this (the item's own words); the reader says no item answers.
    question = "Hvor meget koster LED-lys på stierne i Nordskoven?"
    assert engine.ask(question).found
    reading = engine.reading  # the fixture is shared by the module: restore what it had
    engine.reader = ScriptedReader({"Nordskoven": 0.01})
    engine.reading = ReadingConfig(min_answer=0.05)  # the default (0) vetoes nothing
    try:
        answer = engine.ask(question)
    finally:
        engine.reader = None
        engine.reading = reading
    assert not answer.found
    assert answer.citations == ()


def test_the_overlap_reader_is_the_share_of_question_terms() -> None:
    reader = OverlapReader()
    scores = reader.score(
        "Hvad koster LED-lys i Nordskoven?",
        [passage_text("Belysning", "Sagsfremstilling", "Nyt LED-lys"), "i Nordskoven", "Salt"],
    )
    # content terms ("koster" is a generic verb): led-lys, led, lys, nordskov
    assert scores == [0.75, 0.25, 0.0]
    assert reader.calls == [("Hvad koster LED-lys i Nordskoven?", 3)]


def test_reader_off_and_overlap_and_a_missing_folder(tmp_path: Path) -> None:
    settings = load_settings({})
    assert load_reader(replace(settings, reader="off")) is None
    assert isinstance(load_reader(replace(settings, reader="overlap")), OverlapReader)
    with pytest.raises(ReaderUnavailable, match=r"reader\.safetensors is missing"):
        load_reader(replace(settings, reader=str(tmp_path), embed_model="e5"))


def test_the_shipped_reader_is_the_default_except_beside_the_hash_embedder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rag.reader

    assert load_reader(replace(load_settings({}), reader=None, embed_model="hash")) is None
    monkeypatch.setattr(rag.reader, "SHIPPED_READER", tmp_path)
    # Unset means the shipped reader: with its folder emptied, loading it is what fails.
    for choice in (None, "model"):
        with pytest.raises(ReaderUnavailable, match=r"python -m eval\.train_reader"):
            load_reader(replace(load_settings({}), reader=choice, embed_model="e5"))


def test_the_reader_does_not_veto_a_closed_item_it_reads_only_the_title_of() -> None:
    from index.catalog import ItemRecord
    from index.models import AgendaItem
    from rag.reading import answers
    from rag.retriever import ItemHit

    def hit(closed: bool) -> ItemHit:
        item = AgendaItem(9, "Salg af ejendommen Kirkevej 22", closed=closed)
        record = ItemRecord("i", "m", "s.txt", "Byrådet", "2023-10-10", None, item)
        return replace(ItemHit(record, 1.0, (), 0.87, 1.0), reader=0.01)

    veto = ReadingConfig(min_answer=0.05)
    assert answers(hit(closed=True), veto)
    assert not answers(hit(closed=False), veto)
    # The default vetoes nothing: on the tuning split the veto refused only answerable questions.
    assert answers(hit(closed=False), ReadingConfig())


def test_the_question_words_not_the_reader_choose_the_sentences_to_quote(
    tmp_path: Path,
) -> None:
    # Over the round-7 to round-9 blind files the reader's choice quoted no better than the
    # words' (eval/README.md, "Round 9"): it ranks and refuses, it does not quote.
    text = (
        "Planen peger på 14 steder med mange uheld i kommunen.\n\n"
        "Den er skrevet i foråret af en arbejdsgruppe.\n\n"
        "Rådgiveren på opgaven var firmaet Rambøll.\n\n"
        "Planen gælder i fire år fra vedtagelsen."
    )
    item = FakeItem(1, "Trafiksikkerhedsplan", "23/12", (("Sagsfremstilling", text),), "Anbefalet.")
    engine = engine_for(tmp_path, {"t.txt": FakeMeeting("03-10-2023", "Byrådet", (item,))})
    question = "Hvor mange steder med uheld peger trafiksikkerhedsplanen på?"
    without = engine.ask(question).citations[0].quote
    engine.reader = ScriptedReader({"Rambøll": 0.99, "skrevet": 0.98, "Trafiksikkerhed": 0.5})
    with_reader = engine.ask(question)
    assert with_reader.found
    assert with_reader.citations[0].quote == without
    assert without is not None and "14 steder" in without and "Rambøll" not in without
