"""Question files: one JSON object per line, in the format of dev_questions.jsonl."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

KINDS = ("decision", "fact", "case", "none", "closed", "meta")


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    kind: str
    expect: tuple[tuple[str, int], ...]  # (meeting date, item number)
    answer_contains: tuple[str, ...] = ()
    lang: str = "da"
    closed: bool = False

    @property
    def answerable(self) -> bool:
        return self.kind != "none"


class QuestionFileError(ValueError):
    pass


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
                    expect=tuple(
                        (str(e["meeting_date"]), int(e["item"])) for e in raw.get("expect", [])
                    ),
                    answer_contains=tuple(raw.get("answer_contains", [])),
                    lang=str(raw.get("lang", "da")),
                    closed=bool(raw.get("closed", False)),
                )
            )
        except (ValueError, KeyError, TypeError) as error:
            raise QuestionFileError(f"{path}, line {number}: not a question ({error})") from error
    return questions
