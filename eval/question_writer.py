"""Questions for the reader's training, written by a small local language model.

Template questions ("Hvor meget <the words before the amount>?") repeat the passage's own
words; real users do not. This script has a small instruction model write one question per
sentence in other words, from the training meetings only (Greve 2022-2023, never a meeting an
evaluation file asks about). It runs in two steps, because the model's runtime is not one of
referat's dependencies:

1. ``python -m eval.question_writer export OUT.jsonl`` (referat's venv): the sentences, one
   per line with the item they come from (``item_key``, ``title``, ``section``, ``sentence``).
2. ``PYTHON -m eval.question_writer write SENTENCES.jsonl QUESTIONS.jsonl --model GGUF`` with a
   Python that has ``llama_cpp`` (``pip install llama-cpp-python``): appends
   ``{..., "question": ...}`` lines as it goes, so a run that stops can be resumed.

The model used here is Qwen2.5-Coder-1.5B-Instruct in GGUF Q4_K_M form (Apache-2.0 upstream);
it is only used to write training questions and is not shipped or needed at run time.
``eval.reader_pairs.written_pairs`` turns the questions into training pairs.

This module imports only the standard library at module level: step 2 runs without referat's
dependencies.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

SYSTEM = (
    "Du skriver ét kort spørgsmål på dansk, som en borger eller journalist ville stille, og "
    "som sætningen besvarer. Brug andre ord end sætningen. Skriv kun spørgsmålet."
)
#: A few worked examples (fictional, none from any evaluated minutes): without them the
#: model answers, summarises or copies the sentence.
SHOTS = (
    (
        "Sag: Ny daginstitution i Karlslunde\nSætning: Byggeriet forventes færdigt i marts "
        "2024, og institutionen får plads til 120 børn.",
        "Hvornår står den nye børnehave i Karlslunde klar?",
    ),
    (
        "Sag: Vejbelysning\nSætning: Udskiftningen til LED koster 4,1 mio. kr. og sparer "
        "årligt 600.000 kr. på elregningen.",
        "Hvad koster det at skifte gadelygterne til LED?",
    ),
    (
        "Sag: Udbud af kørsel\nSætning: Opgaven blev vundet af Taxa Syd ApS, der var billigst.",
        "Hvem skal køre for kommunen?",
    ),
    (
        "Sag: Skolestruktur\nSætning: Udvalget anbefaler, at de to skoler lægges sammen fra "
        "skoleåret 2025/26.",
        "Skal skolerne slås sammen?",
    ),
    (
        "Sag: Trafiksikkerhed på Ringvejen\nSætning: Politiet har registreret 14 uheld på "
        "strækningen siden 2019.",
        "Hvor mange ulykker har der været på Ringvejen?",
    ),
    (
        "Sag: Klimaplan\nSætning: Planen skal sikre, at kommunens udledning af CO2 er "
        "halveret i 2030 i forhold til 2018.",
        "Hvad er målet for CO2 i klimaplanen?",
    ),
)


def messages(title: str, sentence: str) -> list[dict[str, str]]:
    """The chat for one sentence. All examples, in one order: their different question forms
    keep the model from asking "Hvilke ...?" of every sentence, and a prefix the same for
    every sentence is evaluated once (llama.cpp keeps it), which halves the time."""
    out = [{"role": "system", "content": SYSTEM}]
    for user, assistant in SHOTS:
        out += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    out.append({"role": "user", "content": f"Sag: {title}\nSætning: {sentence}"})
    return out


def clean_question(text: str, sentence: str) -> str | None:
    """The model's reply as one question, or None when it is not one: no question mark,
    too short or long, or the sentence copied."""
    line = text.strip().splitlines()[0].strip().strip('"').strip() if text.strip() else ""
    if not line.endswith("?") or not 3 <= len(line.split()) <= 25:
        return None
    if line.rstrip("?").strip().lower() in sentence.lower():
        return None
    return line


def export(out: Path, per_item: int, limit: int, seed: int) -> int:
    """Write the training meetings' sentences worth a question (see the module docstring)."""
    from eval.reader_pairs import SHAPES, _items, _sentences
    from eval.train_reader import TrainingConfig, default_minutes, load_minutes

    meetings = load_minutes(default_minutes())
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    items = _items(meetings)
    titles = Counter(it.item.title.casefold() for it in items)
    for it in items:
        # A title every meeting has ("Godkendelse af dagsorden") names no matter.
        if titles[it.item.title.casefold()] > 8:
            continue
        # Table rows ("Heraf børnehandicap | 19 | 15") are not sentences anyone asks about.
        sentences = [s for s in _sentences(it) if "|" not in s[1]]
        rng.shuffle(sentences)
        # Facts first (amounts, dates, names): what users ask and templates ask worst.
        sentences.sort(key=lambda s: not any(p.search(s[1]) for _, p, _ in SHAPES))
        for section, sentence in sentences[:per_item]:
            rows.append(
                {
                    "item_key": it.key,
                    "source": it.meeting.source,
                    "title": it.item.title,
                    "section": section,
                    "sentence": sentence,
                }
            )
    rng.shuffle(rows)
    if limit:
        rows = rows[:limit]
    with out.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} sentences from {len(meetings)} meetings written to {out}")
    print(f"(seed {seed}; validation meetings of train_reader seed {TrainingConfig.seed} kept)")
    return 0


