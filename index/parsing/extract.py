"""PDF and Word minutes: their text, page by page, handed to the text-layout parser.

PDF pages are joined with form feeds so the text-layout parser can recognise running page
headers and footers. Word documents are read in body order, tables included (eDoc and Acadre
put item headings, case numbers and attachment lists in tables).
"""

from __future__ import annotations

import io
import logging
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from index.models import Meeting
from index.parsing import ParseError
from index.parsing.text_layout import parse_text

# A page with fewer letters than this over the whole document counts as having no text layer.
MIN_LETTERS_FOR_TEXT = 20

_OCR_HINT = (
    "the PDF has no text layer (it is a scanned image); it needs OCR first, "
    "e.g. `ocrmypdf in.pdf out.pdf`, and then the OCR'd copy can be indexed"
)


class _Recorder(logging.Handler):
    """Keeps pypdf's complaints instead of printing them: parsing is pure and must not print."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _quiet_pypdf() -> Iterator[_Recorder]:
    """Damaged PDFs make pypdf warn and log; the complaints are recorded, not printed."""
    logger = logging.getLogger("pypdf")
    previous = (logger.level, logger.propagate)
    recorder = _Recorder()
    logger.addHandler(recorder)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield recorder
    finally:
        logger.removeHandler(recorder)
        logger.setLevel(previous[0])
        logger.propagate = previous[1]


def _page_text(page: Any, recorder: _Recorder) -> tuple[str, bool]:
    """(text, whether the page read cleanly). A page pypdf complains about while reading it has
    a damaged content stream: part of its text is gone, maybe the "Lukket" heading of an item."""
    complaints = len(recorder.messages)
    try:
        text = page.extract_text() or ""
    except Exception:
        return "", False
    return text, len(recorder.messages) == complaints


def pdf_text(data: bytes) -> str:
    """The text layer of a PDF, pages separated by form feeds. Raises ``ParseError``.

    A PDF with a damaged page is refused whole: the text after a lost closed-item heading would
    read as part of the open item before it.
    """
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    with _quiet_pypdf() as recorder:
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise ParseError("the PDF is password-protected; save an unprotected copy first")
            pages = list(reader.pages)
        except ParseError:
            raise
        except FileNotDecryptedError as error:
            raise ParseError("the PDF is password-protected; save an unprotected copy") from error
        except (PdfReadError, ValueError, KeyError, TypeError, OSError) as error:
            raise ParseError(f"the PDF is damaged and cannot be opened ({error})") from error
        read = [_page_text(page, recorder) for page in pages]
    damaged = [number for number, (_, clean) in enumerate(read, start=1) if not clean]
    if damaged:
        listed = ", ".join(map(str, damaged[:10])) + (" ..." if len(damaged) > 10 else "")
        raise ParseError(
            f"the PDF is damaged: the text of page(s) {listed} cannot be read completely; "
            "nothing of it is indexed (save or export the PDF again)"
        )
    texts = [text for text, _ in read]
    letters = sum(1 for text in texts for char in text if char.isalpha())
    if letters < MIN_LETTERS_FOR_TEXT:
        raise ParseError(_OCR_HINT)
    return "\f".join(texts)


def parse_pdf(data: bytes, source: str) -> Meeting:
    return parse_text(pdf_text(data), source)


_WORD = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _tag(element: Any) -> str:
    tag = element.tag
    return tag[len(_WORD) :] if isinstance(tag, str) and tag.startswith(_WORD) else ""


def _paragraph_text(paragraph: Any) -> str:
    parts: list[str] = []
    for node in paragraph.iter():
        tag = _tag(node)
        if tag == "t":
            parts.append(node.text or "")
        elif tag in {"tab", "ptab"} and _tag(node.getparent()) == "r":
            parts.append("\t")  # a w:tab under w:pPr is a tab stop, not a character
        elif tag in {"br", "cr"}:
            parts.append("\n")
        elif tag == "noBreakHyphen":
            parts.append("-")
    return "".join(parts)


def _block_lines(container: Any) -> list[str]:
    """Paragraphs and tables of a body, cell or content control, in document order."""
    lines: list[str] = []
    for child in container.iterchildren():
        tag = _tag(child)
        if tag == "p":
            lines.extend(_paragraph_text(child).split("\n"))
        elif tag == "tbl":
            lines.extend(_table_lines(child))
        elif tag in {"sdt", "customXml", "smartTag"}:
            content = next((c for c in child.iterchildren() if _tag(c) == "sdtContent"), child)
            lines.extend(_block_lines(content))
    return lines


def _table_lines(table: Any) -> list[str]:
    lines: list[str] = []
    for row in table.iterchildren():
        if _tag(row) != "tr":
            continue
        cells = [
            [line for line in _block_lines(cell) if line.strip()]
            for cell in row.iterchildren()
            if _tag(cell) == "tc"
        ]
        if all(len(cell) <= 1 for cell in cells):
            # A row of one-line cells reads as one line: "Sagsnr.:" | "12/27845".
            lines.append("\t".join(cell[0] for cell in cells if cell))
        else:
            for cell in cells:
                lines.extend(cell)
    return lines


def docx_text(data: bytes) -> str:
    """The body text of a .docx file, tables included. Raises ``ParseError``."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise ParseError(
            f"the Word file is damaged or not a .docx (old .doc files must be saved as .docx) "
            f"({error})"
        ) from error
    except Exception as error:  # lxml raises its own error types for broken XML
        raise ParseError(f"the Word file is damaged ({type(error).__name__})") from error
    text = "\n".join(_block_lines(document.element.body))
    if sum(1 for char in text if char.isalpha()) < MIN_LETTERS_FOR_TEXT:
        raise ParseError("the Word file contains no text")
    return text


def parse_docx(data: bytes, source: str) -> Meeting:
    return parse_text(docx_text(data), source)
