"""``/api/tasks``: the caller's background work — state, attempts, last error — and retry.

Operators see everyone's with ``quire tasks``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from quire.core import ocr, scopes
from quire.core.models import Document, TaskRecord, TaskState, User
from quire.core.tasks import outbox
from quire.web.api.common import (
    PageParams,
    Paginated,
    accessible_node,
    not_found,
    page,
    page_params,
)
from quire.web.deps import CurrentUser, DbSession, require

router = APIRouter(prefix="/tasks", tags=["tasks"])

OcrStarter = Annotated[User, require(scopes.TASK_OCR)]


class Task(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    queue: str
    args: dict[str, Any]
    state: TaskState
    attempts: int
    last_error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def _own_task(db: Session, user: User, task_id: uuid.UUID) -> TaskRecord:
    record = db.get(TaskRecord, task_id)
    if record is None or record.user_id != user.id:
        raise not_found("Task not found")
    return record


@router.get("/", response_model=Paginated[Task])
def list_tasks(
    user: CurrentUser,
    db: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    state: TaskState | None = None,
) -> Paginated[Task]:
    """The caller's tasks, newest first."""
    query = select(TaskRecord).where(TaskRecord.user_id == user.id)
    if state is not None:
        query = query.where(TaskRecord.state == state.value)
    query = query.order_by(TaskRecord.created_at.desc(), TaskRecord.id)
    return page(db, query, params, Task.model_validate)


class OcrRequest(BaseModel):
    """Upstream's body: the document, and the language(s) to read it in (``deu+eng``)."""

    document_id: uuid.UUID
    # The document's own language when left out.
    lang: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None


@router.post("/ocr", response_model=Task)
def start_ocr(body: OcrRequest, user: OcrStarter, db: DbSession) -> TaskRecord:
    """OCR the document's newest PDF into a new version; returns the queued task."""
    document = accessible_node(db, user, body.document_id, Document, scopes.TASK_OCR)
    try:
        lang = ocr.check_language(body.lang or document.lang)
        record = ocr.schedule(db, document, lang)
    except ocr.UnknownLanguage as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from exc
    except ocr.NothingToOcr as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
    except ocr.OcrUnavailable as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc)) from exc
    db.commit()
    return record


@router.get("/{task_id}", response_model=Task)
def get_task(task_id: uuid.UUID, user: CurrentUser, db: DbSession) -> TaskRecord:
    return _own_task(db, user, task_id)


@router.post("/{task_id}/retry", response_model=Task)
def retry_task(task_id: uuid.UUID, user: CurrentUser, db: DbSession) -> TaskRecord:
    """Run a failed task again."""
    record = _own_task(db, user, task_id)
    if record.state != TaskState.failed.value:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail=f"only failed tasks can be retried; this one is {record.state}",
        )
    outbox.retry(db, record)
    return record
