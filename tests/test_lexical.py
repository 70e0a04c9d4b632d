from __future__ import annotations

import json
import random
import statistics
import time
from pathlib import Path

import pytest

from index.lexical import RELATED_WEIGHT, SPLIT_WEIGHT, LexicalIndex

DOCS = {
    "solgaarden": "Plejecentret Solgården udvides med 70 nye pladser til borgere med demens.",
    "solbakken": "Plejehjemmet Solbakken får nyt køkken. Pladser og borgere er uændrede.",
    "solceller": "Solceller på rådhusets tag skal levere strøm til 70 husstande.",
    "gaarden": "Gården ved skolen får ny belægning og nye cykelpladser.",
    "kunstgraes": "Kunstgræsbanen ved Fjordby Idrætspark skal renoveres for 2,5 mio. kr.",
    "bane": "Banen ved skolen lukkes, og en ny bane til løb anlægges.",
    "deloitte": "Deloittes analyse af det specialiserede børneområde må koste 460.000 kr.",
    "sag": "Byrådet godkendte sag 17/163 om takster for kørsel.",
    "budget": "Økonomiudvalget drøftede budgettet og regnskabet for 2022.",
    "pleje": "Pleje og omsorg i hjemmeplejen. Et nyt center for træning.",
    "center": "Et center for træning og en bane til atletik.",
}


@pytest.fixture(scope="module")
def index() -> LexicalIndex:
    return LexicalIndex.build(list(DOCS), list(DOCS.values()))


def _top(index: LexicalIndex, query: str, k: int = 10) -> list[str]:
    return [chunk_id for chunk_id, _ in index.search(query, k)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Solgaardens pladser", "solgaarden"),  # genitive, aa spelling
        ("Hvad blev der besluttet om Solgården?", "solgaarden"),
        ("plejecenter Solgaarden", "solgaarden"),  # indefinite vs "Plejecentret"
        ("kunstgræsbane", "kunstgraes"),  # "Kunstgræsbanen"
        ("sag 17/163", "sag"),
        ("17/163", "sag"),
        ("460000", "deloitte"),  # written "460.000"
        ("Deloitte analysen", "deloitte"),
        ("oekonomiudvalgets budget", "budget"),
    ],
)
def test_the_right_document_comes_first(index: LexicalIndex, query: str, expected: str) -> None:
    assert _top(index, query)[0] == expected


def test_genitive_query_beats_distractors_that_share_other_words(index: LexicalIndex) -> None:
    ranked = _top(index, "Solgårdens 70 pladser")
    # "solbakken" shares "pladser", "solceller" shares "70", "gaarden" only looks similar.
    assert ranked[0] == "solgaarden"
    assert ranked.index("solgaarden") < ranked.index("solbakken")
    assert ranked.index("solgaarden") < ranked.index("solceller")


def test_a_compound_part_matches_modestly(index: LexicalIndex) -> None:
    hits = dict(index.search("bane", 10))
    ranked = _top(index, "bane")
    # The word itself first, then the compound "Kunstgræsbanen", with a lower score.
    assert set(ranked[:2]) == {"bane", "center"}
    assert ranked[2] == "kunstgraes"
    assert 0 < hits["kunstgraes"] < min(hits["bane"], hits["center"])
    assert "gaarden" not in hits


def test_parts_of_a_compound_query_match_the_words(index: LexicalIndex) -> None:
    # No document says "træningscenter", but two have "center" and "træning" as words.
    terms = index.query_terms("træningscenter")
    assert terms == {"cent": SPLIT_WEIGHT, "træning": SPLIT_WEIGHT}
    assert set(_top(index, "træningscenter")) == {"pleje", "center"}


def test_a_compound_query_found_whole_is_not_split(index: LexicalIndex) -> None:
    assert index.query_terms("plejecentret") == {"plejecent": 1.0}
    assert _top(index, "plejecentret") == ["solgaarden"]


def test_a_word_of_one_chunk_only_is_not_trusted_as_a_part() -> None:
    # "bane" is in one chunk only (MIN_PART_DF is 2): "Kunstgræsbanen" is not split on it.
    index = LexicalIndex.build(["a", "b"], ["Kunstgræsbanen er ny.", "En bane ved hallen."])
    assert _top(index, "bane") == ["b"]
    index = LexicalIndex.build(
        ["a", "b", "c"], ["Kunstgræsbanen er ny.", "En bane ved hallen.", "Banen er lukket."]
    )
    assert _top(index, "bane")[-1] == "a"


def test_scores_are_positive_sorted_and_limited_to_k(index: LexicalIndex) -> None:
    hits = index.search("ny pladser skolen borgere", 3)
    assert len(hits) == 3
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(s > 0 for s in scores)
    assert index.search("ny", 0) == []


def test_nothing_found_is_an_empty_list(index: LexicalIndex) -> None:
    assert index.search("parkeringsafgifter Roskilde", 5) == []
    assert index.search("og i at det", 5) == []  # stop words only
    assert index.search("", 5) == []


