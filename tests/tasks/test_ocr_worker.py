"""An ``ocr`` worker SIGKILLed mid-OCR: another worker OCRs the document, and it gets one new
version, not two. Real ``quire serve``, ``quire worker ocr``, Redis and Tesseract."""

import json
import uuid

from sqlalchemy import select

from quire.core.models import Document, DocumentVersion, TaskRecord
from tests import samples
from tests.processes import quire_serve, wait_for
from tests.tasks.stack import client_for, worker

OCR_TIMEOUT = 25


def ocr_tasks(db):
    with db.session() as session:
        return list(session.scalars(select(TaskRecord).where(TaskRecord.name == "ocr")))


def test_a_killed_ocr_worker_leaves_one_new_version(quire_env, redis, db, tmp_path):
    env = {
        **quire_env,
        "QUIRE__REDIS__URL": redis.url,
        "QUIRE__OCR__AUTOMATIC": "true",
        "QUIRE__OCR__JOBS": "1",
        "QUIRE__TASKS__TIMEOUTS": json.dumps({"previews": 60, "ocr": OCR_TIMEOUT}),
    }
    doomed = worker(env, tmp_path, "doomed", queue="ocr")
    survivor = None
    try:
        with quire_serve(env, tmp_path / "serve.log") as server, client_for(server.base) as client:
            scan = samples.scanned_pdf(["first page of the lease", "second page"])
            response = client.post(
                "/api/documents/upload", files={"file": ("scan.pdf", scan, "application/pdf")}
            )
            assert response.status_code == 201, response.text
            document_id = uuid.UUID(response.json()["id"])
            wait_for(lambda: any(t.state == "running" for t in ocr_tasks(db)), 60, "OCR to start")
            doomed.kill()
            survivor = worker(env, tmp_path, "survivor", queue="ocr")
            wait_for(
                lambda: [t.state for t in ocr_tasks(db)] == ["succeeded"],
                OCR_TIMEOUT + 90,
                "the OCR task to succeed on the second worker",
            )
    finally:
        doomed.stop()
        if survivor is not None:
            survivor.stop()
    (task,) = ocr_tasks(db)
    assert task.attempts == 2
    with db.session() as session:
        versions = session.scalars(
            select(DocumentVersion)
            .where(DocumentVersion.document_id == document_id)
            .order_by(DocumentVersion.number)
        ).all()
        assert [v.ocr_task_id for v in versions] == [None, task.id]
        assert "lease" in versions[1].pages[0].text
        assert session.get(Document, document_id).ocr_status == "SUCCESS"
