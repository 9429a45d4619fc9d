"""The bounds that keep one request cheap, checked where they are computed: what a document may
cost (``quire.core.files``), how deep a list or a search may page (``quire.web.api.common``,
``quire.search.backend``) and how long a query may be. No database, no engine: the API's tests
(tests/hardening) show the same bounds as 4xx answers."""

from __future__ import annotations

import asyncio
import contextlib
import io
import math
from pathlib import Path

import pytest
from PIL import Image
from pydantic import ValidationError

from quire.core import files
from quire.core.config import MainSettings, PreviewSettings, Settings
from quire.search.backend import MAX_RESULT_WINDOW, ResultWindowExceeded, check_window
from quire.search.query import MAX_QUERY_LENGTH
from quire.web.api.common import MAX_PAGE_NUMBER, MAX_PAGE_SIZE, PageParams, page_params
from quire.web.api.search_schemas import (
    MAX_SEARCH_PAGE_NUMBER,
    MAX_SEARCH_PAGE_SIZE,
    SearchBody,
)

INT32_MAX = 2**31 - 1


def settings(**sections: object) -> Settings:
    """Settings of these sections and the defaults, read from no environment or file."""
    return Settings.model_construct(
        main=sections.get("main", MainSettings()),
        preview=sections.get("preview", PreviewSettings()),
    )


# --- what one document may cost -------------------------------------------------------------------


def test_the_default_limits_are_the_settings_defaults() -> None:
    documented = files.Limits(
        max_pages=2_000,
        max_image_pixels=180_000_000,
        max_image_total_pixels=1_000_000_000,
        max_render_pixels=40_000_000,
        max_render_side=16_384,
    )
    assert files.Limits.from_settings(settings()) == documented
    assert files.Limits() == documented
    assert documented == files.DEFAULT_LIMITS


def test_limits_from_settings_are_in_pixels() -> None:
    main = MainSettings(
        max_pages_per_document=3, max_image_megapixels=2, max_image_total_megapixels=5
    )
    preview = PreviewSettings(max_render_megapixels=7, max_render_side=100)
    assert files.Limits.from_settings(settings(main=main, preview=preview)) == files.Limits(
        max_pages=3,
        max_image_pixels=2_000_000,
        max_image_total_pixels=5_000_000,
        max_render_pixels=7_000_000,
        max_render_side=100,
    )


@pytest.mark.parametrize(
    ("section", "values"),
    [
        (MainSettings, {"max_pages_per_document": 0}),
        (MainSettings, {"max_image_megapixels": 0}),
        (MainSettings, {"max_image_total_megapixels": 0}),
        (PreviewSettings, {"max_render_megapixels": 0}),
        (PreviewSettings, {"max_render_side": 99}),
        # JPEG's sides stop at 65,535.
        (PreviewSettings, {"max_render_side": 65_001}),
    ],
)
def test_settings_refuse_limits_that_make_no_sense(section: type, values: dict) -> None:
    with pytest.raises(ValidationError):
        section(**values)


@pytest.mark.parametrize("side", [100, 65_000])
def test_the_render_side_bounds_are_inclusive(side: int) -> None:
    assert PreviewSettings(max_render_side=side).max_render_side == side


# --- sniffing a file's type from its first bytes --------------------------------------------------


@pytest.mark.parametrize(
    ("head", "mime_type"),
    [
        (b"%PDF-1.7\n", files.PDF),
        # A PDF may start with junk, up to 1024 bytes of it.
        (b"\x00" * 100 + b"%PDF-1.4", files.PDF),
        (b"x" * (1024 - 5) + b"%PDF-", files.PDF),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 8, files.PNG),
        (b"\xff\xd8\xff\xe0", files.JPEG),
        (b"II*\x00", files.TIFF),
        (b"MM\x00*", files.TIFF),
    ],
)
def test_sniff_knows_the_stored_types(head: bytes, mime_type: str) -> None:
    assert files.sniff(head) == mime_type


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"%PDF",  # no dash, no PDF
        b"x" * (1024 - 4) + b"%PDF-",  # past the first 1024 bytes
        b"GIF89a",
        b"\x89PNG\r\n",  # a signature cut short
        b"\xff\xd8",
        b"II+\x00",  # BigTIFF
        b"<html>",
        b"PK\x03\x04",
    ],
)
def test_sniff_refuses_anything_else(head: bytes) -> None:
    with pytest.raises(files.UnsupportedFileType, match="expected a PDF, PNG, JPEG or TIFF"):
        files.sniff(head)


