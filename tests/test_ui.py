"""The chat's handlers as plain functions, over a real in-memory engine built from small minutes."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from index.catalog import Catalog
from index.hash_embedder import HashEmbedder
from index.lexical import LexicalIndex
from index.open import LexicalRebuilder, lexical_dir
from index.pipeline import Indexer, IndexSummary
from index.store import MemoryVectorStore, SearchFilter
from rag.answer import Answer, AnswerConfig, Citation
from rag.engine import Engine
from tests.minutes_factory import SOLGAARDEN_DECISION, solgaarden_case, write_meetings

pytest.importorskip("gradio")

from ui import app as ui

SECRET = "HEMMELIGT-UI7 fortrolig sag om en medarbejder"
DECISION = SOLGAARDEN_DECISION
TINY_CORPUS = AnswerConfig()
QUESTION = "Hvad besluttede Byrådet om Solgården?"
HOSTILE = 'Banen <script>alert("x")</script> skal renoveres & males for {{pris}} ${beløb}.'


def write_minutes(folder: Path) -> list[Path]:
    """Two meetings: the Solgården case in two bodies, a closed item, and hostile text."""
    return write_meetings(folder, solgaarden_case(SECRET, hundige_background=HOSTILE))


def open_engine(db: Path, paths: list[Path]) -> Engine:
    catalog = Catalog.open(db)
    store = MemoryVectorStore()
    embedder = HashEmbedder()
    Indexer(db, catalog, store, embedder, LexicalRebuilder(db)).run(paths)
    folder = lexical_dir(db)
    lexical = LexicalIndex.load(folder) if folder.exists() else None
    # Evidence thresholds suit a tiny corpus and the hashing embedder: a question that shares a
    # name with an item is answered, one that shares nothing is not.
    return Engine(catalog, store, embedder, lexical, answering=TINY_CORPUS)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return open_engine(tmp_path / "db", write_minutes(tmp_path / "minutes"))


def final(turns: list[ui.Turn]) -> str:
    assert turns and turns[-1].done
    return str(turns[-1].history[-1]["content"])


def ask(engine: Any, question: str, **kwargs: Any) -> list[ui.Turn]:
    return list(ui.respond(engine, question, [], **kwargs))


def solgaarden(engine: Engine) -> Answer:
    answer = engine.ask(QUESTION)
    assert answer.found, answer.answer
    return answer


# -- the chat ------------------------------------------------------------------------------
def test_decision_answer_streams_the_quote_with_its_citation(engine: Engine) -> None:
    turns = ask(engine, QUESTION)
    text = final(turns)
    assert DECISION in text
    assert "[1]" in text
    # streamed: a placeholder first, then text that grows to the final answer
    assert turns[0].history[-1]["content"] == ui.SEARCHING
    grown = [str(t.history[-1]["content"]).removesuffix(" ▍") for t in turns[1:]]
    assert len(grown) > 2
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(grown))
    assert turns[-1].history[-2] == {"role": "user", "content": QUESTION}
    # the sources come once, with the first piece of text
    assert [t.sources is not None for t in turns[1:]].count(True) == 1
    assert turns[-1].refs and turns[-1].refs[0]["item_id"]


def test_follow_up_question_is_asked_with_the_previous_one(engine: Engine) -> None:
    history = ask(engine, QUESTION)[-1].history
    turns = list(ui.respond(engine, "og hvor meget kostede det?", history))
    text = final(turns)
    assert "18,5 mio" in text
    assert "opfølgning" in text
    assert len(turns[-1].history) == len(history) + 2


def test_no_answer_is_kind_and_suggests_the_nearest_items() -> None:
    nearest = Citation(
        "2024-04-09",
        "Byrådet",
        None,
        4,
        "Kunstgræsbane i Hundige",
        "24/2",
        None,
        "b.txt",
        "Banen skal renoveres.",
        False,
        None,
        "item-4",
    )
    answer = Answer(
        "Hvad koster en tur til månen?",
        "Referaterne ser ikke ud til at svare på det spørgsmål.",
        False,
        suggestions=(nearest,),
    )

    class Fake:
        catalog: Any = None

        def ask(self, question: str, search_filter: Any = None, k: int = 5) -> Answer:
            return answer

    turns = ask(Fake(), "Hvad koster en tur til månen?", filters=ui.Filters(bodies=("Byrådet",)))
    text = final(turns)
    assert "ikke ud til at svare" in text
    assert "uden filtre" in text
    sources = next(t.sources for t in turns[1:] if t.sources is not None)
    assert "Nærmeste punkter" in sources
    assert "Kunstgræsbane i Hundige" in sources


def test_errors_become_a_kind_message_not_a_stack_trace() -> None:
    class Broken:
        catalog: Any = None

        def ask(self, question: str, search_filter: Any = None, k: int = 5) -> Answer:
            raise RuntimeError("database is locked")

    text = final(ask(Broken(), "Hvad blev der besluttet om Solgården?"))
    assert text == ui.ERROR_MESSAGE
    assert "Traceback" not in text and "database is locked" not in text


@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"),
    [
        ("12/13/2024", "", "ÅÅÅÅ-MM-DD"),
        ("2024-02-30", "", "ÅÅÅÅ-MM-DD"),
        ("i går", "", "«i går»"),
        ("2024-05-01", "2024-01-01", "ligger efter"),
    ],
)
def test_bad_date_filters_give_a_kind_message(
    engine: Engine, date_from: str, date_to: str, expected: str
) -> None:
    turns = ask(engine, "Hvad blev der besluttet?", filters=ui.Filters((), date_from, date_to))
    assert len(turns) == 1
    assert expected in final(turns)


def test_filters_become_a_search_filter() -> None:
    assert ui.build_filter(ui.Filters()) is None
    assert ui.build_filter(ui.Filters((), "12-03-2024", "2024-04-30")) == SearchFilter(
        date_from="2024-03-12", date_to="2024-04-30"
    )
    assert ui.build_filter(ui.Filters(("Byrådet",), "", "", ui.ALL_MUNICIPALITIES)) == SearchFilter(
        bodies=("Byrådet",)
    )
    assert ui.build_filter(ui.Filters(case_number=" emn-2025-003383 ")) == SearchFilter(
        case_number="EMN-2025-003383"
    )


def test_case_filter_answers_from_that_case(engine: Engine) -> None:
    turns = ask(engine, "Hvad blev der besluttet?", filters=ui.Filters(case_number="24/2"))
    text = final(turns)
    assert "Kunstgræsbane i Hundige" in text
    assert "Solgården" not in text


def test_body_filter_narrows_the_answer(engine: Engine) -> None:
    text = final(
        ask(engine, "Hvad blev besluttet om Solgården?", filters=ui.Filters(("Socialudvalget",)))
    )
    assert "Socialudvalget anbefaler" in text
    assert DECISION not in text


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("og hvad kostede det?", "og hvad kostede det? Solgården"),
        ("Hvornår?", "Hvornår? Solgården"),
        ("Hvem stemte imod den?", "Hvem stemte imod den? Solgården"),
        ("Hvad kostede kunstgræsbanen?", "Hvad kostede kunstgræsbanen?"),
        ("og hvad med Hundige?", "og hvad med Hundige?"),
    ],
)
def test_contextualise(question: str, expected: str) -> None:
    history = [
        {"role": "user", "content": "Hvad blev der besluttet om Solgården?"},
        {"role": "assistant", "content": "Byrådet godkendte ... [1]"},
    ]
    assert ui.contextualise(history, question) == expected


def test_contextualise_skips_earlier_follow_ups_and_reads_gradio_messages() -> None:
    history: list[dict[str, Any]] = [
        {"role": "user", "content": [{"type": "text", "text": "Hvad kostede Solgården?"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "18,5 mio. kr. [1]"}]},
        {"role": "user", "content": "og hvornår?"},
        {"role": "assistant", "content": "I 2026 [1]"},
    ]
    assert (
        ui.contextualise(history, "og hvem besluttede det?") == "og hvem besluttede det? Solgården"
    )
    case = [{"role": "user", "content": "Hvad skete der i sag 24/1 i 2024?"}]
    assert ui.contextualise(case, "og så?") == "og så? 24/1 2024"
    assert ui.contextualise([], "og hvad kostede det?") == "og hvad kostede det?"


# -- sources, item view, trail -------------------------------------------------------------
def test_source_cards_show_body_date_item_and_quote(engine: Engine) -> None:
    answer = solgaarden(engine)
    cards = ui.render_sources(answer)
    first = answer.citations[0]
    assert first.body in cards
    assert ui.long_date(first.meeting_date) in cards
    assert f"Punkt {first.item}: Solgården udvides" in cards
    assert "Sag 24/1" in cards
    assert f"<mark>{ui.esc(first.quote)}</mark>" in cards
    assert 'data-n="0"' in cards and f'data-item-id="{first.item_id}"' in cards


def test_item_view_shows_decisions_first_and_marks_the_passage(engine: Engine) -> None:
    answer = solgaarden(engine)
    citation = answer.citations[0]
    record = engine.item(citation.item_id)
    view = ui.render_item(record, citation.quote)
    assert f"<mark>{ui.esc(citation.quote)}</mark>" in view
    assert view.index("Beslutning") < view.index("Baggrund")
    assert "Plejecentret Solgården får 24 nye pladser." in view


def test_a_card_click_opens_the_item_with_the_quote_marked(engine: Engine) -> None:
    answer = solgaarden(engine)
    refs = ui.source_refs(answer)
    first = answer.citations[0]
    view = ui.open_reference(engine, refs, {"item_id": first.item_id, "n": "0", "kind": "ref"})
    assert f"<mark>{ui.esc(first.quote)}</mark>" in view
    # a forged id or index opens nothing it should not
    assert "findes ikke" in ui.open_reference(engine, refs, {"item_id": "nope", "kind": "ref"})
    for n, item_id in (("9", first.item_id), ("-1", refs[-1]["item_id"])):
        view = ui.open_reference(engine, refs, {"item_id": item_id, "n": n, "kind": "ref"})
        assert "Punkt" in view and "<mark>" not in view


def test_trail_is_a_timeline_of_the_case(engine: Engine) -> None:
    answer = solgaarden(engine)
    assert len(answer.trail) == 2
    html = ui.render_trail(answer.trail)
    assert html.index("Socialudvalget") < html.index("Byrådet")
    assert "12. marts 2024" in html and "9. april 2024" in html
    assert "chip-ok" in html  # anbefalet / godkendt
    assert ui.render_trail(()) == ""
    step = answer.trail[0]
    view = ui.open_reference(engine, [], {"item_id": step.item_id, "kind": "trail"})
    assert "<mark>Socialudvalget anbefaler udvidelsen af Solgården.</mark>" in view


def test_document_text_is_escaped_everywhere(engine: Engine) -> None:
    records = engine.catalog.items_where(title_like="Kunstgræsbane")
    assert records
    view = ui.render_item(records[0], "Banen")
    assert "<script>" not in view
    assert "&lt;script&gt;" in view
    assert "{{" not in view and "${" not in view
    citation = Citation(
        "2024-04-09",
        "Byrådet",
        None,
        4,
        "<b>Kunstgræs</b>",
        "24/2",
        "Baggrund",
        "b.txt",
        HOSTILE,
        False,
        None,
        records[0].item_id,
    )
    cards = ui.render_sources(Answer("q", "a [1]", True, (citation,)))
    assert "<script>" not in cards and "<b>" not in cards
    assert "&lt;b&gt;Kunstgræs&lt;/b&gt;" in cards
    chat = ui.chat_text("Ifølge referatet [1]:\n> " + HOSTILE)
    assert "<script>" not in chat and chat.startswith(
        "Ifølge referatet [1]:\n> Banen &lt;script&gt;"
    )


def test_closed_items_show_number_and_title_only(engine: Engine) -> None:
    closed = [r for r in engine.catalog.items_where() if r.item.closed]
    assert len(closed) == 1
    view = ui.render_item(closed[0], SECRET)
    assert "lukket punkt" in view
    assert SECRET not in view and "HEMMELIGT" not in view
    data = ui.item_to_json(closed[0])
    assert "sections" not in data and "decisions" not in data
    assert data["closed"] is True and data["item"] == 2
    citation = Citation(
        "2024-03-12",
        "Socialudvalget",
        None,
        2,
        "Lukket",
        None,
        None,
        "a.txt",
        None,
        True,
        None,
        closed[0].item_id,
    )
    card = ui.render_sources(Answer("q", "lukket [1]", True, (citation,)))
    assert "badge-closed" in card and "<blockquote" not in card
    assert ui.source_refs(Answer("q", "", True, (citation,)))[0]["quote"] is None


def test_a_question_about_a_closed_item_never_shows_its_text(engine: Engine) -> None:
    for turn in ask(engine, "fortrolig sag om en medarbejder HEMMELIGT-UI7"):
        assert "HEMMELIGT" not in str(turn.history[-1]["content"])
        assert "HEMMELIGT" not in (turn.sources or "")


# -- the archive panel, examples, notices --------------------------------------------------
def test_about_panel_and_examples_come_from_the_index(engine: Engine) -> None:
    stats = engine.catalog.stats()
    about = ui.render_about(stats)
    assert ">2<" in about  # meetings
    assert "Byrådet" in about and "Socialudvalget" in about
    assert "12. marts 2024 – 9. april 2024" in about
    examples = ui.example_questions(engine.catalog)
    assert any("Solgården udvides" in q for q in examples)
    assert not any("Lukket" in q for q in examples)
    assert any(q.startswith("Hvilke sager behandlede") for q in examples)


def test_an_empty_archive_says_how_to_fill_it(tmp_path: Path) -> None:
    empty = open_engine(tmp_path / "db", [])
    app = ui.ChatApp(empty)
    assert app.notice == ui.EMPTY_ARCHIVE
    assert app.usable() is None
    assert "Arkivet er tomt" in ui.render_header(app.notice)
    assert "<code>referat index MAPPE</code>" in ui.render_about(None, app.notice)


# -- uploads -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("referat.pdf", "referat.pdf"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\x.docx", "x.docx"),
        ("..", None),
        ("...", None),
        (".bashrc", "bashrc"),
        ("møde <2024>.json", "møde _2024_.json"),
        ("a..b.xml", "a.b.xml"),
        ("", None),
    ],
)
def test_upload_file_names_are_sanitised(name: str, expected: str | None) -> None:
    assert ui.sanitise_filename(name) == expected


def test_uploads_are_stored_only_inside_the_upload_folder(tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    good = incoming / "byraad.txt"
    good.write_text("x", encoding="utf-8")
    wrong = incoming / "virus.exe"
    wrong.write_text("x", encoding="utf-8")
    big = incoming / "stor.pdf"
    big.write_bytes(b"0" * 2048)
    target = tmp_path / "uploads"
    stored, refused = ui.store_uploads([good, wrong, big], target, max_bytes=1024)
    assert stored == [(target / "byraad.txt").resolve()]
    assert any("virus.exe" in r for r in refused)
    assert any("stor.pdf" in r and "MB" in r for r in refused)
    # a different file of the same name does not overwrite the first
    other = incoming / "sub"
    other.mkdir()
    (other / "byraad.txt").write_text("y", encoding="utf-8")
    again, _ = ui.store_uploads([other / "byraad.txt", good], target)
    assert again == [(target / "byraad-2.txt").resolve(), (target / "byraad.txt").resolve()]
    assert {p.name for p in target.iterdir()} == {"byraad.txt", "byraad-2.txt"}


def test_upload_report_lists_skipped_files() -> None:
    from index.models import Skipped

    summary = IndexSummary(files=2, indexed=1, meetings=1, items=3)
    summary.skipped.append(Skipped("/x/uploads/tom.pdf", "no text layer"))
    report = ui.upload_report(summary, ["virus.exe: kun .txt kan lægges i arkivet"])
    assert "1 fil lagt i arkivet" in report
    assert "tom.pdf – no text layer" in report
    assert "virus.exe" in report


# -- the Gradio app ------------------------------------------------------------------------
def _endpoint(demo: Any, name: str) -> Any:
    for block_fn in demo.fns.values():
        if block_fn.api_name == name:
            return block_fn
    raise AssertionError(f"no endpoint {name}")


def test_app_exposes_ask_item_and_trail_endpoints(engine: Engine, tmp_path: Path) -> None:
    calls: list[list[Path]] = []

    def index_files(paths: Any, progress: Any = None) -> IndexSummary:
        calls.append(list(paths))
        return IndexSummary()

    demo = ui.build_app(
        engine, allow_upload=True, upload_dir=tmp_path / "up", index_files=index_files
    )
    public = {
        fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public" and fn.api_name
    }
    assert public == {"ask", "item", "trail"}
    result = _endpoint(demo, "ask").fn(QUESTION)
    assert result["found"] is True and DECISION in result["answer"]
    item_id = result["citations"][0]["item_id"]
    item = _endpoint(demo, "item").fn(item_id)
    assert item["title"] == "Solgården udvides" and item["decisions"]
    steps = _endpoint(demo, "trail").fn(item_id)
    assert [s["body"] for s in steps] == ["Socialudvalget", "Byrådet"]
    with pytest.raises(Exception, match="ÅÅÅÅ-MM-DD"):
        _endpoint(demo, "ask").fn("Hvad?", None, "igår")


def test_app_without_an_index_answers_with_the_notice() -> None:
    demo = ui.build_app(None, notice=ui.EMPTY_ARCHIVE)
    with pytest.raises(Exception, match="Arkivet er tomt"):
        _endpoint(demo, "ask").fn("Hvad blev der besluttet?")


def test_streaming_pieces_end_with_the_whole_text() -> None:
    text = "Byrådet besluttede den 09-04-2024 [1]:\n> Godkendt med 24 pladser."
    pieces: Iterator[str] = ui._pieces(text, 2)
    out = list(pieces)
    assert out[-1] == text and len(out) > 2
