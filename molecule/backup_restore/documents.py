"""Writes the documents the backup_restore scenario uploads (seed.yml), into a directory.

    python documents.py DIRECTORY WORD

scan.pdf: a scan without a text layer, the word in large letters (OCR'd by the worker, then
found by a search after the restore has rebuilt the index); invoice.pdf: a scan uploaded
without OCR; letter.png: an image (Quire makes a PDF of it at upload).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import img2pdf
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def page(lines: list[str], size: int) -> Image.Image:
    """An A5 page at 300 dpi with these lines of text."""
    picture = Image.new("L", (1748, 2480), 255)
    draw = ImageDraw.Draw(picture)
    font = ImageFont.truetype(FONT, size)
    for number, line in enumerate(lines):
        draw.text((150, 300 + number * size * 2), line, font=font, fill=0)
    return picture


def pdf(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", dpi=(300, 300))
    data = img2pdf.convert(buffer.getvalue())
    assert isinstance(data, bytes)
    return data


def main(directory: Path, word: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "scan.pdf").write_bytes(pdf(page([word], 110)))
    (directory / "invoice.pdf").write_bytes(pdf(page(["Invoice 2024-117", "Total: 42.00"], 60)))
    page(["Dear reader,", "a letter as an image."], 60).save(directory / "letter.png")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
