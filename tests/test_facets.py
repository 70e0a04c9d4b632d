"""ChunkFacets.mask agrees with SearchFilter.accepts, the rule the stores apply."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from index.facets import ChunkFacets
from index.store import SearchFilter

ROWS = [
    ("c1", "2023-12-31", "Byrådet", "Greve", "23-1"),
    ("c2", "2024-01-01", "Byrådet", "Greve", None),
    ("c3", "2024-06-15", "Økonomiudvalget", "Greve", "23-1"),
    ("c4", "2024-12-31", "Socialudvalget", None, "24-7"),
    ("c5", "2025-01-01", "Økonomiudvalget", "Fjordby", None),
]


def passing(facets: ChunkFacets, search_filter: SearchFilter) -> list[str]:
    return [facets.ids[n] for n, keep in enumerate(facets.mask(search_filter)) if keep]


def test_masks_by_hand() -> None:
    facets = ChunkFacets.from_rows(ROWS)
    year = SearchFilter(date_from="2024-01-01", date_to="2024-12-31")
    assert passing(facets, year) == ["c2", "c3", "c4"]
    assert passing(facets, SearchFilter(bodies=("Økonomiudvalget", "Ukendt"))) == ["c3", "c5"]
    assert passing(facets, SearchFilter(case_number="23-1", date_from="2024-01-01")) == ["c3"]
    assert passing(facets, SearchFilter(municipality="Fjordby")) == ["c5"]
    assert passing(facets, SearchFilter(municipality="Aarhus")) == []
    assert passing(facets, SearchFilter()) == [r[0] for r in ROWS]
    assert facets.allowed_ids(year) == {"c2", "c3", "c4"}
    hits = [("c5", 0.9), ("gone", 0.8), ("c3", 0.7), ("c1", 0.6)]
    assert facets.keep(hits, facets.mask(year)) == [("c3", 0.7)]


dates = st.sampled_from(["2023-12-31", "2024-01-01", "2024-06-15", "2024-12-31", "2025-01-01"])


@settings(max_examples=200, deadline=None)
@given(
    bodies=st.lists(st.sampled_from(["Byrådet", "Økonomiudvalget", "Socialudvalget", "X"])),
    municipality=st.one_of(st.none(), st.sampled_from(["Greve", "Fjordby", "X"])),
    date_from=st.one_of(st.none(), dates),
    date_to=st.one_of(st.none(), dates),
    case_number=st.one_of(st.none(), st.sampled_from(["23-1", "24-7", "X"])),
)
def test_mask_matches_accepts(
    bodies: list[str],
    municipality: str | None,
    date_from: str | None,
    date_to: str | None,
    case_number: str | None,
) -> None:
    search_filter = SearchFilter(tuple(bodies), municipality, date_from, date_to, case_number)
    facets = ChunkFacets.from_rows(ROWS)
    expected = [
        chunk_id
        for chunk_id, date, body, town, case in ROWS
        if search_filter.accepts(
            {
                "body": body,
                "meeting_date": date,
                **({"municipality": town} if town else {}),
                **({"case_number": case} if case else {}),
            }
        )
    ]
    assert passing(facets, search_filter) == expected