def test_allowed_ids_filter_the_result(index: LexicalIndex) -> None:
    everything = index.search("pladser", 10)
    assert {c for c, _ in everything} >= {"solgaarden", "solbakken"}
    only = index.search("pladser", 10, allowed_ids={"solbakken", "not-a-chunk"})
    assert only == [("solbakken", dict(everything)["solbakken"])]
    assert index.search("pladser", 10, allowed_ids=[]) == []
    assert index.search("pladser", 10, allowed_ids=["not-a-chunk"]) == []


def test_len_and_ids(index: LexicalIndex) -> None:
    assert len(index) == len(DOCS)
    assert index.ids == tuple(DOCS)


def test_save_load_round_trip(index: LexicalIndex, tmp_path: Path) -> None:
    folder = tmp_path / "lexical"
    index.save(folder)
    loaded = LexicalIndex.load(folder)
    assert len(loaded) == len(index)
    for query in ["Solgaardens pladser", "bane", "17/163", "460000", "pladser", "nyt køkken"]:
        assert loaded.search(query, 10) == index.search(query, 10)
        assert loaded.search(query, 10, {"solbakken", "bane"}) == index.search(
            query, 10, {"solbakken", "bane"}
        )
    mapped = LexicalIndex.load(folder, mmap=True)
    assert mapped.search("bane", 10) == index.search("bane", 10)


def test_save_replaces_an_existing_index_and_leaves_no_temporary_folders(
    index: LexicalIndex, tmp_path: Path
) -> None:
    folder = tmp_path / "lexical"
    LexicalIndex.build(["x"], ["noget helt andet"]).save(folder)
    index.save(folder)
    assert len(LexicalIndex.load(folder)) == len(DOCS)
    assert [p.name for p in tmp_path.iterdir()] == ["lexical"]


def test_load_refuses_another_analyzer_version(index: LexicalIndex, tmp_path: Path) -> None:
    folder = tmp_path / "lexical"
    index.save(folder)
    meta = json.loads((folder / "meta.json").read_text())
    (folder / "meta.json").write_text(json.dumps({**meta, "analyzer": -1}))
    with pytest.raises(ValueError, match="rebuild"):
        LexicalIndex.load(folder)


def test_load_of_a_missing_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        LexicalIndex.load(tmp_path / "nothing")


def test_empty_and_stopword_only_corpora(tmp_path: Path) -> None:
    for ids, texts in [([], []), (["a", "b"], ["og i at", ""])]:
        index = LexicalIndex.build(ids, texts)
        assert len(index) == len(ids)
        assert index.search("og noget", 5) == []
        index.save(tmp_path / "empty")
        assert LexicalIndex.load(tmp_path / "empty").search("noget", 5) == []


def test_documents_without_terms_do_not_break_the_rest() -> None:
    index = LexicalIndex.build(["a", "b", "c"], ["", "Solgården", "og i at"])
    assert index.search("solgaarden", 5)[0][0] == "b"


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="ids for"):
        LexicalIndex.build(["a"], ["x", "y"])
    with pytest.raises(ValueError, match="unique"):
        LexicalIndex.build(["a", "a"], ["x", "y"])


def test_ties_are_broken_by_index_order() -> None:
    index = LexicalIndex.build(["b", "a", "c"], ["Solgården", "Solgården", "Solgården"])
    assert [c for c, _ in index.search("solgården", 3)] == ["b", "a", "c"]
    assert [c for c, _ in index.search("solgården", 2)] == ["b", "a"]


@pytest.mark.slow
def test_speed_on_100k_synthetic_chunks() -> None:
    """Build and query time on 100k chunks of ~100 Zipf-distributed words (see the report)."""
    rng = random.Random(7)
    syllables = ["ka", "bo", "ne", "ri", "ta", "sk", "lo", "ve", "mø", "då", "gr", "fe", "ul"]
    words = sorted({"".join(rng.choices(syllables, k=rng.randint(2, 5))) for _ in range(60_000)})
    words += [rng.choice(words) + rng.choice(words) for _ in range(20_000)]
    cumulative = []
    total = 0.0
    for rank in range(len(words)):
        total += 1 / (rank + 1) ** 0.9
        cumulative.append(total)
    texts = [
        " ".join(rng.choices(words, cum_weights=cumulative, k=100)) + f" {n % 30}/{n}"
        for n in range(100_000)
    ]
    ids = [f"c{n}" for n in range(len(texts))]
    start = time.perf_counter()
    index = LexicalIndex.build(ids, texts)
    build = time.perf_counter() - start
    timings = []
    for _ in range(100):
        query = " ".join(rng.choices(words, k=5))
        start = time.perf_counter()
        index.search(query, 100)
        timings.append(time.perf_counter() - start)
    print(f"build {build:.1f}s, query median {1000 * statistics.median(timings):.2f} ms")
    assert statistics.median(timings) < 0.05


def test_a_verb_finds_the_noun_for_the_same_act() -> None:
    docs = {
        "salg": "Lukket: Salg af de utidssvarende boliger",
        "boliger": "Nye boliger ved stationen.",
    }
    index = LexicalIndex.build(list(docs), list(docs.values()))
    terms = index.query_terms("Skal boligerne sælges?")
    assert terms["salg"] == RELATED_WEIGHT < terms["bol"] == 1.0
    ranked = _top(index, "Skal boligerne sælges?")
    assert ranked[0] == "salg"
