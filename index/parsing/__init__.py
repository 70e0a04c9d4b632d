"""Parsing: bytes of one minutes file in, a ``Meeting`` out. Pure: no I/O beyond ``parse_paths``.

Each format lives in its own module with a ``parse(data: bytes, source: str) -> Meeting``
function that raises ``ParseError`` with a reason a person understands.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from index.models import Meeting, ParseResult, Skipped


class ParseError(Exception):
    """A file that cannot be understood. ``str(error)`` is the reason shown to the user."""


SUPPORTED_SUFFIXES = (".txt", ".pdf", ".docx", ".json", ".xml", ".html", ".htm")

# Real minutes are under 2 MB of text (the largest seen, a Greve JSON, is 0.6 MB). A text-shaped
# file far above that is a log, a dump or a concatenation: parsing 50 MB takes ~5 s, but
# embedding it would take hours and bury real answers, so it is refused with the reason.
MAX_TEXT_BYTES = 20 * 1024 * 1024
# PDF and Word files carry images and fonts as well: their limit is on the container.
MAX_CONTAINER_BYTES = 200 * 1024 * 1024
_CONTAINER_SUFFIXES = (".pdf", ".docx")

Parser = Callable[[bytes, str], Meeting]


def _parser_for(source: str, data: bytes) -> Parser:
    # Imported here so that parsing one format never pays for another's dependencies.
    suffix = Path(source).suffix.lower()
    if suffix == ".txt":
        from index.parsing import text_layout

        return text_layout.parse
    if suffix == ".pdf":
        from index.parsing import extract

        return extract.parse_pdf
    if suffix == ".docx":
        from index.parsing import extract

        return extract.parse_docx
    if suffix == ".json":
        from index.parsing import firstagenda_json

        return firstagenda_json.parse
    if suffix == ".xml":
        head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
        if b"<Publication" in head:
            from index.parsing import sbsys_xml

            return sbsys_xml.parse
        from index.parsing import edoc_xml

        return edoc_xml.parse
    if suffix in (".html", ".htm"):
        from index.parsing import html_page

        return html_page.parse
    raise ParseError(
        f"unsupported file type {suffix or '(none)'}; referat reads "
        + ", ".join(SUPPORTED_SUFFIXES)
    )


def size_limit(source: str) -> int:
    """The largest file of this type referat will read, in bytes."""
    return (
        MAX_CONTAINER_BYTES
        if Path(source).suffix.lower() in _CONTAINER_SUFFIXES
        else MAX_TEXT_BYTES
    )


def size_problem(size: int, source: str) -> str | None:
    """Why a file of ``size`` bytes is refused, or None when its size is fine."""
    limit = size_limit(source)
    if size <= limit:
        return None
    return (
        f"the file is {size / 1024 / 1024:.1f} MB, more than the {limit // 1024 // 1024} MB "
        "referat reads for this file type (minutes are rarely over 2 MB); it is probably not "
        "one meeting's minutes: split it into one file per meeting"
    )


def parse_document(data: bytes, source: str) -> Meeting:
    """Parse one file's bytes. Raises ``ParseError`` for anything that is not usable minutes."""
    if not data.strip():
        raise ParseError("the file is empty")
    if problem := size_problem(len(data), source):
        raise ParseError(problem)
    meeting = _parser_for(source, data)(data, source)
    if not meeting.items:
        raise ParseError("no agenda items were found (is this a minutes or agenda document?)")
    return meeting


def iter_source_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Every supported file named or below a named folder, each once, in a stable order.

    Symlinked folders are not followed, so a symlink loop cannot trap the walk.
    """
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found: list[Path] = []
            for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if name.lower().endswith(SUPPORTED_SUFFIXES) and not name.startswith("."):
                        found.append(Path(dirpath) / name)
            candidates: Iterable[Path] = found
        else:
            candidates = [path]
        for candidate in candidates:
            key = candidate.resolve() if candidate.exists() else candidate
            if key not in seen:
                seen.add(key)
                yield candidate


def parse_file(path: Path) -> Meeting | Skipped:
    """Read and parse one file; every failure becomes a ``Skipped`` naming the problem."""
    source = str(path)
    try:
        # Checked before reading, so a huge file is never loaded into memory.
        if problem := size_problem(path.stat().st_size, source):
            return Skipped(source, problem)
        data = path.read_bytes()
    except FileNotFoundError:
        return Skipped(source, "the file does not exist")
    except IsADirectoryError:
        return Skipped(source, "this is a folder, not a file")
    except OSError as error:
        return Skipped(source, f"the file cannot be read ({error.strerror or error})")
    try:
        return parse_document(data, source)
    except ParseError as error:
        return Skipped(source, str(error))
    except Exception as error:  # a parser bug must not stop the run or lose other files
        return Skipped(source, f"unexpected parser failure ({type(error).__name__}: {error})")


def parse_paths(paths: Iterable[str | Path]) -> ParseResult:
    meetings: list[Meeting] = []
    skipped: list[Skipped] = []
    for path in iter_source_files(paths):
        outcome = parse_file(path)
        if isinstance(outcome, Meeting):
            meetings.append(outcome)
        else:
            skipped.append(outcome)
    return ParseResult(tuple(meetings), tuple(skipped))
