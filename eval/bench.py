"""`referat bench`: index minutes into a fresh index and measure speed and memory on its chunks.

One run measures, on the same chunks: the embedder's raw encode throughput (the machine's
ceiling), the whole indexing pipeline and where its time goes, an unchanged re-index, warm
end-to-end ``ask`` latency and peak memory. The query phase runs in a child process
(``python -m eval.bench --query-phase``) so that its peak memory is the serving process's own,
not the indexer's.
"""

from __future__ import annotations

import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from index.catalog import Catalog, ItemRecord
from index.chunking import chunk_meeting
from index.embedder import Embedder, Vectors
from index.models import Chunk
from index.open import LexicalRebuilder, open_store
from index.parsing import parse_paths
from index.pipeline import Indexer, LexicalBuilder
from index.settings import Settings
from index.store import SearchFilter, VectorStore

MIN_QUERIES = 50
WARM_UP_QUERIES = 3
WARM_UP_PASSAGES = 32


# -- timing seams: the pipeline's own backends, wrapped so the profile needs no hooks in it ----
@dataclass
class Stopwatch:
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, part: str, started: float) -> None:
        self.seconds[part] = self.seconds.get(part, 0.0) + time.perf_counter() - started


class TimedEmbedder:
    def __init__(self, inner: Embedder, watch: Stopwatch) -> None:
        self.inner, self.watch = inner, watch
        self.name, self.dimension = inner.name, inner.dimension
        self.passages = 0

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        started = time.perf_counter()
        try:
            return self.inner.embed_passages(texts)
        finally:
            self.passages += len(texts)
            self.watch.add("embed", started)

    def embed_query(self, text: str) -> Vectors:
        return self.inner.embed_query(text)


class TimedStore:
    def __init__(self, inner: VectorStore, watch: Stopwatch) -> None:
        self.inner, self.watch = inner, watch

    def upsert(self, chunks: Sequence[Chunk], vectors: Vectors, file_key: str) -> None:
        started = time.perf_counter()
        try:
            self.inner.upsert(chunks, vectors, file_key)
        finally:
            self.watch.add("vector store", started)

    def delete_file(self, file_key: str) -> None:
        started = time.perf_counter()
        try:
            self.inner.delete_file(file_key)
        finally:
            self.watch.add("vector store", started)

    def query(
        self, vector: Vectors, k: int, search_filter: SearchFilter | None = None
    ) -> list[tuple[str, float]]:
        return self.inner.query(vector, k, search_filter)

    def similarities(self, vector: Vectors, ids: Sequence[str]) -> list[tuple[str, float]]:
        return self.inner.similarities(vector, ids)

    def count(self) -> int:
        return self.inner.count()


class TimedLexical:
    def __init__(self, inner: LexicalBuilder, watch: Stopwatch) -> None:
        self.inner, self.watch = inner, watch

    def exists(self) -> bool:
        return self.inner.exists()

    def rebuild(self, catalog: Catalog) -> None:
        started = time.perf_counter()
        try:
            self.inner.rebuild(catalog)
        finally:
            self.watch.add("lexical index", started)


