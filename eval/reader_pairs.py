"""Training pairs for the reader, mined from the minutes themselves. Pure: meetings in, pairs out.

No evaluation question is ever used. Each open agenda item gives question-like texts built by
simple templates from its own words, each paired with passages that answer it (label 1) and
passages that do not (label 0):

- **title**: "Hvad blev der besluttet om <the title's words>?" against the item's decision and
  Resume/Indstilling passages; hard negatives are other items' passages that BM25 finds for the
  same text, and another item of the same meeting.
- **fact**: a sentence deep in the item that states an amount, a date, a count, a share or a
  firm becomes "Hvor meget / Hvornår / Hvor mange / Hvem ... <some of its other words>?". The
  passage holding the sentence is a positive, BM25's passages of other items negatives; at the
  sentence level the sentence itself is a positive and the item's other sentences negatives
  (what to quote).
- **written**: a question a small language model wrote for one of the item's sentences
  (``eval.question_writer``: in other words than the sentence, as users ask), against the
  sentence (positive) and the item's other sentences (negatives), and against the passage
  holding it and BM25's passages of other items; its swapped form against that passage.
- **answered**: a question a person wrote for an item of the training meetings, with the
  literal words of the item that answer it (``read_answered``): the sentence holding them
  against the item's other sentences, those the question's words rank highest first (what to
  quote), and the passage holding them against BM25's passages of other items (ranking). A
  question the person marked as answered nowhere is a negative for the item it is closest to,
  its passages and its sentences alike (refusing).
- **swap**: a title or fact question with its rarest word replaced by a rare word of another
  item, against the passages that answered the original: a question that shares most words
  with an item but asks about something it does not mention is not answered by it (refusing).

Items of one case (same case number or same title) are never each other's negatives.

Since round 9 the answer no longer asks the reader which sentence to quote (the question's
words choose it, ``rag.answer.Quoting``); the sentence pairs stay, so that the shipped weights
can be rebuilt as they were trained.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.metrics import contains_all
from index.chunking import chunk_meeting
from index.danish import fold, term, tokenize
from index.models import AgendaItem, Chunk, Meeting
from rag.answer import scored_sentences, section_of, split_sentences
from rag.reader import passage_text


@dataclass(frozen=True)
class Pair:
    question: str
    passage: str
    label: int  # 1: the passage answers the question
    kind: str  # title, fact, fact-sentence, swap
    item_key: str  # the item the question was made from (for splits and reports)


_MONTHS = "januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december"
#: (shape, pattern that finds it, question templates for it)
SHAPES: tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...] = (
    (
        "amount",
        re.compile(
            r"\d[\d.,]*\s*(?:mio\.?|mia\.?|millioner|million|milliarder|t\.)?\s*kr\b\.?", re.I
        ),
        (
            "Hvor meget {x}?",
            "Hvad koster {x}?",
            "Hvor mange penge {x}?",
            "Hvad er beløbet for {x}?",
            "How much {x}?",
        ),
    ),
    (
        "share",
        re.compile(r"\d[\d,]*\s*(?:%|pct\b\.?|procent)", re.I),
        ("Hvor mange procent {x}?", "Hvor stor en andel {x}?", "What share {x}?"),
    ),
    (
        "date",
        re.compile(
            rf"\b\d{{1,2}}\.\s*(?:{_MONTHS})(?:\s+\d{{4}})?|\b(?:{_MONTHS})\s+\d{{4}}"
            r"|\b\d{1,2}[-./]\d{1,2}[-./]\d{2,4}\b",
            re.I,
        ),
        ("Hvornår {x}?", "Hvilken dato {x}?", "When {x}?"),
    ),
    (
        "firm",
        re.compile(r"\b[A-ZÆØÅ][\wæøå&-]+(?:\s+[A-ZÆØÅ&][\wæøå&-]*)*\s+(?:A/S|ApS|I/S|P/S)\b"),
        ("Hvilket firma {x}?", "Hvem {x}?", "Which company {x}?"),
    ),
    (
        "count",
        re.compile(rf"\b\d{{1,5}}\s+(?!kr\b|mio\b|mia\b|pct\b|procent\b|{_MONTHS})[a-zæøå]{{4,}}"),
        ("Hvor mange {noun} {x}?", "How many {noun} {x}?"),
    ),
)

TITLE_TEMPLATES = (
    "Hvad blev der besluttet om {x}?",
    "Hvad skete der med {x}?",
    "Hvad er status for {x}?",
    "Hvad besluttede {body} om {x}?",
    "Hvordan går det med {x}?",
    "{x}?",
    "What was decided about {x}?",
)
#: Sections whose passages answer "what was decided about ..." besides the decision.
SUMMARY_SECTIONS = frozenset({"Resume", "Indstilling", "Beslutning"})
#: Sections that hold no statements worth a question.
SKIPPED_SECTIONS = frozenset({"Bilag", "Sagsprocedure", "Sagsforløb", "Lovgrundlag"})
_WORD = re.compile(r"[^\W\d_][\wæøåÆØÅ-]*")


@dataclass(frozen=True)
class WrittenQuestion:
    """A question written for one sentence of an item (``eval.question_writer``)."""

    item_key: str
    section: str
    sentence: str
    question: str


def read_written(path: Path) -> list[WrittenQuestion]:
    """The questions of a ``question_writer`` file; rejected ones (empty) are left out."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if row.get("question"):
                out.append(
                    WrittenQuestion(
                        row["item_key"], row["section"], row["sentence"], row["question"]
                    )
                )
    return out