def tiff(path: Path, frames: int, size: tuple[int, int]) -> Path:
    images = [Image.new("L", size) for _ in range(frames)]
    with io.BytesIO() as buffer:
        images[0].save(buffer, format="TIFF", save_all=True, append_images=images[1:])
        path.write_bytes(buffer.getvalue())
    return path


def test_an_image_of_exactly_the_pixel_limit_is_accepted(tmp_path: Path) -> None:
    path = tiff(tmp_path / "one.tiff", 1, (10, 10))
    assert files.inspect(path, files.Limits(max_image_pixels=100)).page_count == 1
    with pytest.raises(files.UnacceptableFile, match=r"^the image is too large \(more than "):
        files.inspect(path, files.Limits(max_image_pixels=99))


def test_checking_an_image_leaves_pillows_settings_alone(tmp_path: Path) -> None:
    """Pillow's limit is set once, when ``files`` is imported (off: ours is checked first), and
    no check changes it: what a check accepts does not depend on the checks before it."""
    assert Image.MAX_IMAGE_PIXELS is None
    path = tiff(tmp_path / "one.tiff", 1, (10, 10))
    for limit in (100, 99, 1_000, 50):
        with contextlib.suppress(files.UnacceptableFile):
            files.inspect(path, files.Limits(max_image_pixels=limit))
        assert Image.MAX_IMAGE_PIXELS is None


def test_the_frames_total_is_a_bound_of_its_own(tmp_path: Path) -> None:
    path = tiff(tmp_path / "frames.tiff", 3, (100, 100))  # 30,000 pixels in all
    assert files.inspect(path, files.Limits(max_image_total_pixels=30_000)).page_count == 3
    with pytest.raises(files.UnacceptableFile, match="frames add up to more than"):
        files.inspect(path, files.Limits(max_image_total_pixels=29_999))


def test_the_frame_count_is_the_page_limit(tmp_path: Path) -> None:
    path = tiff(tmp_path / "frames.tiff", 3, (10, 10))
    assert files.inspect(path, files.Limits(max_pages=3)).page_count == 3
    with pytest.raises(files.TooManyPages, match="more than 2 frames"):
        files.inspect(path, files.Limits(max_pages=2))


# --- the scale a page renders at ------------------------------------------------------------------


@pytest.mark.parametrize(
    "size",
    [(595, 842), (842, 595), (3, 14_400), (14_400, 3), (14_400, 14_400), (1, 1), (0.01, 0.01)],
)
@pytest.mark.parametrize("width", [1, 200, 600, 1600, 100_000])
@pytest.mark.parametrize(
    "limits",
    [files.Limits(), files.Limits(max_render_pixels=1_000_000, max_render_side=1_000)],
    ids=["default", "tight"],
)
def test_a_rendered_page_never_exceeds_its_budget(
    size: tuple[float, float], width: int, limits: files.Limits
) -> None:
    page_width, page_height = size
    scale = files.render_scale(page_width, page_height, width, limits)
    assert 0 < scale <= width / page_width  # never wider than asked
    bitmap = (page_width * scale, page_height * scale)
    assert max(bitmap) <= limits.max_render_side * (1 + 1e-9)
    assert bitmap[0] * bitmap[1] <= limits.max_render_pixels * (1 + 1e-9)
    # One of the three bounds is the one that holds: the scale is as large as allowed.
    assert (
        math.isclose(scale, width / page_width)
        or math.isclose(max(bitmap), limits.max_render_side)
        or math.isclose(bitmap[0] * bitmap[1], limits.max_render_pixels)
    )


@pytest.mark.parametrize(
    "size",
    [(math.nan, 842), (595, math.nan), (-math.inf, 5), (5, math.inf), (-595, -842), (0, 0)],
)
def test_a_page_without_a_valid_size_cannot_be_rendered(size: tuple[float, float]) -> None:
    with pytest.raises(files.UnrenderablePage, match=r"the page's size \(.* pt\) is invalid"):
        files.render_scale(*size, 200, files.Limits())


