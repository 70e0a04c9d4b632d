"""Shared fixtures: the deterministic fake embedder, an in-memory store, paths to test data."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.hash_embedder import HashEmbedder
from index.store import MemoryVectorStore

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "demo"
SHARED = REPO.parent / "shared"


@pytest.fixture
def fake_embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def memory_store() -> MemoryVectorStore:
    return MemoryVectorStore()


@pytest.fixture
def shared_dir() -> Path:
    """../shared beside the repository; tests that need it skip cleanly when it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present beside the repository")
    return SHARED