# -- the result --------------------------------------------------------------------------------
@dataclass(frozen=True)
class BenchResult:
    embed_model: str
    embedder: dict[str, Any]
    machine: dict[str, Any]
    files: int
    meetings: int
    items: int
    chunks: int
    encode_sample: int
    encode_chunks_per_s: float
    index_s: float
    index_chunks_per_s: float
    reindex_unchanged_s: float
    profile_s: dict[str, float]
    parse_chunk_s: float
    queries: int
    query_p50_ms: float
    query_p95_ms: float
    query_max_ms: float
    peak_rss_mb: float
    serve_peak_rss_mb: float
    serve_open_s: float
    serve_warm_up_s: float
    answered: int
    latencies_ms: tuple[float, ...]

    @property
    def pipeline_vs_encode(self) -> float:
        return self.index_chunks_per_s / self.encode_chunks_per_s if self.encode_chunks_per_s else 0

    @property
    def reindex_share(self) -> float:
        return self.reindex_unchanged_s / self.index_s if self.index_s else 0.0

    def as_dict(self, with_latencies: bool = False) -> dict[str, Any]:
        data = asdict(self)
        if not with_latencies:
            del data["latencies_ms"]
        data["pipeline_vs_encode"] = round(self.pipeline_vs_encode, 3)
        data["reindex_share"] = round(self.reindex_share, 4)
        return data


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB.

    VmHWM, not ru_maxrss: Linux carries ru_maxrss over an exec, so a child started by a big
    parent would report the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine_facts() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        memory_gib = 0.0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_gib, 1),
        "python": platform.python_version(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def embedder_facts(embedder: Embedder) -> dict[str, Any]:
    facts: dict[str, Any] = {"name": embedder.name, "dimension": embedder.dimension}
    for attribute in ("batch_size", "precision", "model_path_or_name"):
        if hasattr(embedder, attribute):
            facts[attribute] = getattr(embedder, attribute)
    if "precision" in facts:
        import torch

        facts["torch_threads"] = torch.get_num_threads()
    return facts


# -- questions -----------------------------------------------------------------------------------
_TEMPLATES = (
    "Hvad blev der besluttet om {title}?",
    "Hvad står der om {title}?",
    "Hvornår behandlede {body} {title}?",
    "What was decided about {title}?",
)


def generated_questions(records: Iterable[ItemRecord], count: int, seed: int = 7) -> list[str]:
    """Varied questions about items of the index: decisions, facts, bodies, English, archive."""
    open_items = [r for r in records if not r.item.closed and r.title.strip()]
    rng = random.Random(seed)
    rng.shuffle(open_items)
    questions: list[str] = []
    for n, record in enumerate(open_items[:count]):
        if n % 10 == 9:
            month = record.meeting_date[:7]
            questions.append(f"Hvilke sager behandlede {record.body} i {month}?")
            continue
        template = _TEMPLATES[n % len(_TEMPLATES)]
        questions.append(template.format(title=record.title.rstrip(" ?."), body=record.body))
    while questions and len(questions) < count:  # a small index: repeat with other wording
        questions.append(f"Er der truffet beslutning om {questions[len(questions) % 7][:60]}")
    return questions


# -- the run -----------------------------------------------------------------------------------
def chunk_texts(paths: Sequence[str | Path]) -> list[str]:
    """The texts the indexer will embed for ``paths`` (files it cannot read give none)."""
    result = parse_paths(paths)
    return [c.embed_text for m in result.meetings for c in chunk_meeting(m, m.source)]


def _sample(texts: Sequence[str], size: int, seed: int = 11) -> list[str]:
    if size <= 0 or size >= len(texts):
        return list(texts)
    return random.Random(seed).sample(list(texts), size)


def run_bench(
    paths: Sequence[str | Path],
    settings: Settings,
    embedder: Embedder,
    *,
    questions: Sequence[str] | None = None,
    encode_sample: int = 2000,
    query_count: int = 60,
    progress: Callable[[str], None] = lambda _: None,
) -> BenchResult:
    """Index ``paths`` into ``settings.db_dir`` (which must be new or empty) and measure."""
    db_dir = settings.db_dir
    if db_dir.exists() and any(db_dir.iterdir()):
        raise FileExistsError(
            f"{db_dir} is not empty; the benchmark builds a fresh index. Give --db a new folder."
        )
    # The chunk texts first, parsed and chunked as the indexer does, so the raw encode runs
    # before the pipeline and both find the model equally warm.
    started = time.perf_counter()
    texts = chunk_texts(paths)
    parse_chunk_s = time.perf_counter() - started
    sample = _sample(texts, encode_sample)
    embedder.embed_passages(sample[:WARM_UP_PASSAGES])  # loads the model; first-shape costs
    progress(f"raw encode of {len(sample)} of the {len(texts)} chunks ...")
    started = time.perf_counter()
    embedder.embed_passages(sample)
    encode_s = time.perf_counter() - started

    watch = Stopwatch()
    timed = TimedEmbedder(embedder, watch)
    catalog = Catalog.open(db_dir)
    indexer = Indexer(
        db_dir,
        catalog,
        TimedStore(open_store(settings), watch),
        timed,
        TimedLexical(LexicalRebuilder(db_dir), watch),
    )
    progress("indexing ...")
    started = time.perf_counter()
    summary = indexer.run(paths)
    index_s = time.perf_counter() - started
    progress(f"indexed {summary.chunks} chunks in {index_s:.1f} s; re-indexing unchanged ...")
    started = time.perf_counter()
    again = indexer.run(paths)
    reindex_s = time.perf_counter() - started
    if again.indexed:
        raise RuntimeError("an unchanged re-index embedded files again")

    profile = {part: round(seconds, 2) for part, seconds in watch.seconds.items()}
    profile["read, parse, chunk, catalog"] = round(index_s - sum(watch.seconds.values()), 2)

    if questions is None:
        questions = generated_questions(catalog.items_where(), max(query_count, MIN_QUERIES))
    progress(f"asking {len(questions)} questions in a fresh process ...")
    served = query_phase(settings, questions)
    latencies = tuple(served["latencies_ms"])
    stats = catalog.stats()
    catalog.close()
    return BenchResult(
        embed_model=embedder.name,
        embedder=embedder_facts(embedder),
        machine=machine_facts(),
        files=summary.files,
        meetings=stats.meetings,
        items=stats.items,
        chunks=stats.chunks,
        encode_sample=len(sample),
        encode_chunks_per_s=round(len(sample) / encode_s, 2) if encode_s else 0.0,
        index_s=round(index_s, 2),
        index_chunks_per_s=round(summary.chunks / index_s, 2) if index_s else 0.0,
        reindex_unchanged_s=round(reindex_s, 3),
        profile_s=profile,
        parse_chunk_s=round(parse_chunk_s, 2),
        queries=len(latencies),
        query_p50_ms=round(percentile(latencies, 50), 1),
        query_p95_ms=round(percentile(latencies, 95), 1),
        query_max_ms=round(max(latencies), 1),
        peak_rss_mb=round(peak_rss_mb(), 1),
        serve_peak_rss_mb=round(float(served["peak_rss_mb"]), 1),
        serve_open_s=float(served["open_s"]),
        serve_warm_up_s=float(served["warm_up_s"]),
        answered=int(served["found"]),
        latencies_ms=latencies,
    )


def query_phase(
    settings: Settings, questions: Sequence[str], reader: str | None = None
) -> dict[str, Any]:
    """Ask ``questions`` in a child process with the index opened as ``referat serve`` does,
    with the reader ``reader`` names (REFERAT_READER; None: as the settings say)."""
    env = {
        **os.environ,
        "REFERAT_DATA_DIR": str(settings.data_dir),
        "REFERAT_DB": str(settings.db_dir),
        "REFERAT_EMBED_MODEL": settings.embed_model,
    }
    if reader is not None:
        env["REFERAT_READER"] = reader
    elif settings.reader:
        env["REFERAT_READER"] = settings.reader
    if settings.chroma_url:
        env["REFERAT_CHROMA_URL"] = settings.chroma_url
    completed = subprocess.run(
        [sys.executable, "-m", "eval.bench", "--query-phase"],
        input=json.dumps(list(questions)),
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the query phase failed:\n{completed.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def ask_bench(
    settings: Settings,
    questions: Sequence[str] | None = None,
    readers: Sequence[str] = ("off", "model"),
    query_count: int = 60,
) -> dict[str, dict[str, Any]]:
    """Warm ``ask`` latency on the existing index in ``settings.db_dir``, once per reader
    (``REFERAT_READER`` values): p50, p95, max, answered, serving memory, model load."""
    catalog = Catalog.open(settings.db_dir)
    try:
        if questions is None:
            questions = generated_questions(catalog.items_where(), max(query_count, MIN_QUERIES))
        stats = catalog.stats()
    finally:
        catalog.close()
    out: dict[str, dict[str, Any]] = {}
    for reader in readers:
        served = query_phase(settings, questions, reader)
        latencies = served["latencies_ms"]
        out[reader] = {
            "meetings": stats.meetings,
            "items": stats.items,
            "queries": len(latencies),
            "query_p50_ms": round(percentile(latencies, 50), 1),
            "query_p95_ms": round(percentile(latencies, 95), 1),
            "query_max_ms": round(max(latencies), 1),
            "answered": int(served["found"]),
            "serve_peak_rss_mb": round(float(served["peak_rss_mb"]), 1),
            "serve_warm_up_s": float(served["warm_up_s"]),
            "reader": served.get("reader"),
        }
    return out


def format_ask_table(figures: dict[str, dict[str, Any]]) -> str:
    readers = list(figures)
    lines = ["| figure | " + " | ".join(f"reader {r}" for r in readers) + " |"]
    lines.append("|---|" + "---|" * len(readers))
    for key in (
        "meetings",
        "queries",
        "query_p50_ms",
        "query_p95_ms",
        "query_max_ms",
        "answered",
        "serve_peak_rss_mb",
        "serve_warm_up_s",
        "reader",
    ):
        lines.append(f"| {key} | " + " | ".join(str(figures[r][key]) for r in readers) + " |")
    return "\n".join(lines)


def _query_phase_main() -> None:
    from index.settings import load_settings
    from rag.engine import Engine

    questions: list[str] = json.loads(sys.stdin.read())
    started = time.perf_counter()
    engine = Engine.open(load_settings())  # catalog, vector store and the persisted BM25 index
    open_s = time.perf_counter() - started
    started = time.perf_counter()
    for question in questions[:WARM_UP_QUERIES]:
        engine.ask(question)  # the first loads the model
    warm_up_s = time.perf_counter() - started
    latencies, found = [], 0
    for question in questions:
        started = time.perf_counter()
        answer = engine.ask(question)
        latencies.append(round((time.perf_counter() - started) * 1000, 2))
        found += answer.found
    print(
        json.dumps(
            {
                "latencies_ms": latencies,
                "found": found,
                "peak_rss_mb": peak_rss_mb(),
                "open_s": round(open_s, 3),
                "warm_up_s": round(warm_up_s, 3),
                "reader": getattr(engine.reader, "name", None),
            }
        )
    )


# -- output --------------------------------------------------------------------------------------
_ROWS = (
    ("chunks", "chunks", "{:,}"),
    ("meetings", "meetings", "{:,}"),
    ("encode_chunks_per_s", "raw encode, chunks/s", "{:.1f}"),
    ("index_chunks_per_s", "pipeline, chunks/s", "{:.1f}"),
    ("pipeline_vs_encode", "pipeline / raw encode", "{:.2f}"),
    ("index_s", "index, s", "{:.1f}"),
    ("reindex_unchanged_s", "unchanged re-index, s", "{:.2f}"),
    ("reindex_share", "re-index / index", "{:.1%}"),
    ("query_p50_ms", "query p50, ms", "{:.0f}"),
    ("query_p95_ms", "query p95, ms", "{:.0f}"),
    ("peak_rss_mb", "peak memory indexing, MB", "{:,.0f}"),
    ("serve_peak_rss_mb", "peak memory serving, MB", "{:,.0f}"),
    ("serve_open_s", "open index (BM25 load), s", "{:.2f}"),
    ("serve_warm_up_s", f"first {WARM_UP_QUERIES} asks (model load), s", "{:.2f}"),
)


def format_table(result: BenchResult) -> str:
    data = result.as_dict()
    lines = [f"| figure | {result.embed_model} |", "|---|---|"]
    lines += [f"| {label} | {fmt.format(data[key])} |" for key, label, fmt in _ROWS]
    return "\n".join(lines)


def format_profile(result: BenchResult) -> str:
    lines = ["| part of indexing | seconds | share |", "|---|---|---|"]
    for part, seconds in sorted(result.profile_s.items(), key=lambda kv: -kv[1]):
        share = seconds / result.index_s if result.index_s else 0.0
        lines.append(f"| {part} | {seconds:.1f} | {share:.0%} |")
    return "\n".join(lines)


def plot_latency(latencies_ms: Sequence[float], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display here, and none needed
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 3.6), dpi=110)
    axis.hist(latencies_ms, bins=min(40, max(10, len(latencies_ms) // 3)), color="#3b6ea5")
    for q, style in ((50, "-"), (95, "--")):
        value = percentile(latencies_ms, q)
        axis.axvline(value, color="#c0392b", linestyle=style, label=f"p{q} {value:.0f} ms")
    axis.set_xlabel("warm ask latency (ms)")
    axis.set_ylabel("questions")
    axis.set_title(title)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def write_report(result: BenchResult, folder: Path, paths: Sequence[str | Path]) -> Path:
    """bench.json, latency.png and report.md in ``folder``; returns the report's path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bench.json").write_text(
        json.dumps(result.as_dict(with_latencies=True), indent=2, ensure_ascii=False) + "\n"
    )
    plot_latency(result.latencies_ms, folder / "latency.png", f"{result.queries} questions")
    machine = result.machine
    report = "\n".join(
        [
            f"# referat bench, {datetime.now().isoformat(timespec='seconds')}",
            "",
            f"Minutes: {', '.join(str(p) for p in paths)}",
            f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB"
            f" (load average at the end: {machine['load_average_1m']})",
            f"Embedder: {json.dumps(result.embedder, ensure_ascii=False)}",
            f"Raw encode measured on {result.encode_sample} of the {result.chunks} chunks.",
            "",
            format_table(result),
            "",
            "## Where indexing time goes",
            "",
            format_profile(result),
            "",
            f"Reading, parsing and chunking alone, timed apart before indexing:"
            f" {result.parse_chunk_s:.1f} s.",
            "",
            "## Latency",
            "",
            f"{result.queries} warm questions, each a whole `ask` (retrieval and answer);"
            f" max {result.query_max_ms:.0f} ms; {result.answered} answered, the rest refused.",
            "",
            "![latency](latency.png)",
            "",
        ]
    )
    path = folder / "report.md"
    path.write_text(report)
    return path


def default_results_dir(root: Path) -> Path:
    return root / "results" / f"bench-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


if __name__ == "__main__":
    if sys.argv[1:] == ["--query-phase"]:
        _query_phase_main()
    else:
        sys.exit("usage: python -m eval.bench --query-phase  (use `referat bench` instead)")
