"""Equal scores are ordered by what the chunks are, never by where their files live."""

from __future__ import annotations

from index.models import Chunk
from rag.retriever import _tie_ordered


def chunk(chunk_id: str, date: str, body: str, number: int) -> Chunk:
    text = "Plejecentret Solgården får 24 nye pladser."
    return Chunk(
        id=chunk_id,
        text=text,
        embed_text=text,
        meeting_id=f"m-{chunk_id}",
        item_id=f"i-{chunk_id}",
        source=f"/somewhere/{chunk_id}.txt",
        body=body,
        meeting_date=date,
        item_number=number,
        title="Solgården udvides",
        section="Baggrund",
        is_decision=False,
        start=0,
        end=len(text),
    )


def test_ties_go_by_meeting_date_then_body_and_item_whatever_the_ids_or_input_order() -> None:
    chunks = {
        "zz": chunk("zz", "2024-03-12", "Socialudvalget", 1),
        "aa": chunk("aa", "2024-04-09", "Byrådet", 3),
        "mm": chunk("mm", "2024-04-09", "Økonomiudvalget", 2),
    }
    hits = [("aa", 0.8), ("mm", 0.8), ("zz", 0.8), ("best", 0.9)]
    chunks["best"] = chunk("best", "2020-01-01", "Byrådet", 9)
    expected = ["best", "zz", "aa", "mm"]
    assert [c for c, _ in _tie_ordered(hits, chunks)] == expected
    assert [c for c, _ in _tie_ordered(list(reversed(hits)), chunks)] == expected


def test_scores_equal_up_to_float_noise_count_as_ties_and_unknown_chunks_are_dropped() -> None:
    chunks = {
        "late": chunk("late", "2024-05-01", "Byrådet", 1),
        "early": chunk("early", "2024-01-01", "Byrådet", 1),
    }
    hits = [("late", 0.70000001), ("gone", 0.95), ("early", 0.7)]
    assert _tie_ordered(hits, chunks) == [("early", 0.7), ("late", 0.70000001)]
