"""What the OCR tests share: uploads, the OCR tasks in the outbox, running them."""

import uuid

from sqlalchemy import select

from quire.core.models import Document, TaskRecord
from quire.core.tasks.execute import execute


def upload(account, data, name="scan.pdf", mime="application/pdf", **form):
    response = account.client.post(
        "/api/documents/upload", files={"file": (name, data, mime)}, data=form
    )
    assert response.status_code == 201, response.text
    return response.json()


def ocr_tasks(db, state=None):
    with db.session() as session:
        query = select(TaskRecord).where(TaskRecord.name == "ocr").order_by(TaskRecord.created_at)
        if state is not None:
            query = query.where(TaskRecord.state == state)
        return list(session.scalars(query))


def run_ocr(app, db):
    """Run every pending OCR task once; returns the states they ended in."""
    settings = app.state.settings.model_copy(
        update={"ocr": app.state.settings.ocr.model_copy(update={"jobs": 1})}
    )
    return [
        execute(db, app.state.storage, settings, record.id)
        for record in ocr_tasks(db, state="pending")
    ]


def document(account, document_id):
    response = account.client.get(f"/api/documents/{document_id}")
    assert response.status_code == 200, response.text
    return response.json()


def ocr_status(db, document_id):
    with db.session() as session:
        row = session.get(Document, uuid.UUID(document_id))
        return row.ocr_status, row.ocr_error