def _done(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    return {row_key(json.loads(line)) for line in path.read_text().splitlines() if line.strip()}


def row_key(row: dict[str, Any]) -> str:
    return hashlib.md5((row["item_key"] + "\0" + row["sentence"]).encode()).hexdigest()


def write(sentences: Path, out: Path, model: Path, threads: int, seed: int) -> int:
    from llama_cpp import Llama

    llm = Llama(
        model_path=str(model),
        n_ctx=1024,
        n_threads=threads,
        n_threads_batch=threads,
        verbose=False,
        seed=seed,
    )
    rows = [json.loads(line) for line in sentences.read_text().splitlines() if line.strip()]
    done = _done(out)
    started = time.perf_counter()
    written = rejected = 0
    with out.open("a", encoding="utf-8") as handle:
        for row in _pending(rows, done):
            reply = llm.create_chat_completion(
                messages=messages(row["title"], row["sentence"]),
                max_tokens=40,
                temperature=0.2,
            )
            text = reply["choices"][0]["message"]["content"] or ""
            question = clean_question(text, row["sentence"])
            if question is None:
                rejected += 1
                question = ""
            else:
                written += 1
            handle.write(json.dumps({**row, "question": question}, ensure_ascii=False) + "\n")
            handle.flush()
            if (written + rejected) % 50 == 0:
                rate = (time.perf_counter() - started) / (written + rejected)
                print(f"{written} written, {rejected} rejected, {rate:.1f} s each", flush=True)
    print(f"done: {written} written, {rejected} rejected")
    return 0


def _pending(rows: Iterable[dict[str, Any]], done: set[str]) -> Iterable[dict[str, Any]]:
    return (row for row in rows if row_key(row) not in done)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.question_writer", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    ex = commands.add_parser("export", help="the training sentences, as JSONL")
    ex.add_argument("out", type=Path)
    ex.add_argument("--per-item", type=int, default=1)
    ex.add_argument("--limit", type=int, default=0)
    ex.add_argument("--seed", type=int, default=13)
    wr = commands.add_parser("write", help="a question per sentence, with llama_cpp")
    wr.add_argument("sentences", type=Path)
    wr.add_argument("out", type=Path)
    wr.add_argument("--model", type=Path, required=True, help="a GGUF instruction model")
    wr.add_argument("--threads", type=int, default=2)
    wr.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.command == "export":
        return export(args.out, args.per_item, args.limit, args.seed)
    return write(args.sentences, args.out, args.model, args.threads, args.seed)


if __name__ == "__main__":
    sys.exit(main())
