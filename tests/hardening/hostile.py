"""Hostile files made by the tests: tiny on disk, enormous once rendered or decoded."""

from __future__ import annotations

import io
import struct
import zlib

import pikepdf


def many_pages_pdf(pages: int) -> bytes:
    """``pages`` A4 pages sharing one empty content stream: a few bytes per page."""
    pdf = pikepdf.new()
    contents = pdf.make_stream(b"")
    for _ in range(pages):
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page, MediaBox=[0, 0, 595, 842], Contents=contents
        )
        pdf.pages.append(pikepdf.Page(page))
    buffer = io.BytesIO()
    pdf.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return buffer.getvalue()


def tall_page_pdf(width: float = 3, height: float = 14_400) -> bytes:
    """One page 3 pt wide and 14,400 pt (5 m) tall: rendered at a preview's width, it is
    gigapixels."""
    pdf = pikepdf.new()
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page, MediaBox=[0, 0, width, height], Contents=pdf.make_stream(b"")
    )
    pdf.pages.append(pikepdf.Page(page))
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def _bilevel_rows(width: int, height: int) -> bytes:
    """PNG-filtered rows of zeros (1 bit per pixel), deflated row by row: never held whole."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte "none", then the row's bits
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row) for _ in range(height)]
    parts.append(compressor.flush())
    return b"".join(parts)


def huge_png(width: int, height: int) -> bytes:
    """A valid black-and-white PNG of width x height pixels: all zeros compress about a
    thousandfold."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit, grey, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", _bilevel_rows(width, height))
        + _chunk(b"IEND", b"")
    )


def huge_image_pdf(width: int, height: int, dpi: int = 300) -> bytes:
    """A one-page PDF showing a width x height black-and-white image (the PNG's rows as is)."""
    pdf = pikepdf.new()
    image = pdf.make_stream(_bilevel_rows(width, height))
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height, image.BitsPerComponent = width, height, 1
    image.ColorSpace, image.Filter = pikepdf.Name.DeviceGray, pikepdf.Name.FlateDecode
    image.DecodeParms = pikepdf.Dictionary(
        Predictor=15, Colors=1, BitsPerComponent=1, Columns=width
    )
    size = (width * 72 / dpi, height * 72 / dpi)
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[0, 0, *size],
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)),
        Contents=pdf.make_stream(f"q {size[0]} 0 0 {size[1]} 0 0 cm /Im0 Do Q".encode()),
    )
    pdf.pages.append(pikepdf.Page(page))
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def many_frames_tiff(
    frames: int, size: tuple[int, int] = (16, 16), last: tuple[int, int] | None = None
) -> bytes:
    """A little-endian TIFF of ``frames`` grey frames that all point at one shared strip of
    zeros: each frame costs its 12-entry directory on disk but a full decode in memory. The
    last frame may have a size of its own."""
    last = last or size
    strip_offset = 8
    strip = bytes(max(size[0] * size[1], last[0] * last[1]))
    ifd_size = 2 + 9 * 12 + 4
    first_ifd = strip_offset + len(strip)
    out = bytearray(b"II*\x00" + struct.pack("<I", first_ifd) + strip)
    for index in range(frames):
        here = first_ifd + index * ifd_size
        following = here + ifd_size if index + 1 < frames else 0
        width, height = size if following else last
        entries = [  # (tag, type, count, value): SHORT=3, LONG=4
            (256, 4, 1, width),
            (257, 4, 1, height),
            (258, 3, 1, 8),  # bits per sample
            (259, 3, 1, 1),  # no compression
            (262, 3, 1, 1),  # black is zero
            (273, 4, 1, strip_offset),
            (277, 3, 1, 1),  # samples per pixel
            (278, 4, 1, height),  # rows per strip
            (279, 4, 1, width * height),
        ]
        out += struct.pack("<H", len(entries))
        for tag, kind, count, value in entries:
            packed = struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value)
            out += struct.pack("<HHI", tag, kind, count) + packed
        out += struct.pack("<I", following)
    return bytes(out)
