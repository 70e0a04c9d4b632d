"""Each chunk's filter fields (date, body, municipality, case) as arrays, for fast filtering.

A question with a filter ("i 2024", "Byrådet") needs the set of chunks it may draw on, for the
BM25 search and to filter the vector store's hits. Asking SQL for tens of thousands of chunk ids
per question, or letting Chroma filter on a date range, costs 50-120 ms on a whole
municipality's archive; a vectorised mask over these arrays costs well under one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from index.store import SearchFilter

Mask = npt.NDArray[np.bool_]


def _codes(values: Sequence[str | None]) -> tuple[npt.NDArray[np.int32], dict[str, int]]:
    """Each value as a small integer (-1 for None), and the code of each distinct value."""
    vocabulary: dict[str, int] = {}
    codes = np.fromiter(
        (-1 if v is None else vocabulary.setdefault(v, len(vocabulary)) for v in values),
        dtype=np.int32,
        count=len(values),
    )
    return codes, vocabulary


def _date_int(iso: str) -> int:
    return int(iso[:10].replace("-", "")) if iso else 0


@dataclass(frozen=True)
class ChunkFacets:
    ids: tuple[str, ...]
    position: dict[str, int]
    date_int: npt.NDArray[np.int32]
    body: npt.NDArray[np.int32]
    bodies: dict[str, int]
    municipality: npt.NDArray[np.int32]
    municipalities: dict[str, int]
    case: npt.NDArray[np.int32]
    cases: dict[str, int]

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, str, str | None, str | None]]) -> ChunkFacets:
        """From (chunk id, meeting date, body, municipality, case number) rows."""
        listed = list(rows)
        ids = tuple(r[0] for r in listed)
        body, bodies = _codes([r[2] for r in listed])
        municipality, municipalities = _codes([r[3] for r in listed])
        case, cases = _codes([r[4] for r in listed])
        return cls(
            ids=ids,
            position={chunk_id: n for n, chunk_id in enumerate(ids)},
            date_int=np.fromiter((_date_int(r[1]) for r in listed), np.int32, len(listed)),
            body=body,
            bodies=bodies,
            municipality=municipality,
            municipalities=municipalities,
            case=case,
            cases=cases,
        )

    def __len__(self) -> int:
        return len(self.ids)

    def mask(self, search_filter: SearchFilter) -> Mask:
        """Which chunks the filter lets through (the same rules as ``SearchFilter.accepts``)."""
        keep = np.ones(len(self.ids), dtype=bool)
        if search_filter.bodies:
            codes = [self.bodies[b] for b in search_filter.bodies if b in self.bodies]
            keep &= np.isin(self.body, codes)
        for value, codes_of, column in (
            (search_filter.municipality, self.municipalities, self.municipality),
            (search_filter.case_number, self.cases, self.case),
        ):
            if value:
                keep &= column == codes_of.get(value, -2)
        if search_filter.date_from:
            keep &= self.date_int >= _date_int(search_filter.date_from)
        if search_filter.date_to:
            keep &= self.date_int <= _date_int(search_filter.date_to)
        return keep

    def allowed_ids(self, search_filter: SearchFilter) -> set[str]:
        ids = self.ids
        return {ids[n] for n in np.flatnonzero(self.mask(search_filter))}

    def keep(self, hits: Iterable[tuple[str, float]], mask: Mask) -> list[tuple[str, float]]:
        """The hits whose chunk the mask lets through (unknown chunks are dropped)."""
        position = self.position
        return [hit for hit in hits if (n := position.get(hit[0])) is not None and mask[n]]
