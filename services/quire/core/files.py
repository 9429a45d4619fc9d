"""What an uploaded file is, judged by its content: its type, its pages and their text.

Every check raises ``UnacceptableFile`` with a message meant for the person who uploaded it.
"""

from __future__ import annotations

import contextlib
import io
import math
import threading
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path

import img2pdf
import pypdfium2 as pdfium
from PIL import Image, UnidentifiedImageError

from quire.core.config import Settings

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
# PDFium is not thread-safe, and FastAPI runs sync endpoints in a thread pool.
PDFIUM_LOCK = threading.Lock()

# Pillow's own decompression-bomb check (in ``Image.open``: a warning above MAX_IMAGE_PIXELS,
# an error at twice it; 89 megapixels by default) would refuse, before ours and in its own
# words, images the settings allow (180 megapixels by default, configurable), or let through
# what they do not, depending on the last value someone set. The limit that counts is ours:
# ``_check_image`` reads every frame's size from its header, at exactly
# ``Limits.max_image_pixels``, before any pixel is decoded, and every image this process opens
# (``inspect``, then ``image_to_pdf``) goes through it first. So Pillow's check is switched off
# once, here, for the process, and nothing changes it per call. (OCR runs OCRmyPDF in child
# processes of a fork server that does not import this module: their Pillow keeps its default.)
Image.MAX_IMAGE_PIXELS = None


class UnacceptableFile(ValueError):
    """The upload cannot be stored as a document; the message says why."""


class UnsupportedFileType(UnacceptableFile):
    """The content is not one of the types Quire stores."""


class TooManyPages(UnacceptableFile):
    """More pages (or image frames) than MAIN__MAX_PAGES_PER_DOCUMENT."""


class UnrenderablePage(UnacceptableFile):
    """A page that cannot be drawn (an invalid size, a broken page): no retry will help."""


@dataclass(frozen=True)
class Limits:
    """What one document may cost; the defaults are the settings' (see ``from_settings``)."""

    max_pages: int = 2_000
    # Per image frame, from its header: the documented 180 megapixels, exactly.
    max_image_pixels: int = 180_000_000
    # All frames of one image together: bounds the conversion to PDF inside the request.
    max_image_total_pixels: int = 1_000_000_000
    # One rendered page (thumbnail or preview): 40 megapixels, 160 MB as a bitmap.
    max_render_pixels: int = 40_000_000
    max_render_side: int = 16_384

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        main, preview = settings.main, settings.preview
        return cls(
            max_pages=main.max_pages_per_document,
            max_image_pixels=main.max_image_megapixels * 1_000_000,
            max_image_total_pixels=main.max_image_total_megapixels * 1_000_000,
            max_render_pixels=preview.max_render_megapixels * 1_000_000,
            max_render_side=preview.max_render_side,
        )


DEFAULT_LIMITS = Limits()


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


def inspect(path: Path, limits: Limits = DEFAULT_LIMITS) -> Inspected:
    """What the file is, if it is within the limits (UnacceptableFile otherwise)."""
    with path.open("rb") as handle:
        head = handle.read(1024)
    if not head:
        raise UnacceptableFile("the file is empty")
    mime_type = sniff(head)
    if mime_type == PDF:
        return _inspect_pdf(path, limits)
    return Inspected(mime_type=mime_type, page_count=_check_image(path, limits), page_texts=[])


def _inspect_pdf(path: Path, limits: Limits) -> Inspected:
    with PDFIUM_LOCK:
        return _inspect_pdf_locked(path, limits)


def _inspect_pdf_locked(path: Path, limits: Limits) -> Inspected:
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
        if page_count > limits.max_pages:
            # Known from the page tree, before any page is read: refused here, not by a task.
            raise TooManyPages(
                f"the PDF has {page_count:,} pages; at most {limits.max_pages:,} are accepted"
            )
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


