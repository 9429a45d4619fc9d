"""Word boxes: where each word of a page's text layer sits, for highlighting hits on a preview.

Read from the PDF's text layer itself (OCRmyPDF's invisible text, or a born-digital PDF's
text), so every version with text has them whoever made it; hOCR would cover only our own OCR.
Boxes are fractions of the page (0..1, from the top left corner), so they fit a preview of any
size. One JSON file per version, written by the previews task beside the page images.

Boxes are of the page as shown: a page turned by its ``/Rotate`` (a rotated upload, or a page
rotated by a page operation, which keeps its text layer) has its boxes turned with it, so a
rotation never needs OCR again for the highlights to sit on the words.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from quire.core.files import PDFIUM_LOCK
from quire.core.storage import MissingFile, Storage, words_key

# Four decimals place a box within 0.06 mm on A4: finer than any preview shows.
PRECISION = 4
# PDFium's marks for a hyphen it inferred and for an unknown character: not part of a word.
_NOT_TEXT = {0x0000, 0x0002, 0xFFFE, 0xFFFF}


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    def to_json(self) -> list[str | float]:
        return [self.text, self.x0, self.y0, self.x1, self.y1]


def extract(path: Path) -> list[list[Word]]:
    """Every page's words with their boxes, in reading order as PDFium gives it."""
    with PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(path)
        try:
            pages = []
            for index in range(len(pdf)):
                page = pdf[index]
                pages.append(_page_words(page))
                page.close()
            return pages
        finally:
            pdf.close()


def _page_words(page: pdfium.PdfPage) -> list[Word]:
    # Character boxes are in the page's own space, before its /Rotate: the crop box's.
    frame = _Frame(page.get_cropbox(), page.get_rotation())
    textpage = page.get_textpage()
    words: list[Word] = []
    chars: list[str] = []
    box = [0.0, 0.0, 0.0, 0.0]  # left, bottom, right, top in PDF points

    def flush() -> None:
        if chars:
            words.append(frame.word("".join(chars), box))
            chars.clear()

    try:
        for index in range(textpage.count_chars()):
            code = pdfium_c.FPDFText_GetUnicode(textpage.raw, index)
            if code in _NOT_TEXT or chr(code).isspace():
                flush()
                continue
            left, bottom, right, top = textpage.get_charbox(index)
            if chars:
                box = [min(box[0], left), min(box[1], bottom), max(box[2], right), max(box[3], top)]
            else:
                box = [left, bottom, right, top]
            chars.append(chr(code))
        flush()
    finally:
        textpage.close()
    return words


@dataclass(frozen=True)
class _Frame:
    """A page's crop box (left, bottom, right, top) and its rotation (clockwise degrees)."""

    cropbox: tuple[float, float, float, float]
    rotation: int

    def word(self, text: str, box: list[float]) -> Word:
        """The word with its box in fractions of the page as shown, from its top left."""
        x0, y0 = self._shown(box[0], box[3])
        x1, y1 = self._shown(box[2], box[1])
        return Word(text, min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))

    def _shown(self, x: float, y: float) -> tuple[float, float]:
        left, bottom, right, top = self.cropbox
        # Fractions of the unrotated page from its top left, then turned with the page.
        fx = _fraction(x - left, right - left)
        fy = _fraction(top - y, top - bottom)
        turned = {0: (fx, fy), 90: (1 - fy, fx), 180: (1 - fx, 1 - fy), 270: (fy, 1 - fx)}
        u, v = turned.get(self.rotation % 360, (fx, fy))
        return round(u, PRECISION), round(v, PRECISION)


def _fraction(value: float, whole: float) -> float:
    return min(max(value / whole, 0.0), 1.0) if whole else 0.0


def store(storage: Storage, version_id: uuid.UUID, pages: list[list[Word]]) -> bool:
    """Keep the words of a version's pages; a version without any text keeps nothing."""
    if not any(pages):
        return False
    document = {"pages": [[word.to_json() for word in words] for words in pages]}
    storage.put_bytes(words_key(version_id), json.dumps(document, ensure_ascii=False).encode())
    return True


def load_page(storage: Storage, version_id: uuid.UUID, number: int) -> list[Word] | None:
    """A page's words (1-based page number); None when the version has no word boxes (yet)."""
    try:
        pages = json.loads(storage.read_bytes(words_key(version_id)))["pages"]
    except MissingFile:
        return None
    if not 1 <= number <= len(pages):
        return []
    return [Word(text, x0, y0, x1, y1) for text, x0, y0, x1, y1 in pages[number - 1]]
