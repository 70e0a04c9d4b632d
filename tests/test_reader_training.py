"""The reader's training data and figures (eval.reader_pairs, eval.train_reader,
eval.calibrate_reader): pure functions on hand-made minutes and hand-computed values."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from eval.calibrate_reader import Evidence, best_threshold, errors
from eval.question_writer import clean_question, messages
from eval.questions import Question
from eval.reader_pairs import (
    AnsweredFileError,
    AnsweredQuestion,
    WrittenQuestion,
    fact_question,
    mine_pairs,
    read_answered,
    read_written,
    swapped,
)
from eval.train_reader import auc, figures
from index.models import Meeting
from index.parsing import parse_document
from tests.minutes_factory import FakeItem, FakeMeeting, render

REPO = Path(__file__).resolve().parents[1]


def test_auc_by_hand() -> None:
    # positives 0.9 and 0.4; negatives 0.5 and 0.1: of four pairs three are ordered right.
    assert auc([1, 0, 1, 0], [0.9, 0.5, 0.4, 0.1]) == 0.75
    # a tie between a positive and a negative counts half
    assert auc([1, 0], [0.3, 0.3]) == 0.5
    assert math.isnan(auc([1, 1], [0.1, 0.2]))


def _meetings() -> list[Meeting]:
    items = tuple(
        FakeItem(
            n,
            title,
            f"24/{n}",
            (("Sagsfremstilling", text),),
            "Godkendt.",
        )
        for n, (title, text) in enumerate(
            [
                (
                    "Renovering af Strandskolens tag",
                    "Udgiften til det nye tag på Strandskolen er beregnet til 2,3 mio. kr. "
                    "Arbejdet udføres af firmaet Tagmestrene i sommerferien 2024.",
                ),
                (
                    "Ny legeplads ved Havnebørnehuset",
                    "Legepladsen ved Havnebørnehuset koster 450.000 kr. og bygges af "
                    "Legeland ApS i løbet af foråret.",
                ),
                (
                    "Trafiksikkerhed omkring Strandskolen",
                    "Der etableres 3 nye fodgængerfelter ved Strandskolen for i alt "
                    "600.000 kr. fra vejpuljen i anlægsbudgettet.",
                ),
            ],
            start=1,
        )
    )
    text = render(FakeMeeting("12-03-2024", body="Børneudvalget", items=items))
    return [parse_document(text.encode(), "boern.txt")]


def test_mined_pairs_ask_about_an_item_and_never_use_its_own_text_as_negative() -> None:
    pairs = mine_pairs(_meetings(), seed=3)
    assert pairs and {p.label for p in pairs} == {0, 1}
    by_item = {p.item_key for p in pairs if p.label == 1}
    assert len(by_item) == 3
    # the same seed gives the same pairs; another seed other questions
    assert mine_pairs(_meetings(), seed=3) == pairs
    assert mine_pairs(_meetings(), seed=4) != pairs


def test_a_positive_passage_belongs_to_the_question_item() -> None:
    meetings = _meetings()
    items = meetings[0].items
    for pair in mine_pairs(meetings, seed=5):
        own_title = items[int(pair.item_key.rsplit(":", 1)[1])].title  # ids end in the ordinal
        if pair.label == 1:
            assert pair.passage.startswith(own_title + "\n")
        if pair.kind in {"title", "fact"} and pair.label == 0:
            assert not pair.passage.startswith(own_title + "\n")


def _written(meetings: list[Meeting]) -> WrittenQuestion:
    """A question written for the first item's amount sentence, with its item's key."""
    key = next(
        p.item_key for p in mine_pairs(meetings, seed=3) if p.label == 1 and "tag" in p.passage
    )
    sentence = "Udgiften til det nye tag på Strandskolen er beregnet til 2,3 mio. kr."
    return WrittenQuestion(key, "Sagsfremstilling", sentence, "Hvad koster det nye skoletag?")


def test_a_written_question_has_its_sentence_as_positive_and_the_other_as_negatives() -> None:
    meetings = _meetings()
    asked = _written(meetings)
    pairs = mine_pairs(meetings, seed=3, written=[asked], templates=False)
    assert pairs
    assert all(p.question == asked.question for p in pairs if p.kind != "written-swap")
    # a swapped form asks about another item's word, and the sentence's passage does not answer
    assert all(
        p.label == 0 and p.question != asked.question for p in pairs if p.kind == "written-swap"
    )
    sentences = [p for p in pairs if p.kind == "written-sentence"]
    assert [p.passage for p in sentences if p.label == 1] == [
        "Renovering af Strandskolens tag\nSagsfremstilling: " + asked.sentence
    ]
    negatives = [p.passage for p in sentences if p.label == 0]
    assert negatives and all("Tagmestrene" in n for n in negatives)  # the item's other sentence
    passages = [p for p in pairs if p.kind == "written"]
    assert [p.label for p in passages].count(1) == 1
    for pair in passages:
        own = pair.passage.startswith("Renovering af Strandskolens tag\n")
        assert own == (pair.label == 1)
    # a question for an item the meetings do not have, or one the model failed on, gives none
    lost = WrittenQuestion("elsewhere:1:0", "Sagsfremstilling", asked.sentence, asked.question)
    failed = WrittenQuestion(asked.item_key, "Sagsfremstilling", asked.sentence, "")
    assert mine_pairs(meetings, seed=3, written=[lost, failed], templates=False) == []


def test_written_questions_are_read_and_cleaned(tmp_path: Path) -> None:
    path = tmp_path / "written.jsonl"
    rows = [
        '{"item_key": "a:1:0", "section": "S", "sentence": "T.", "question": "Hvor?"}',
        '{"item_key": "a:1:1", "section": "S", "sentence": "U.", "question": ""}',
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert read_written(path) == [WrittenQuestion("a:1:0", "S", "T.", "Hvor?")]
    sentence = "Udgiften til taget er 2,3 mio. kr."
    assert clean_question("Hvad koster taget?\nSvar: 2,3 mio.", sentence) == "Hvad koster taget?"
    assert clean_question("Udgiften til taget er 2,3 mio. kr.", sentence) is None  # no question
    assert clean_question("Udgiften til taget er 2,3 mio. kr?", sentence) is None  # a copy
    assert clean_question("Hvad?", sentence) is None  # too short to ask anything
    chat = messages("Tag", sentence)
    assert chat[0]["role"] == "system" and chat[-1]["content"].endswith(sentence)


def test_an_answered_question_has_the_sentence_with_its_answer_as_positive() -> None:
    meetings = _meetings()
    asked = AnsweredQuestion("boern.txt", 1, "Hvem skal lægge det nye tag?", "Tagmestrene")
    pairs = mine_pairs(meetings, seed=3, answered=[asked], templates=False)
    sentences = [p for p in pairs if p.kind == "answered-sentence"]
    # the sentence as an answer quotes it: "kr." ends no sentence, so the two are one
    assert [p.passage for p in sentences if p.label == 1] == [
        "Renovering af Strandskolens tag\nSagsfremstilling: Udgiften til det nye tag på "
        "Strandskolen er beregnet til 2,3 mio. kr. Arbejdet udføres af firmaet Tagmestrene i "
        "sommerferien 2024."
    ]
    # the item's other sentences are the negatives: here its decision
    assert [p.passage for p in sentences if p.label == 0] == [
        "Renovering af Strandskolens tag\nBeslutning: Godkendt."
    ]
    passages = [p for p in pairs if p.kind == "answered"]
    assert [p.label for p in passages].count(1) == 1
    for pair in passages:
        assert pair.passage.startswith("Renovering af Strandskolens tag\n") == (pair.label == 1)


def test_a_question_answered_nowhere_is_a_negative_for_its_closest_item() -> None:
    meetings = _meetings()
    asked = AnsweredQuestion("boern.txt", 2, "Hvor mange gynger får legepladsen?", "")
    pairs = mine_pairs(meetings, seed=3, answered=[asked], templates=False)
    assert pairs and {p.label for p in pairs} == {0}
    assert all(p.passage.startswith("Ny legeplads ved Havnebørnehuset\n") for p in pairs)
    # an answer its item does not hold, and an item the meetings do not have, give no pairs
    wrong = AnsweredQuestion("boern.txt", 2, "Hvem bygger legepladsen?", "Tagmestrene")
    lost = AnsweredQuestion("andet.txt", 2, "Hvem bygger legepladsen?", "Legeland ApS")
    assert mine_pairs(meetings, seed=3, answered=[wrong, lost], templates=False) == []


def test_answered_questions_are_read_and_a_bad_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "answered.jsonl"
    good = '{"file": "x/boern.txt", "item": 2, "question": "Hvem?", "answer": "Legeland ApS"}'
    path.write_text(good + "\n\n", encoding="utf-8")
    assert read_answered(path) == [AnsweredQuestion("boern.txt", 2, "Hvem?", "Legeland ApS")]
    path.write_text(good + '\n{"file": "boern.txt", "question": "Hvem?"}\n', encoding="utf-8")
    with pytest.raises(AnsweredFileError, match=r"answered\.jsonl, line 2"):
        read_answered(path)


def test_a_fact_question_asks_for_the_amount_from_the_words_around_it() -> None:
    sentence = "Udgiften til det nye tag på Strandskolen er beregnet til 2,3 mio. kr. i alt."
    shapes = set()
    for seed in range(20):
        asked = fact_question(sentence, "Renovering af Strandskolens tag", random.Random(seed))
        assert asked is not None
        shape, question = asked
        shapes.add(shape)
        assert "2,3" not in question  # the answer is not in the question
        assert question.endswith("?") and question[0].isupper()
    assert shapes == {"amount"}
    assert fact_question("Sagen blev drøftet på mødet.", "Drøftelse", random.Random(1)) is None


def test_a_swapped_question_names_another_items_rarest_word() -> None:
    rarity = {"Strandskolen": 5.0, "taget": 2.0, "Havnebørnehuset": 6.0, "legeplads": 3.0}
    question = swapped(
        "Hvad koster taget på Strandskolen?",
        lambda w: rarity.get(w, 1.0),
        ["legeplads", "Havnebørnehuset"],
    )
    assert question == "Hvad koster taget på Havnebørnehuset?"


def _evidence(best: float, answerable: bool) -> Evidence:
    kind = "fact" if answerable else "none"
    return Evidence(Question(f"q{best}", "?", kind, ()), best, True, True)


def test_the_threshold_makes_the_fewest_errors() -> None:
    evidence = [
        _evidence(0.9, True),
        _evidence(0.7, True),
        _evidence(0.3, False),
        _evidence(0.2, False),
        _evidence(0.25, True),  # one answerable question scores among the no-answer ones
    ]
    assert errors(evidence, 0.5) == (0, 1)
    assert errors(evidence, 0.22) == (1, 0)
    assert errors(evidence, 0.1) == (2, 0)
    # cut points with one error: 0.225 (between 0.2 and 0.25) and 0.5 (0.3-0.7); the middle
    # of the run of best cuts is the second of the two
    threshold = best_threshold(evidence)
    assert sum(errors(evidence, threshold)) == 1
    assert threshold == pytest.approx(0.5)


def test_figures_count_a_question_won_when_its_positive_beats_every_negative() -> None:
    from eval.reader_pairs import Pair

    pairs = [
        Pair("q1", "a", 1, "fact", "k1"),
        Pair("q1", "b", 0, "fact", "k1"),
        Pair("q2", "c", 1, "title", "k2"),
        Pair("q2", "d", 0, "title", "k2"),
    ]
    out = figures(pairs, [0.8, 0.2, 0.3, 0.6])
    assert out["top1"] == 0.5 and out["top1_questions"] == 2
    assert out["auc"] == 0.75  # 0.8>0.2, 0.8>0.6, 0.3>0.2, 0.3<0.6
    assert out["auc_fact"] == 1.0 and out["auc_title"] == 0.0


# --- the real thing (slow: builds e5-small, trains a tiny reader on the demo, about 1.5 min) ---


@pytest.mark.slow
def test_a_tiny_reader_trained_on_the_demo_ranks_a_held_out_positive_first(
    tmp_path: Path,
) -> None:
    from eval.train_reader import TrainingConfig, load_minutes, train, validation_meeting
    from index.e5_offline import ensure_model
    from rag.reader import CrossEncoderReader, passage_text

    base = ensure_model(tmp_path / "models", progress=lambda _message: None)
    demo = REPO / "demo" / "fjordby"
    # One meeting in four measures; the Solgården status (direktionen 2024-09-09) is one of
    # them, so the question below is about minutes the reader never trained on.
    assert validation_meeting(str(demo / "direktionen_2024-09-09.txt"), 4)
    config = TrainingConfig(max_pairs=800, validation_share=4, learning_rate=2e-3, epochs=2)
    card = train(load_minutes([demo]), base, tmp_path / "reader", config, log=lambda _: None)

    before, after = card["validation"]["before"], card["validation"]["after"]
    assert after["auc"] > before["auc"] + 0.15
    assert after["top1"] > before["top1"] + 0.2

    reader = CrossEncoderReader(base, tmp_path / "reader")
    title = "Status på udvidelsen af plejecentret Solgården"
    positive = passage_text(
        title,
        "Resume og sagens baggrund",
        "Byrådet godkendte den 7. maj 2024 udvidelsen af plejecentret Solgården med 24 "
        "pladser, heraf 4 midlertidige aflastningspladser, og gav en anlægsbevilling på "
        "62,4 mio. kr.",
    )
    negatives = [
        passage_text(
            "Månedsrapport pr. 31. juli 2024 - Økonomiudvalgets område",
            "Beslutning",
            "Direktionens møde den 9. september 2024: Anbefales.",
        ),
        passage_text(
            "Plejeboligkapacitet - udvidelse af plejecentret Solgården",
            "Sagsfremstilling",
            "Centret har en grund, der giver mulighed for at bygge en ny fløj i to etager.",
        ),
    ]
    scores = reader.score("Hvor stor er anlægsbevillingen til Solgården?", [positive, *negatives])
    assert scores[0] > max(scores[1:])


def _layers(model: object) -> set[str]:
    state = getattr(model, "state_dict")()  # noqa: B009 (a torch Module)
    return {name.split(".")[3] for name in state if name.startswith("encoder.encoder.layer.")}


def test_a_shallow_reader_keeps_the_bottom_layers_and_loads_back_as_saved(
    tmp_path: Path,
) -> None:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from rag.reader_model import CrossEncoder, load_trained, save_trained

    config = transformers.BertConfig(
        vocab_size=40,
        hidden_size=16,
        num_hidden_layers=4,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
    )
    torch.manual_seed(0)
    transformers.BertModel(config).save_pretrained(tmp_path / "base")
    base = transformers.BertModel.from_pretrained(tmp_path / "base")
    model = CrossEncoder(base, rank=2, alpha=4.0, first_layer=1, layers=2)
    assert _layers(model) == {"0", "1"}
    adapted = {name.split(".")[3] for name in model.trained_state() if "lora_a" in name}
    assert adapted == {"1"}  # layer 0 is frozen, layers 2 and 3 are gone
    with torch.no_grad():  # as if trained: adapters that change the output
        for name, parameter in model.named_parameters():
            if "lora_b" in name:
                parameter.normal_()
    save_trained(model, tmp_path / "reader", {"max_length": 16})

    loaded = load_trained(tmp_path / "base", tmp_path / "reader")
    assert _layers(loaded) == {"0", "1"}
    ids = torch.tensor([[1, 5, 7, 9, 2]])
    mask = torch.ones_like(ids)
    model.eval()
    with torch.no_grad():
        assert torch.allclose(model(ids, mask), loaded(ids, mask), atol=1e-4)
