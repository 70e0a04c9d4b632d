"""Question files: one JSON object per line, in the format of dev_questions.jsonl."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from index.danish import fold

KINDS = ("decision", "fact", "case", "none", "closed", "meta")


class Expected(NamedTuple):
    """An agenda item that answers a question. ``body`` is optional: without it any body's
    item of that number on that date counts, which is ambiguous when several committees met
    the same day."""

    meeting_date: str
    item: int
    body: str | None = None


def _body_key(body: str) -> str:
    return " ".join("".join(c if c.isalnum() else " " for c in fold(body)).split())


def same_body(found: str, expected: str) -> bool:
    """Body names as the minutes spell them: case, accents, punctuation and an added
    abbreviation ("Økonomiudvalget (ØU)") do not matter."""
    a, b = _body_key(found), _body_key(expected)
    return bool(a and b) and (a == b or a.startswith(b) or b.startswith(a))


def matches(ranked: Sequence[object], expected: Expected) -> bool:
    """Whether a ranked entry, (date, item) or (date, item, body), is the expected item."""
    if len(ranked) < 2 or ranked[0] != expected.meeting_date or ranked[1] != expected.item:
        return False
    if expected.body is None or len(ranked) < 3:
        return True
    return isinstance(ranked[2], str) and same_body(ranked[2], expected.body)


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    kind: str
    expect: tuple[Expected, ...]
    # Strings a correct answer quotes; a tuple among them is met by any one of its strings.
    answer_contains: tuple[str | tuple[str, ...], ...] = ()
    lang: str = "da"
    closed: bool = False

    @property
    def answerable(self) -> bool:
        return self.kind != "none"


class QuestionFileError(ValueError):
    pass


def _expected(raw: dict[str, object]) -> Expected:
    body = raw.get("body")
    return Expected(
        str(raw["meeting_date"]),
        int(str(raw["item"])),
        str(body) if body else None,
    )


def load_questions(path: Path) -> list[Question]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            questions.append(
                Question(
                    id=str(raw["id"]),
                    question=str(raw["question"]),
                    kind=str(raw.get("kind", "fact")),
                    expect=tuple(_expected(e) for e in raw.get("expect", [])),
                    answer_contains=tuple(
                        n if isinstance(n, str) else tuple(str(o) for o in n)
                        for n in raw.get("answer_contains", [])
                    ),
                    lang=str(raw.get("lang", "da")),
                    closed=bool(raw.get("closed", False)),
                )
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise QuestionFileError(f"{path}, line {number}: not a question ({error})") from error
    return questions


def held_out(question: Question, parts: int = 4) -> bool:
    """Whether a question belongs to the held-out part (one in ``parts``, by a hash of its id):
    the questions not looked at while tuning, scored separately."""
    return int(hashlib.md5(question.id.encode("utf-8")).hexdigest(), 16) % parts == 0