def _check_image(path: Path, limits: Limits) -> int:
    """The image's frame count, once its header says it is within the limits.

    Sizes and frame counts come from the headers (a TIFF's frame is a directory read, not a
    decode) and are checked before any pixel is decoded (Pillow's own check is off, see
    ``Image.MAX_IMAGE_PIXELS`` above). Only the first frame is decoded, to refuse a broken file
    here; the other frames are decoded once, by the conversion to PDF, which the total budget
    bounds.
    """
    try:
        with Image.open(path) as image:
            frames, total = 0, 0
            while True:
                width, height = image.size
                _check_frame(width * height, limits)
                total += width * height
                frames += 1
                if frames > limits.max_pages:
                    raise TooManyPages(f"the image has more than {limits.max_pages:,} frames")
                if total > limits.max_image_total_pixels:
                    raise UnacceptableFile(
                        f"the image's frames add up to more than "
                        f"{limits.max_image_total_pixels // 1_000_000:,} megapixels"
                    )
                try:
                    image.seek(frames)
                except EOFError:
                    break
            image.seek(0)
            image.load()
            return frames
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Only if something set Pillow's limit again after this module did: still too large.
        raise _too_many_pixels(limits) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, UnacceptableFile):
            raise
        raise UnacceptableFile(f"the image is corrupt or unreadable ({exc})") from exc


def _check_frame(pixels: int, limits: Limits) -> None:
    if pixels > limits.max_image_pixels:
        raise _too_many_pixels(limits)


def _too_many_pixels(limits: Limits) -> UnacceptableFile:
    megapixels = limits.max_image_pixels / 1_000_000
    return UnacceptableFile(f"the image is too large (more than {megapixels:,g} megapixels)")


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


def render_scale(page_width: float, page_height: float, width: int, limits: Limits) -> float:
    """The scale to render a page of this size (points) at ``width`` pixels, or less.

    Scaled to the width, a page 3 pt wide and 14,400 pt tall would be gigapixels: the scale is
    lowered until the bitmap fits ``max_render_pixels`` and its longest side
    ``max_render_side`` (JPEG stops at 65,535). Such a page gets a narrower image, not an error.
    """
    if not (0 < page_width < math.inf and 0 < page_height < math.inf):
        raise UnrenderablePage(f"the page's size ({page_width} x {page_height} pt) is invalid")
    return min(
        width / page_width,
        limits.max_render_side / max(page_width, page_height),
        math.sqrt(limits.max_render_pixels / (page_width * page_height)),
    )


def render_pages(
    path: Path, numbers: Sequence[int], widths: Sequence[int], limits: Limits = DEFAULT_LIMITS
) -> Generator[tuple[int, list[bytes]], None, None]:
    """Render pages (1-based) of a PDF to JPEG at each width, one page at a time.

    Each page is rendered and encoded under PDFIUM_LOCK, which caps a process at one bitmap at
    a time (at most ``max_render_pixels``), and handed over before the next: a caller that
    stores each page at once holds one page, however many the document has.
    """
    with PDFIUM_LOCK:
        pdf = _open_pdf(path)
    try:
        for number in numbers:
            with PDFIUM_LOCK:
                images = [_render(pdf, number, width, limits) for width in widths]
            yield number, images
    finally:
        with PDFIUM_LOCK:
            pdf.close()


def render_page(path: Path, page_number: int, width: int, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Render one page (1-based) of a PDF to JPEG at the given width (or less, see above)."""
    # Closed at once, not when collected: the PDF is closed under the lock.
    with contextlib.closing(render_pages(path, [page_number], [width], limits)) as pages:
        return next(pages)[1][0]


def _open_pdf(path: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        raise UnrenderablePage(f"the PDF cannot be opened ({exc})") from exc


def _render(pdf: pdfium.PdfDocument, number: int, width: int, limits: Limits) -> bytes:
    if not 1 <= number <= len(pdf):
        raise UnrenderablePage(f"the PDF has no page {number}")
    page = pdf[number - 1]
    try:
        page_width, page_height = page.get_size()
        scale = render_scale(page_width, page_height, width, limits)
        try:
            image = page.render(scale=scale).to_pil()
        except (pdfium.PdfiumError, ValueError, MemoryError) as exc:
            raise UnrenderablePage(f"page {number} cannot be rendered ({exc})") from exc
    finally:
        page.close()
    if image.mode != "RGB":
        image = image.convert("RGB")
    # Previews have exact widths (narrower if scaled down) and pdfium rounds the scaled size up:
    # the extra row or column is cut off. Resampling the whole bitmap to lose it took longer
    # than drawing the page.
    size = (
        min(image.width, max(1, round(page_width * scale))),
        min(image.height, max(1, round(page_height * scale))),
    )
    if image.size != size:
        image = image.crop((0, 0, *size))
    with io.BytesIO() as buffer:
        image.save(buffer, format="JPEG", quality=85, optimize=True)
        return buffer.getvalue()
