"""A deterministic, model-free embedder: hashed word features. The fake shipped beside the real one.

Tests use it (and so can a user with ``--embed-model hash`` to try referat without a model):
texts that share words get similar vectors, identical texts identical vectors, and nothing is
downloaded or loaded.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from index.embedder import Vectors

_WORD = re.compile(r"\w+", re.UNICODE)


class HashEmbedder:
    name = "hash"

    def __init__(self, dimension: int = 256) -> None:
        self.dimension = dimension
        self.calls = 0  # how many embed calls were made: tests check that unchanged files cost none

    def _vector(self, text: str) -> Vectors:
        vector = np.zeros(self.dimension, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            # The word and its first five letters: "solgårdens" still meets "solgården".
            for feature in {word, word[:5]}:
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                index = int.from_bytes(digest[:4], "little") % self.dimension
                vector[index] += 1.0 if digest[4] & 1 else -1.0
        norm = float(np.linalg.norm(vector))
        if norm == 0.0:
            vector[0] = 1.0
            return vector
        return vector / norm

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        self.calls += 1
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts])

    def embed_query(self, text: str) -> Vectors:
        self.calls += 1
        return self._vector(text)
