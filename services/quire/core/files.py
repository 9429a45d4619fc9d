"""What an uploaded file is, judged by its content: its type, its pages and their text.

Every check raises ``UnacceptableFile`` with a message meant for the person who uploaded it.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import img2pdf
import pypdfium2 as pdfium
from PIL import Image, UnidentifiedImageError

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
)
EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg", TIFF: ".tiff"}
# Pillow's guard against decompression bombs, made explicit: ~180 megapixels.
MAX_IMAGE_PIXELS = 180_000_000
# PDFium is not thread-safe, and FastAPI runs sync endpoints in a thread pool.
PDFIUM_LOCK = threading.Lock()


class UnacceptableFile(ValueError):
    """The upload cannot be stored as a document; the message says why."""


class UnsupportedFileType(UnacceptableFile):
    """The content is not one of the types Quire stores."""


@dataclass(frozen=True)
class Inspected:
    mime_type: str
    page_count: int
    # Per-page text of a PDF's text layer; empty strings for images and scans.
    page_texts: list[str]


def sniff(head: bytes) -> str:
    # A PDF may start with junk before its header (the spec tolerates 1024 bytes of it).
    if b"%PDF-" in head[:1024]:
        return PDF
    for signature, mime_type in _SIGNATURES:
        if head.startswith(signature):
            return mime_type
    raise UnsupportedFileType("unsupported file type: expected a PDF, PNG, JPEG or TIFF file")


def inspect(path: Path) -> Inspected:
    with path.open("rb") as handle:
        head = handle.read(1024)
    if not head:
        raise UnacceptableFile("the file is empty")
    mime_type = sniff(head)
    if mime_type == PDF:
        return _inspect_pdf(path)
    return Inspected(mime_type=mime_type, page_count=_count_image_frames(path), page_texts=[])


def _inspect_pdf(path: Path) -> Inspected:
    with PDFIUM_LOCK:
        return _inspect_pdf_locked(path)


def _inspect_pdf_locked(path: Path) -> Inspected:
    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise UnacceptableFile("the PDF is encrypted with a password") from exc
        raise UnacceptableFile(f"the PDF is corrupt or unreadable ({exc})") from exc
    try:
        page_count = len(pdf)
        if page_count == 0:
            raise UnacceptableFile("the PDF has no pages")
        texts = []
        for index in range(page_count):
            page = pdf[index]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_bounded().replace("\r\n", "\n").strip())
            textpage.close()
            page.close()
        return Inspected(mime_type=PDF, page_count=page_count, page_texts=texts)
    finally:
        pdf.close()


def _count_image_frames(path: Path) -> int:
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with Image.open(path) as image:
            frames = getattr(image, "n_frames", 1)
            for frame in range(frames):
                image.seek(frame)
                image.load()
            return int(frames)
    except Image.DecompressionBombError as exc:
        raise UnacceptableFile("the image is too large (more than 180 megapixels)") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnacceptableFile(f"the image is corrupt or unreadable ({exc})") from exc


def image_to_pdf(path: Path) -> bytes:
    """Wrap an image losslessly into a PDF (JPEG is embedded as is, not re-encoded)."""
    try:
        data = img2pdf.convert(str(path), rotation=img2pdf.Rotation.ifvalid)
    except Exception as exc:  # img2pdf raises plain exceptions of many kinds
        try:
            with Image.open(path) as image, io.BytesIO() as buffer:
                image.convert("RGB").save(buffer, format="PDF", save_all=True)
                return buffer.getvalue()
        except Exception:
            raise UnacceptableFile(f"the image cannot be converted to PDF ({exc})") from exc
    if not isinstance(data, bytes):
        raise UnacceptableFile("the image cannot be converted to PDF")
    return data


def render_pages(path: Path, numbers: list[int], width: int) -> Iterator[tuple[int, bytes]]:
    """Render pages (1-based) of a PDF to JPEG at the given width, opening the file once."""
    with PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(path)
        try:
            images = []
            for number in numbers:
                page = pdf[number - 1]
                bitmap = page.render(scale=width / page.get_width())
                images.append((number, bitmap.to_pil().convert("RGB")))
                page.close()
        finally:
            pdf.close()
    for number, image in images:
        yield number, _jpeg(image, width)


def render_page(path: Path, page_number: int, width: int) -> bytes:
    """Render one page (1-based) of a PDF to JPEG at the given width."""
    return next(render_pages(path, [page_number], width))[1]


def _jpeg(image: Image.Image, width: int) -> bytes:
    if image.width != width:  # pdfium rounds the scaled size; previews have exact widths
        image = image.resize((width, max(1, round(image.height * width / image.width))))
    with io.BytesIO() as buffer:
        image.save(buffer, format="JPEG", quality=85, optimize=True)
        return buffer.getvalue()
