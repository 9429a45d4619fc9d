"""Page previews: the files the previews task makes, and running its pending tasks."""

import uuid

from sqlalchemy import select

from quire.core.models import DocumentVersion, TaskRecord
from quire.core.storage import preview_key, thumbnail_key
from quire.core.tasks.execute import execute


def expected_previews(db, document_id):
    """Every file the previews task makes for a document's PDF version."""
    document_id = uuid.UUID(document_id)
    with db.session() as session:
        versions = session.scalars(
            select(DocumentVersion).where(DocumentVersion.document_id == document_id)
        ).all()
        pdf = next(v for v in reversed(versions) if v.is_pdf)
        pages = [page.id for page in pdf.pages]
    keys = [preview_key(page, size) for page in pages for size in ("sm", "md")]
    return [thumbnail_key(document_id), *keys]


def run_previews(app, db):
    """Run every pending previews task once, in this process; each must succeed."""
    with db.session() as session:
        pending = session.scalars(
            select(TaskRecord.id).where(
                TaskRecord.name == "previews", TaskRecord.state == "pending"
            )
        ).all()
    states = [execute(db, app.state.storage, app.state.settings, task_id) for task_id in pending]
    assert states, "no previews task was pending"
    assert set(states) == {"succeeded"}, states
