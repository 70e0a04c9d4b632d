"""The embedding seam: one small protocol, a real sentence-transformers backend, and nothing else.

e5-style models need ``query: `` / ``passage: `` prefixes, so queries and passages go through
separate methods. A deterministic fake for tests lives in ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    #: Identifies the model that built an index; asking with another one is refused.
    name: str
    dimension: int

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        """Unit-length vectors, one row per text."""
        ...

    def embed_query(self, text: str) -> Vectors:
        """A unit-length vector of shape (dimension,)."""
        ...