# --- how deep a search may page -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "limit"),
    [(0, 0), (0, 10), (0, MAX_RESULT_WINDOW), (MAX_RESULT_WINDOW - 10, 10), (MAX_RESULT_WINDOW, 0)],
)
def test_pages_within_the_window_are_served(offset: int, limit: int) -> None:
    check_window(offset, limit)


@pytest.mark.parametrize(
    ("offset", "limit", "message"),
    [
        (
            MAX_RESULT_WINDOW - 9,
            10,
            "only the first 10,000 hits can be paged through (this page ends at hit 10,001): "
            "narrow the query",
        ),
        (0, MAX_RESULT_WINDOW + 1, "this page ends at hit 10,001"),
        (10**12, 10, "this page ends at hit 1,000,000,000,010"),
        (-1, 10, "offset -1 and limit 10 must not be negative"),
        (0, -1, "offset 0 and limit -1 must not be negative"),
        # Negative limits do not buy a deeper offset.
        (MAX_RESULT_WINDOW + 5, -5, "must not be negative"),
    ],
)
def test_pages_beyond_the_window_are_refused(offset: int, limit: int, message: str) -> None:
    with pytest.raises(ResultWindowExceeded) as caught:
        check_window(offset, limit)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)  # a request to refuse, not a server error


@pytest.mark.parametrize(
    ("page_size", "refused_by"),
    [
        (1, ValidationError),  # the body's bound on page_number
        (7, ResultWindowExceeded),
        (10, ResultWindowExceeded),
        (MAX_SEARCH_PAGE_SIZE, ResultWindowExceeded),
    ],
)
def test_the_last_search_page_in_the_window_is_served_and_the_next_refused(
    page_size: int, refused_by: type[Exception]
) -> None:
    def search(page_number: int) -> None:
        body = SearchBody(page_number=page_number, page_size=page_size)
        check_window((body.page_number - 1) * body.page_size, body.page_size)

    last = MAX_RESULT_WINDOW // page_size
    search(last)
    with pytest.raises(refused_by):
        search(last + 1)


@pytest.mark.parametrize(
    "fields",
    [
        {"page_number": 0},
        {"page_number": MAX_SEARCH_PAGE_NUMBER + 1},
        {"page_size": 0},
        {"page_size": MAX_SEARCH_PAGE_SIZE + 1},
        {"q": "a" * (MAX_QUERY_LENGTH + 1)},
    ],
)
def test_a_search_body_out_of_bounds_is_refused(fields: dict) -> None:
    with pytest.raises(ValidationError):
        SearchBody(**fields)


def test_the_search_body_takes_the_longest_query_the_parser_does() -> None:
    assert SearchBody(q="a" * MAX_QUERY_LENGTH).q == "a" * MAX_QUERY_LENGTH


# --- how deep a list may page ---------------------------------------------------------------------


def test_the_deepest_list_offset_fits_every_database() -> None:
    deepest = PageParams(page_size=MAX_PAGE_SIZE, page_number=MAX_PAGE_NUMBER)
    assert deepest.offset == (MAX_PAGE_NUMBER - 1) * MAX_PAGE_SIZE
    assert deepest.offset + MAX_PAGE_SIZE <= INT32_MAX


@pytest.mark.parametrize(
    ("page_size", "page_number", "offset"),
    [(5, 1, 0), (5, 2, 5), (1, 1, 0), (MAX_PAGE_SIZE, 3, 2 * MAX_PAGE_SIZE)],
)
def test_a_pages_offset(page_size: int, page_number: int, offset: int) -> None:
    assert asyncio.run(page_params(page_size, page_number)).offset == offset


def test_the_default_page() -> None:
    assert (PageParams().page_size, PageParams().page_number) == (5, 1)
    assert asyncio.run(page_params()) == PageParams()


@pytest.mark.parametrize(
    ("page_size", "page_number"),
    [
        (0, 1),
        (-1, 1),
        (MAX_PAGE_SIZE + 1, 1),
        (5, 0),
        (5, -1),
        (5, MAX_PAGE_NUMBER + 1),
        (5, 1118286350931702560325632),  # from a report: past every database's integers
    ],
)
def test_list_paging_out_of_bounds_is_refused(page_size: int, page_number: int) -> None:
    with pytest.raises(ValidationError):
        asyncio.run(page_params(page_size, page_number))
