"""The ``ocr`` task with real Tesseract: scans get a text layer, born-digital PDFs are kept."""

import io
import uuid

import pikepdf
import pytest
from sqlalchemy import func, select

from quire.core.models import DocumentVersion, TaskRecord
from quire.core.ocr import ocr_document
from quire.core.storage import docver_key
from quire.core.tasks import TaskContext
from tests import samples
from tests.ocr.helpers import document, ocr_status, ocr_tasks, run_ocr, upload

INVOICE = "Invoice number 4711\nTotal amount due"
DELIVERY = "Delivery note\nThree boxes of paper"


def words(text):
    return set(text.lower().split())


def image_count(data):
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return sum(len(page.get_images()) for page in pdf.pages)


def test_a_scanned_pdf_gets_text_on_the_right_pages(app, db, alice, automatic_ocr):
    scan = samples.scanned_pdf([INVOICE, DELIVERY])
    uploaded = upload(alice, scan)
    assert uploaded["ocr_status"] == "RECEIVED"
    (task,) = ocr_tasks(db)
    source = uploaded["versions"][0]
    assert task.args == {
        "document_id": uploaded["id"],
        "lang": "eng",
        "source_version_id": source["id"],
    }
    assert [page["text"] for page in source["pages"]] == ["", ""]

    assert run_ocr(app, db) == ["succeeded"]
    details = document(alice, uploaded["id"])
    assert details["ocr_status"] == "SUCCESS"
    _, ocrd = details["versions"]
    assert (ocrd["number"], ocrd["page_count"], ocrd["file_name"]) == (2, 2, "scan.pdf")
    one, two = (words(page["text"]) for page in ocrd["pages"])
    assert {"invoice", "4711", "total"} <= one
    assert not {"delivery", "boxes"} & one
    assert {"delivery", "boxes", "paper"} <= two
    assert not {"invoice", "4711"} & two
    # The scan's images are kept as they were: the text layer adds little.
    data = alice.client.get(ocrd["download_url"]).content
    assert len(data) <= 1.5 * len(scan)
    assert image_count(data) == 2
    # The new version's previews are queued with it.
    with db.session() as session:
        previews = session.scalars(select(TaskRecord).where(TaskRecord.name == "previews"))
        assert ocrd["id"] in {record.args["version_id"] for record in previews}
    status = alice.client.get("/api/documents/ocr-status/", params={"doc_ids": [uploaded["id"]]})
    assert status.json() == [{"doc_id": uploaded["id"], "status": "SUCCESS", "error": None}]


def test_a_born_digital_pdf_keeps_its_text_and_is_not_rasterised(app, db, alice, automatic_ocr):
    texts = ["first page words", "second page words"]
    uploaded = upload(alice, samples.pdf_with_text(texts), "letter.pdf")
    assert run_ocr(app, db) == ["succeeded"]
    ocrd = document(alice, uploaded["id"])["versions"][-1]
    assert ocrd["number"] == 2
    assert [page["text"] for page in ocrd["pages"]] == texts
    assert image_count(alice.client.get(ocrd["download_url"]).content) == 0


@pytest.mark.parametrize(("format", "mime"), [("PNG", "image/png"), ("TIFF", "image/tiff")])
def test_image_uploads_are_ocrd_from_the_pdf_made_of_them(
    app, db, alice, automatic_ocr, format, mime
):
    image = samples.scanned_page(INVOICE, format)
    uploaded = upload(alice, image, f"photo.{format.lower()}", mime)
    original, pdf = uploaded["versions"]
    (task,) = ocr_tasks(db)
    assert task.args["source_version_id"] == pdf["id"]
    assert run_ocr(app, db) == ["succeeded"]
    versions = document(alice, uploaded["id"])["versions"]
    assert [v["number"] for v in versions] == [1, 2, 3]
    assert {"invoice", "4711"} <= words(versions[-1]["pages"][0]["text"])
    assert alice.client.get(original["download_url"]).content == image