@dataclass(frozen=True)
class AnsweredQuestion:
    """A question written by a person for an item of a training meeting, with the words of the
    item that answer it ("" for a question no text of the meeting answers; ``item`` is then
    the item it is closest to)."""

    source: str  # the meeting's file name
    item: int  # the item's number
    question: str
    answer: str


class AnsweredFileError(ValueError):
    """A line of an answered-questions file that cannot be read; the message names it."""


def read_answered(path: Path) -> list[AnsweredQuestion]:
    """The questions of a JSON-lines file with ``file``, ``item``, ``question`` and ``answer``."""
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out.append(
                AnsweredQuestion(
                    Path(row["file"]).name, int(row["item"]), row["question"], row["answer"]
                )
            )
        except (ValueError, KeyError, TypeError) as error:
            raise AnsweredFileError(f"{path}, line {number}: {error!r}") from error
    return out


@dataclass(frozen=True)
class _Item:
    key: str
    meeting: Meeting
    item: AgendaItem
    chunks: tuple[Chunk, ...]

    @property
    def case(self) -> str:
        return self.item.case_number or ""


def content_words(text: str) -> list[str]:
    """The words of ``text`` in order that are not stop words or lone letters, as written."""
    return [w for w in _WORD.findall(text) if term(fold(w)) is not None and len(w) > 2]


def _phrase(words: Sequence[str], rng: random.Random, keep: tuple[int, int]) -> str:
    """Some of ``words`` in their order: between ``keep`` words, dropped at random."""
    if not words:
        return ""
    low, high = keep
    count = min(len(words), rng.randint(low, high))
    chosen = sorted(rng.sample(range(len(words)), count))
    return " ".join(words[i] for i in chosen)


def _items(meetings: Iterable[Meeting]) -> list[_Item]:
    out = []
    for meeting in meetings:
        chunks = list(chunk_meeting(meeting, meeting.source))
        by_item: dict[str, list[Chunk]] = {}
        for chunk in chunks:
            by_item.setdefault(chunk.item_id, []).append(chunk)
        for key, own in by_item.items():
            item = meeting.items[int(key.rsplit(":", 1)[1])]  # the id ends in its ordinal
            if item.closed:
                continue
            out.append(_Item(key, meeting, item, tuple(own)))
    return out


def chunk_passage(chunk: Chunk) -> str:
    return passage_text(chunk.title, chunk.section, chunk.text)


