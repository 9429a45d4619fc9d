"""Time limits: a page over Tesseract's limit loses only its own text; a document over its
limit is stopped (its process group killed) and ends failed, with no new version."""

import io

import pikepdf

from quire.core.tasks.execute import execute
from tests import samples
from tests.ocr.helpers import document, ocr_status, ocr_tasks, upload


def mixed_pdf():
    """Page 1 born-digital (it has text), page 2 a scan (no text)."""
    digital = pikepdf.open(io.BytesIO(samples.pdf_with_text(["typed page words"])))
    scan = pikepdf.open(io.BytesIO(samples.scanned_pdf(["Invoice number 4711"])))
    digital.pages.extend(scan.pages)
    buffer = io.BytesIO()
    digital.save(buffer)
    return buffer.getvalue()


def run_with(app, db, **ocr):
    settings = app.state.settings.model_copy(
        update={"ocr": app.state.settings.ocr.model_copy(update={"jobs": 1, **ocr})}
    )
    pending = ocr_tasks(db, state="pending")
    return [execute(db, app.state.storage, settings, task.id) for task in pending]


def test_a_page_over_its_limit_loses_only_its_own_text(app, db, alice, automatic_ocr):
    uploaded = upload(alice, mixed_pdf())
    assert run_with(app, db, page_timeout_seconds=0.001) == ["succeeded"]
    details = document(alice, uploaded["id"])
    assert details["ocr_status"] == "SUCCESS"
    typed, scanned = details["versions"][-1]["pages"]
    assert typed["text"] == "typed page words"
    assert scanned["text"] == ""  # Tesseract was stopped on this page; the page itself stays


def test_a_document_over_its_limit_is_stopped_and_fails(app, db, alice, automatic_ocr):
    pages = [f"Page {number} of a long scan" for number in range(1, 7)]
    uploaded = upload(alice, samples.scanned_pdf(pages))
    assert run_with(app, db, document_timeout_seconds=1) == ["failed"]
    status, error = ocr_status(db, uploaded["id"])
    assert status == "FAILURE"
    assert error == "OCR took longer than 1 s (OCR__DOCUMENT_TIMEOUT_SECONDS)"
    (task,) = ocr_tasks(db)
    assert task.attempts == 1  # a limit is not retried: the next run would take as long
    assert len(document(alice, uploaded["id"])["versions"]) == 1
