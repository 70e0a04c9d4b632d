"""The Chroma backend against the in-memory fake: same answers, embedded and as a real server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from index.chroma_store import ChromaVectorStore, StoreUnavailable
from index.hash_embedder import HashEmbedder
from index.models import Chunk
from index.store import MemoryVectorStore, SearchFilter, VectorStore

TEXTS = [
    ("Direktionen", "2024-02-01", "24/1", "Solgården udvides med 24 plejeboliger."),
    ("Direktionen", "2024-03-01", "24/2", "Kunstgræsbanen i Hundige renoveres."),
    ("Byrådet", "2024-05-07", "24/1", "Godkendt som indstillet af Økonomiudvalget."),
    ("Byrådet", "2023-10-10", "23/9", "Budget 2024 vedtaget med 23 stemmer mod 2."),
]


def _chunks() -> list[Chunk]:
    return [
        Chunk(
            id=f"c{n}",
            text=text,
            embed_text=text,
            meeting_id=f"m{n}",
            item_id=f"m{n}:1:0",
            source=f"/f{n % 2}.txt",
            body=body,
            meeting_date=date,
            item_number=1,
            title=text[:20],
            section="Beslutning",
            is_decision=True,
            start=0,
            end=len(text),
            case_number=case,
        )
        for n, (body, date, case, text) in enumerate(TEXTS)
    ]


def _fill(store: VectorStore) -> HashEmbedder:
    embedder = HashEmbedder()
    chunks = _chunks()
    for file_key in ("/f0.txt", "/f1.txt"):
        mine = [c for c in chunks if c.source == file_key]
        store.upsert(mine, embedder.embed_passages([c.embed_text for c in mine]), file_key)
    return embedder


FILTERS = [
    None,
    SearchFilter(bodies=("Byrådet",)),
    SearchFilter(date_from="2024-01-01", date_to="2024-03-31"),
    SearchFilter(case_number="24/1"),
    SearchFilter(bodies=("Byrådet",), date_from="2024-01-01"),
]


def _same_as_memory(store: VectorStore) -> None:
    reference = MemoryVectorStore()
    embedder = _fill(reference)
    _fill(store)
    assert store.count() == 4
    query = embedder.embed_query("Solgården plejeboliger")
    for search_filter in FILTERS:
        got = store.query(query, 4, search_filter)
        want = reference.query(query, 4, search_filter)
        assert [c for c, _ in got] == [c for c, _ in want], search_filter
        assert np.allclose([s for _, s in got], [s for _, s in want], atol=1e-4)
    # Scores of named chunks, in the order asked, as a query gives them; unknown ids left out.
    named = store.similarities(query, ["c3", "nope", "c0"])
    assert [c for c, _ in named] == ["c3", "c0"]
    everything = dict(reference.query(query, 4))
    assert np.allclose([s for _, s in named], [everything["c3"], everything["c0"]], atol=1e-4)
    store.delete_file("/f0.txt")
    assert store.count() == 2
    assert {c for c, _ in store.query(query, 4)} == {"c1", "c3"}


def test_embedded_chroma_answers_like_the_fake(tmp_path: Path) -> None:
    _same_as_memory(ChromaVectorStore.open(tmp_path))


def test_a_bad_server_url_gives_advice(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="chroma run"):
        ChromaVectorStore.open(tmp_path, "http://127.0.0.1:9")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    chroma = Path(sys.executable).parent / "chroma"
    if not chroma.exists():
        pytest.skip("the chroma command (shipped with chromadb) is not installed")
    port = _free_port()
    process = subprocess.Popen(
        [
            str(chroma),
            "run",
            "--path",
            str(tmp_path / "server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("chroma run did not start listening within 60 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.slow
def test_chroma_server_answers_like_the_fake(tmp_path: Path, chroma_server: str) -> None:
    _same_as_memory(ChromaVectorStore.open(tmp_path / "unused", chroma_server))


def test_the_store_searches_wide_enough_to_be_repeatable(tmp_path: Path) -> None:
    from index.chroma_store import SEARCH_EF, ChromaVectorStore

    store = ChromaVectorStore.open(tmp_path / "db", None)
    assert store._collection.configuration["hnsw"]["ef_search"] == SEARCH_EF
