"""Finding 5: image limits read from headers, before anything is decoded."""

import uuid

import pytest
from sqlalchemy import select

from quire.core import files
from quire.core.models import Document, TaskRecord
from quire.core.tasks.execute import execute
from tests.hardening import hostile

LIMIT = 180_000_000  # as documented (MAIN__MAX_IMAGE_MEGAPIXELS)


def upload(account, data, name, mime):
    return account.client.post("/api/documents/upload", files={"file": (name, data, mime)})


def test_an_image_of_exactly_the_limit_is_accepted_and_one_pixel_row_more_is_not(tmp_path):
    exact = tmp_path / "exact.png"
    exact.write_bytes(hostile.huge_png(18_000, LIMIT // 18_000))
    assert files.inspect(exact).page_count == 1
    over = tmp_path / "over.png"
    over.write_bytes(hostile.huge_png(18_000, LIMIT // 18_000 + 1))
    with pytest.raises(files.UnacceptableFile, match="more than 180 megapixels"):
        files.inspect(over)


def test_every_frame_s_header_is_checked(tmp_path):
    # Only the third frame is over 10,000 pixels: it is found from its directory.
    path = tmp_path / "frames.tiff"
    path.write_bytes(hostile.many_frames_tiff(3, (100, 100), last=(100, 101)))
    with pytest.raises(files.UnacceptableFile, match=r"more than 0\.01 megapixels"):
        files.inspect(path, files.Limits(max_image_pixels=10_000))
    assert files.inspect(path, files.Limits(max_image_pixels=10_100)).page_count == 3


def test_the_frame_limit_is_the_page_limit(tmp_path):
    path = tmp_path / "frames.tiff"
    path.write_bytes(hostile.many_frames_tiff(6))
    assert files.inspect(path, files.Limits(max_pages=6)).page_count == 6
    with pytest.raises(files.TooManyPages, match="more than 5 frames"):
        files.inspect(path, files.Limits(max_pages=5))


def test_a_357_megapixel_png_of_43_kb_is_refused_at_upload(alice, all_rows):
    before = all_rows()
    response = upload(alice, hostile.huge_png(19_000, 18_800), "bomb.png", "image/png")
    assert response.status_code == 400
    assert response.json() == {"detail": "the image is too large (more than 180 megapixels)"}
    assert all_rows() == before


def test_a_3000_frame_tiff_is_refused_for_its_frame_count(alice, all_rows):
    before = all_rows()
    response = upload(alice, hostile.many_frames_tiff(3000), "fax.tiff", "image/tiff")
    assert response.status_code == 400
    assert response.json() == {"detail": "the image has more than 2,000 frames"}
    assert all_rows() == before


def test_frames_that_add_up_past_the_total_are_refused_before_conversion(alice, all_rows):
    # 1,001 frames of one megapixel each share one strip on disk (1 MB): converting them to
    # PDF inside the request would decode a gigapixel.
    before = all_rows()
    response = upload(alice, hostile.many_frames_tiff(1001, (1000, 1000)), "x.tiff", "image/tiff")
    assert response.status_code == 400
    assert response.json() == {"detail": "the image's frames add up to more than 1,000 megapixels"}
    assert all_rows() == before


def test_ocr_of_an_image_over_pillow_s_limit_fails_once_and_for_all(app, db, alice):
    # A PDF may carry such an image (only uploaded images are checked): OCRmyPDF's Pillow
    # refuses it, and no retry changes that.
    response = upload(alice, hostile.huge_image_pdf(20_000, 20_000), "bomb.pdf", "application/pdf")
    assert response.status_code == 201, response.text
    document_id = response.json()["id"]
    assert alice.client.post("/api/tasks/ocr", json={"document_id": document_id}).status_code < 300
    with db.session() as session:
        (task_id,) = session.scalars(select(TaskRecord.id).where(TaskRecord.name == "ocr"))
    settings = app.state.settings
    settings = settings.model_copy(update={"ocr": settings.ocr.model_copy(update={"jobs": 1})})
    assert execute(db, app.state.storage, settings, task_id) == "failed"
    with db.session() as session:
        record = session.get(TaskRecord, task_id)
        assert record.attempts == 1
        assert "an image is too large (DecompressionBombError" in record.last_error
        document = session.get(Document, uuid.UUID(document_id))
        assert document.ocr_status == "FAILURE"