def _sentences(item: _Item) -> list[tuple[str, str]]:
    """(section, sentence) of the item's sections worth asking about, long enough to say
    something."""
    out = []
    for section in item.item.sections:
        if section.name in SKIPPED_SECTIONS:
            continue
        for sentence in split_sentences(section.text):
            if 8 <= len(sentence.split()) <= 60:
                out.append((section.name, sentence))
    return out


_PLAIN_WORD = re.compile(r"[^\W\d_][\wæøåÆØÅ/-]*")


def with_filler(phrase: str, common: Sequence[str], rng: random.Random) -> str:
    """``phrase`` with up to three of the archive's ``common`` words put in at random: a real
    question says more than the passage that answers it ("Hvad gør kommunen for at få ..."),
    and words every other item has must not make an answer look wrong."""
    if not common or rng.random() < 0.4:
        return phrase
    words = phrase.split()
    for _ in range(rng.randint(1, 3)):
        words.insert(rng.randint(0, len(words)), rng.choice(common))
    return " ".join(words)


def fact_question(
    sentence: str, title: str, rng: random.Random, common: Sequence[str] = ()
) -> tuple[str, str] | None:
    """(shape, question) asking for what ``sentence`` states, from the words around it; None
    when it states none of the shapes."""
    for shape, pattern, templates in SHAPES:
        match = pattern.search(sentence)
        if match is None:
            continue
        if len(content_words(sentence[: match.start()] + " " + sentence[match.end() :])) < 3:
            return None
        # The words nearest the value say what it is ("udgiften til taget ... 2,3 mio. kr."),
        # in their order, small words too, as a question would run.
        before = _PLAIN_WORD.findall(sentence[: match.start()])[-rng.randint(4, 8) :]
        after = _PLAIN_WORD.findall(sentence[match.end() :])[: rng.randint(0, 4)]
        near = before + after
        if rng.random() < 0.5 and len(near) > 4:
            del near[rng.randrange(len(near))]
        x = with_filler(" ".join(near), common, rng)
        if rng.random() < 0.4:
            extra = [w for w in content_words(title) if w.lower() not in x.lower()]
            if extra:
                x += " " + " ".join(rng.sample(extra, min(2, len(extra))))
        template = rng.choice(templates)
        noun = match.group(0).split()[-1] if shape == "count" else ""
        question = template.format(x=x, noun=noun)
        return shape, question[0].upper() + question[1:]
    return None


