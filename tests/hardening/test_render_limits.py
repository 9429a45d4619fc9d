"""Finding 2: previews within a pixel budget, page by page, and a page limit at upload."""

import io
import uuid

import pytest
from PIL import Image
from sqlalchemy import select

from quire.core import files
from quire.core.models import DocumentVersion, TaskRecord
from quire.core.tasks.execute import execute
from tests.conftest import make_settings
from tests.hardening import hostile

A4 = (595, 842)


def upload(account, data, name="doc.pdf", mime="application/pdf"):
    return account.client.post("/api/documents/upload", files={"file": (name, data, mime)})


def test_the_scale_is_the_width_s_unless_the_bitmap_would_be_over_budget():
    limits = files.Limits()
    assert files.render_scale(*A4, 600, limits) == 600 / 595
    # 3 x 14,400 pt at 1,600 px wide would be 1,600 x 7,680,000: the longest side is capped.
    tall = files.render_scale(3, 14_400, 1600, limits)
    assert tall == limits.max_render_side / 14_400
    assert round(14_400 * tall) == 16_384
    # A tighter pixel budget: an A4 page at 1,600 px (3.6 MP) comes out at most 1 MP.
    small = files.Limits(max_render_pixels=1_000_000)
    scale = files.render_scale(*A4, 1600, small)
    assert scale < 1600 / 595
    assert 0.99e6 < (595 * scale) * (842 * scale) <= 1_000_000


@pytest.mark.parametrize("size", [(0, 842), (595, 0), (-1, 5), (float("inf"), 5)])
def test_a_page_without_a_valid_size_is_unrenderable_not_a_crash(size):
    with pytest.raises(files.UnrenderablePage, match="invalid"):
        files.render_scale(*size, 200, files.Limits())


def test_a_5_m_tall_page_renders_scaled_down_at_every_width(tmp_path):
    path = tmp_path / "tall.pdf"
    path.write_bytes(hostile.tall_page_pdf())
    for width in (200, 600, 900, 1600):
        image = Image.open(io.BytesIO(files.render_page(path, 1, width)))
        assert image.format == "JPEG"
        assert image.height == 16_384
        assert image.width <= 4


def test_the_page_limit_is_read_from_the_page_tree(tmp_path):
    path = tmp_path / "pages.pdf"
    path.write_bytes(hostile.many_pages_pdf(11))
    assert files.inspect(path, files.Limits(max_pages=11)).page_count == 11
    with pytest.raises(files.TooManyPages, match="11 pages; at most 10"):
        files.inspect(path, files.Limits(max_pages=10))


def test_huge_page_thumbnail_and_previews_are_images_not_500s(alice):
    response = upload(alice, hostile.tall_page_pdf(), "receipt.pdf")
    assert response.status_code == 201, response.text
    document = response.json()
    (page,) = document["versions"][0]["pages"]
    urls = [f"/api/thumbnails/{document['id']}"]
    urls += [f"/api/pages/{page['id']}/jpg?size={size}" for size in ("sm", "md", "lg", "xl")]
    for url in urls:
        answer = alice.client.get(url)
        assert answer.status_code == 200, (url, answer.text)
        image = Image.open(io.BytesIO(answer.content))
        assert image.format == "JPEG"
        assert image.width * image.height <= files.Limits().max_render_pixels
        assert max(image.size) <= files.Limits().max_render_side


def test_a_pdf_over_the_page_limit_is_refused_at_upload_and_nothing_is_kept(app, alice, all_rows):
    before = all_rows()
    limit = app.state.settings.main.max_pages_per_document
    response = upload(alice, hostile.many_pages_pdf(limit + 1))
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"the PDF has {limit + 1:,} pages; at most {limit:,} are accepted"
    }
    assert all_rows() == before
    assert [p for p in app.state.storage.root.rglob("*") if p.is_file()] == []


def test_previews_of_a_version_over_the_page_limit_fail_once_and_for_all(
    app, db, alice, database_url, tmp_path
):
    # Stored under a higher limit (the app's); the limit has been lowered since.
    response = upload(alice, hostile.many_pages_pdf(4))
    assert response.status_code == 201, response.text
    with db.session() as session:
        (task_id,) = session.scalars(select(TaskRecord.id).where(TaskRecord.name == "previews"))
    lowered = make_settings(
        database_url, tmp_path / "data", main={"data_dir": tmp_path, "max_pages_per_document": 3}
    )
    assert execute(db, app.state.storage, lowered, task_id) == "failed"
    with db.session() as session:
        record = session.get(TaskRecord, task_id)
        assert (record.state, record.attempts) == ("failed", 1)
        assert "4 pages; previews are drawn for at most 3" in record.last_error
        assert record.last_error.startswith("PreviewsFailed")
        version = session.scalars(select(DocumentVersion)).one()
        assert version.id == uuid.UUID(response.json()["versions"][0]["id"])
