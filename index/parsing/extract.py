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


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """Damaged PDFs make pypdf warn and log; parsing is pure and must not print."""
    logger = logging.getLogger("pypdf")
    previous_level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(previous_level)


def pdf_text(data: bytes) -> str:
    """The text layer of a PDF, pages separated by form feeds. Raises ``ParseError``."""
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    with _quiet_pypdf():
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
        texts: list[str] = []
        failed = 0
        for page in pages:
            try:
                texts.append(page.extract_text() or "")
            except Exception:  # one broken page must not cost the rest of the document
                failed += 1
                texts.append("")
    letters = sum(1 for text in texts for char in text if char.isalpha())
    if letters < MIN_LETTERS_FOR_TEXT:
        if failed:
            raise ParseError(f"the PDF is damaged: text could not be read from {failed} page(s)")
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