def title_question(item: _Item, rng: random.Random, common: Sequence[str] = ()) -> str | None:
    words = content_words(item.item.title)
    if len(words) < 2:
        return None
    if rng.random() < 0.5:
        x = item.item.title.split(" - ")[0].strip()
        x = x[:1].lower() + x[1:]
    else:
        x = _phrase(words, rng, (max(2, len(words) // 2), len(words)))
    x = with_filler(x, common, rng)
    template = rng.choice(TITLE_TEMPLATES)
    question = template.format(x=x, body=item.meeting.body)
    return question[0].upper() + question[1:]


def swapped(question: str, rare: Callable[[str], float], donor: Sequence[str]) -> str | None:
    """``question`` with its rarest content word replaced by the rarest of ``donor``'s words
    (another item's), or None when either has none."""
    own = [w for w in content_words(question) if len(w) >= 4]
    theirs = [w for w in donor if len(w) >= 6 and w.lower() not in question.lower()]
    if not own or not theirs:
        return None
    target = max(own, key=rare)
    replacement = max(theirs, key=rare)
    return re.sub(rf"\b{re.escape(target)}\b", replacement, question, count=1)


def item_sentences(item: AgendaItem, question: str) -> list[tuple[str | None, str]]:
    """(section, sentence) of every sentence the answer can quote from ``item`` (its decisions
    first, as ``rag.answer.Quoting`` reads them), those the question's words rank highest first."""
    texts = [d.text for d in item.decisions] + [s.text for s in item.sections]
    return [
        (section_of(item, sentence), sentence)
        for _, _, sentence in scored_sentences(question, texts, (), item.title)
    ]


def _answered_pairs(
    one: AnsweredQuestion,
    owner: _Item,
    hard_negatives: Callable[[str, _Item, int], list[Chunk]],
    rng: random.Random,
    sentence_negatives: int,
) -> list[Pair]:
    """The pairs of one written question (see the module docstring); none when its answer is
    not in its item's text."""
    title, key = owner.item.title, owner.key
    sentences = item_sentences(owner.item, one.question)
    if not one.answer:  # answered nowhere: its closest item's best passages and sentences
        out = [
            Pair(one.question, chunk_passage(c), 0, "answered-none", key) for c in owner.chunks[:3]
        ]
        out += [
            Pair(one.question, passage_text(title, section, sentence), 0, "answered-none", key)
            for section, sentence in sentences[:sentence_negatives]
        ]
        return out
    holding = [(s, t) for s, t in sentences if contains_all(t, [one.answer])]
    if not holding:
        return []
    out = [Pair(one.question, passage_text(title, *holding[0]), 1, "answered-sentence", key)]
    others = [(s, t) for s, t in sentences if not contains_all(t, [one.answer])]
    # The sentences the words rank first are the ones a quote is chosen from, and one at random.
    chosen = others[: sentence_negatives - 1]
    rest = others[sentence_negatives - 1 :]
    chosen += rng.sample(rest, min(1, len(rest)))
    out += [
        Pair(one.question, passage_text(title, section, sentence), 0, "answered-sentence", key)
        for section, sentence in chosen
    ]
    chunks = [c for c in owner.chunks if contains_all(c.text, [one.answer])]
    if chunks:
        out.append(Pair(one.question, chunk_passage(chunks[0]), 1, "answered", key))
        out += [
            Pair(one.question, chunk_passage(c), 0, "answered", key)
            for c in hard_negatives(one.question, owner, 3)
        ]
    return out


def mine_pairs(
    meetings: Iterable[Meeting],
    seed: int = 13,
    negatives: int = 3,
    facts_per_item: int = 2,
    written: Sequence[WrittenQuestion] = (),
    templates: bool = True,
    answered: Sequence[AnsweredQuestion] = (),
    sentence_negatives: int = 8,
) -> list[Pair]:
    """Every pair the meetings give (see the module docstring), in a seeded random order;
    ``templates=False`` leaves out the template questions (only ``written`` and ``answered``
    ones). An ``answered`` question gets ``sentence_negatives`` of its item's sentences."""
    from index.lexical import LexicalIndex

    rng = random.Random(seed)
    items = _items(meetings)
    chunks = [c for it in items for c in it.chunks]
    lexical = LexicalIndex.build([c.id for c in chunks], [c.embed_text for c in chunks])
    by_chunk = {c.id: c for c in chunks}
    by_item = {it.key: it for it in items}
    by_meeting: dict[str, list[_Item]] = {}
    for it in items:
        by_meeting.setdefault(it.meeting.source, []).append(it)
    document_count: dict[str, int] = {}
    for it in items:
        for word in {w.lower() for c in it.chunks for w in content_words(c.text) if len(w) >= 4}:
            document_count[word] = document_count.get(word, 0) + 1
    # Words in a tenth of the items or more say little about which item answers.
    common = sorted(w for w, n in document_count.items() if n * 10 >= len(items))
    title_count: dict[str, int] = {}
    for it in items:
        title_count[fold(it.item.title)] = title_count.get(fold(it.item.title), 0) + 1

    def rare(word: str) -> float:
        stems = [t for tok in tokenize(word) if (t := term(tok))]
        return max((lexical.idf(s) or lexical.max_idf() for s in stems), default=0.0)

    def related(one: _Item, other: _Item) -> bool:
        same_case = bool(one.case) and one.case == other.case
        return same_case or fold(one.item.title) == fold(other.item.title)

    def hard_negatives(question: str, own: _Item, count: int) -> list[Chunk]:
        found = []
        seen_items = set()
        for chunk_id, _ in lexical.search(question, 40):
            chunk = by_chunk[chunk_id]
            other = by_item[chunk.item_id]
            if other.key in seen_items or other.key == own.key or related(own, other):
                continue
            seen_items.add(other.key)
            found.append(chunk)
        picked = found[: count + 2]
        rng.shuffle(picked)
        picked = picked[:count]
        # And one of the same meeting: the same body and day, another matter.
        neighbours = [o for o in by_meeting[own.meeting.source] if not related(own, o)]
        if neighbours:
            picked.append(rng.choice(rng.choice(neighbours).chunks))
        return picked

    def sentence_pairs(question: str, it: _Item, section: str, sentence: str, kind: str) -> None:
        """The sentence against the item's other sentences: what to quote."""
        title = it.item.title
        pairs.append(Pair(question, passage_text(title, section, sentence), 1, kind, it.key))
        others = [(s, t) for s, t in _sentences(it) if t != sentence and t not in sentence]
        for other_section, other in rng.sample(others, min(negatives, len(others))):
            pairs.append(Pair(question, passage_text(title, other_section, other), 0, kind, it.key))

    pairs: list[Pair] = []
    for one in written:
        owner = by_item.get(one.item_key)
        if owner is None or not one.question:
            continue
        holding = [c for c in owner.chunks if c.section == one.section and one.sentence in c.text]
        if holding:
            pairs.append(Pair(one.question, chunk_passage(holding[0]), 1, "written", owner.key))
        pairs.extend(
            Pair(one.question, chunk_passage(c), 0, "written", owner.key)
            for c in hard_negatives(one.question, owner, negatives)
        )
        sentence_pairs(one.question, owner, one.section, one.sentence, "written-sentence")
        donor = rng.choice(items)
        if holding and not related(owner, donor):
            changed = swapped(one.question, rare, content_words(donor.item.title))
            if changed:
                pairs.append(Pair(changed, chunk_passage(holding[0]), 0, "written-swap", owner.key))
    by_number = {(Path(it.meeting.source).name, it.item.number): it for it in items}
    for written_one in answered:
        owner = by_number.get((written_one.source, written_one.item))
        if owner is not None:
            pairs.extend(
                _answered_pairs(written_one, owner, hard_negatives, rng, sentence_negatives)
            )
    for it in items if templates else ():
        # A title every meeting has ("Godkendelse af dagsorden") names no matter.
        if title_count[fold(it.item.title)] > 8:
            continue
        positives: list[tuple[str, list[Chunk]]] = []
        question = title_question(it, rng, common)
        summary = [c for c in it.chunks if c.section in SUMMARY_SECTIONS or c.is_decision]
        if question and summary:
            chosen = rng.sample(summary, min(2, len(summary)))
            positives.append((question, chosen))
            pairs.extend(Pair(question, chunk_passage(c), 1, "title", it.key) for c in chosen)
            pairs.extend(
                Pair(question, chunk_passage(c), 0, "title", it.key)
                for c in hard_negatives(question, it, negatives)
            )
        sentences = _sentences(it)
        rng.shuffle(sentences)
        made = 0
        for section, sentence in sentences:
            if made >= facts_per_item:
                break
            asked = fact_question(sentence, it.item.title, rng, common)
            if asked is None:
                continue
            made += 1
            _, question = asked
            holding = [c for c in it.chunks if c.section == section and sentence in c.text]
            if holding:
                positives.append((question, holding[:1]))
                pairs.append(Pair(question, chunk_passage(holding[0]), 1, "fact", it.key))
            pairs.extend(
                Pair(question, chunk_passage(c), 0, "fact", it.key)
                for c in hard_negatives(question, it, negatives)
            )
            sentence_pairs(question, it, section, sentence, "fact-sentence")
        if positives:
            question, answering = rng.choice(positives)
            donor = rng.choice(items)
            if not related(it, donor):
                changed = swapped(question, rare, content_words(donor.item.title))
                if changed:
                    pairs.extend(
                        Pair(changed, chunk_passage(c), 0, "swap", it.key) for c in answering
                    )
    rng.shuffle(pairs)
    return pairs