def test_two_languages_at_once(app, db, alice):
    german = "Die Straße ist groß\nÄrger über Größe"
    uploaded = upload(alice, samples.scanned_pdf([german + "\nThe weather is fine"]))
    response = alice.client.post(
        "/api/tasks/ocr", json={"document_id": uploaded["id"], "lang": "deu+eng"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["args"]["lang"] == "deu+eng"
    assert run_ocr(app, db) == ["succeeded"]
    ocrd = document(alice, uploaded["id"])["versions"][-1]
    assert ocrd["lang"] == "deu+eng"
    found = words(ocrd["pages"][0]["text"])
    assert {"straße", "groß", "ärger", "über", "größe", "weather"} <= found


def test_a_corrupt_file_ends_failed_with_a_readable_error(app, db, alice):
    uploaded = upload(alice, samples.scanned_pdf([INVOICE]))
    version = uploaded["versions"][0]
    # Damaged on disk after the upload was checked and stored.
    path = app.state.storage.path(docver_key(uuid.UUID(version["id"]), version["file_name"]))
    path.write_bytes(b"%PDF-1.7\nthe rest of this file was lost\n%%EOF\n")
    assert (
        alice.client.post("/api/tasks/ocr", json={"document_id": uploaded["id"]}).status_code == 200
    )
    assert run_ocr(app, db) == ["failed"]  # at once: no retry can mend the file
    (task,) = ocr_tasks(db)
    assert task.attempts == 1
    assert task.last_error == "OcrFailed: cannot OCR this version: the PDF is corrupt or unreadable"
    status, error = ocr_status(db, uploaded["id"])
    assert status == "FAILURE"
    assert error == "cannot OCR this version: the PDF is corrupt or unreadable"
    listed = alice.client.get("/api/documents/ocr-status/", params={"doc_ids": [uploaded["id"]]})
    assert listed.json()[0] == {"doc_id": uploaded["id"], "status": "FAILURE", "error": error}
    assert len(document(alice, uploaded["id"])["versions"]) == 1


def test_a_redelivered_task_makes_no_second_version(app, db, alice, automatic_ocr):
    uploaded = upload(alice, samples.scanned_pdf([INVOICE]))
    assert run_ocr(app, db) == ["succeeded"]
    (task,) = ocr_tasks(db)
    # As if its worker died after storing the version and before recording the success.
    context = TaskContext(
        db=db, storage=app.state.storage, settings=app.state.settings, task_id=task.id, attempt=2
    )
    ocr_document(context, **task.args)
    with db.session() as session:
        made = session.scalars(
            select(DocumentVersion).where(DocumentVersion.ocr_task_id == task.id)
        ).all()
        count = session.scalar(
            select(func.count())
            .select_from(DocumentVersion)
            .where(DocumentVersion.document_id == uuid.UUID(uploaded["id"]))
        )
    assert len(made) == 1
    assert count == 2
    assert ocr_status(db, uploaded["id"]) == ("SUCCESS", None)


def test_an_uninstalled_document_language_fails_listing_the_installed_ones(
    app, db, alice, automatic_ocr
):
    uploaded = upload(alice, samples.scanned_pdf([INVOICE]), lang="xyz")
    assert run_ocr(app, db) == ["failed"]
    status, error = ocr_status(db, uploaded["id"])
    assert status == "FAILURE"
    assert error.startswith("unknown OCR language 'xyz'; installed: ")
    assert "deu, eng" in error
    assert "osd" not in error


def test_the_ocr_flag_and_the_setting_decide_what_is_ocrd_automatically(
    app, db, alice, automatic_ocr
):
    upload(alice, samples.scanned_pdf([INVOICE]), ocr="false")
    assert ocr_tasks(db) == []
    monkey = automatic_ocr.ocr.model_copy(update={"automatic": False})
    app.state.settings = automatic_ocr.model_copy(update={"ocr": monkey})
    unasked = upload(alice, samples.scanned_pdf([INVOICE]))
    assert unasked["ocr_status"] == "UNKNOWN"
    assert ocr_tasks(db) == []
