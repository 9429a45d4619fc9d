"""Real files made by the tests: born-digital PDFs with a text layer, images, broken files."""

from __future__ import annotations

import io

import img2pdf
import pikepdf
from PIL import Image, ImageDraw, ImageFont

# Installed with fonts-dejavu-core (scripts/system-packages.txt).
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SCAN_DPI = 300


def pdf_with_text(pages: list[str]) -> bytes:
    """A born-digital PDF: one A4 page per string, the text drawn in Helvetica."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    for text in pages:
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        content = f"BT /F1 18 Tf 72 720 Td ({escaped}) Tj ET".encode()
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, 595, 842],
            Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
            Contents=pdf.make_stream(content),
        )
        pdf.pages.append(pikepdf.Page(page))
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def encrypted_pdf() -> bytes:
    source = pikepdf.open(io.BytesIO(pdf_with_text(["secret"])))
    buffer = io.BytesIO()
    source.save(buffer, encryption=pikepdf.Encryption(owner="owner", user="user", R=6))
    return buffer.getvalue()


def corrupt_pdf() -> bytes:
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage garbage\n%%EOF"


def image(format: str = "PNG", size: tuple[int, int] = (400, 300)) -> bytes:
    picture = Image.new("RGB", size, "white")
    ImageDraw.Draw(picture).rectangle((40, 40, 200, 120), outline="black", width=4)
    buffer = io.BytesIO()
    picture.save(buffer, format=format)
    return buffer.getvalue()


def multipage_tiff(pages: int = 3) -> bytes:
    frames = [Image.new("L", (300, 400), 255 - 40 * i) for i in range(pages)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def scanned_page(text: str, format: str = "PNG") -> bytes:
    """A scan: an A5 page at 300 dpi with large black text (lines split on newlines)."""
    picture = Image.new("L", (1748, 2480), 255)
    draw = ImageDraw.Draw(picture)
    font = ImageFont.truetype(FONT, 80)
    for number, line in enumerate(text.split("\n")):
        draw.text((150, 200 + 130 * number), line, font=font, fill=0)
    buffer = io.BytesIO()
    picture.save(buffer, format=format, dpi=(SCAN_DPI, SCAN_DPI))
    return buffer.getvalue()


def scanned_pdf(pages: list[str]) -> bytes:
    """Scanned pages wrapped losslessly into a PDF: images only, no text layer."""
    data = img2pdf.convert([scanned_page(text) for text in pages])
    assert isinstance(data, bytes)
    return data
