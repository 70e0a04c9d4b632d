from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from index.chunking import ChunkingConfig, chunk_meeting, split_with_offsets
from index.models import AgendaItem, Decision, Meeting, Section

LONG = " ".join(f"Sætning nummer {n} handler om budgettet for skolerne." for n in range(80))


def _meeting() -> Meeting:
    return Meeting(
        source="/x/referat.txt",
        body="Direktionen",
        meeting_date="2024-05-02",
        items=(
            AgendaItem(
                number=1,
                title="Budget 2025",
                case_number="24/17",
                sections=(Section("Baggrund", LONG), Section("Indstilling", "Det indstilles.")),
                decisions=(Decision("Godkendt.", "Direktionen", "2024-05-02"),),
            ),
            AgendaItem(number=2, title="Lukket: Personalesag", closed=True),
        ),
    )


def test_offsets_point_at_the_passage_and_respect_the_size() -> None:
    config = ChunkingConfig(chunk_size=300, chunk_overlap=50)
    spans = split_with_offsets(LONG, config)
    assert len(spans) > 5
    for start, end, passage in spans:
        assert LONG[start:end] == passage
        assert len(passage) <= 300
    # Sentences are kept whole where possible: pieces end at a sentence boundary.
    assert all(p.endswith(".") for _, _, p in spans[:-1])


def test_chunks_stay_inside_one_section_and_carry_metadata() -> None:
    chunks = [
        c
        for c in chunk_meeting(_meeting(), "/x/referat.txt", ChunkingConfig(300, 50))
        if c.item_number == 1
    ]
    sections = {c.section for c in chunks}
    assert sections == {"Beslutning", "Baggrund", "Indstilling"}
    decision = next(c for c in chunks if c.is_decision)
    assert decision.text == "Godkendt."
    assert decision.decision_date == "2024-05-02"
    assert decision.embed_text.startswith("Direktionen | 2024-05-02 | punkt 1: Budget 2025")
    assert "\nGodkendt." in decision.embed_text
    for chunk in chunks:
        assert chunk.item_number == 1
        assert chunk.case_number == "24/17"
        assert chunk.date_int == 20240502
        # A chunk never spans two sections: its text is inside its own section.
        source = LONG if chunk.section == "Baggrund" else chunk.text
        assert source[chunk.start : chunk.end] == chunk.text


def test_closed_items_give_only_their_public_title() -> None:
    chunks = [c for c in chunk_meeting(_meeting(), "/x/referat.txt") if c.item_number == 2]
    assert [(c.text, c.section, c.closed) for c in chunks] == [
        ("Lukket: Personalesag", "Titel", True)
    ]


def test_ids_are_stable_and_unique() -> None:
    first = [c.id for c in chunk_meeting(_meeting(), "/x/referat.txt")]
    second = [c.id for c in chunk_meeting(_meeting(), "/x/referat.txt")]
    assert first == second
    assert len(set(first)) == len(first)
    other_file = [c.id for c in chunk_meeting(_meeting(), "/y/referat.txt")]
    assert not set(first) & set(other_file)


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=3000))
def test_splitting_never_loses_or_invents_text(text: str) -> None:
    config = ChunkingConfig(chunk_size=200, chunk_overlap=30)
    spans = split_with_offsets(text, config)
    for start, end, passage in spans:
        assert text[start:end] == passage
    covered = set()
    for start, end, _ in spans:
        covered.update(range(start, end))
    # Every non-space character lies inside some chunk.
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())
