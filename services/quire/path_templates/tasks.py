"""The ``path_tmpl`` queue's tasks: filing documents, and re-filing a whole type in batches.

``refile_type`` files one batch of the type's documents (by id, after ``after``), each in its
own transaction, then queues the next batch as a new task: a template change over 10,000
documents holds no long transaction, and a crash loses at most the batch under way (the outbox
runs it again; filing is idempotent). The next batch's task id is derived from the chain's first
task and the batch's start, so a batch run twice queues its successor once.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quire.core.db import Database
from quire.core.filing import FILE_TASK, FILING_QUEUE, REFILE_TYPE_TASK
from quire.core.models import Document, DocumentType
from quire.core.tasks import TaskContext, enqueue, task
from quire.path_templates.filing import file_document

log = logging.getLogger("quire.path_templates")

BATCH_SIZE = 200
_CHAIN = uuid.UUID("0c5b3f0e-3a51-4d7e-9a0c-6a1d2f9b7e41")


@task(FILE_TASK, queue=FILING_QUEUE)
def file_documents(ctx: TaskContext, document_ids: list[str]) -> None:
    outcomes = file_batch(ctx.db, [uuid.UUID(document_id) for document_id in document_ids])
    log.info("documents filed", extra={"outcomes": dict(outcomes)})


@task(REFILE_TYPE_TASK, queue=FILING_QUEUE)
def refile_type(
    ctx: TaskContext, type_id: str, after: str | None, chain: str | None = None
) -> None:
    chain = chain or str(ctx.task_id)
    with ctx.db.session() as session:
        batch = type_batch(session, uuid.UUID(type_id), after, BATCH_SIZE)
    outcomes = file_batch(ctx.db, batch)
    log.info("type re-filed: a batch", extra={"type_id": type_id, "outcomes": dict(outcomes)})
    if len(batch) == BATCH_SIZE:
        _queue_next(ctx, type_id, str(batch[-1]), chain)


def file_batch(
    db: Database, document_ids: list[uuid.UUID], filed: Callable[[], None] | None = None
) -> Counter[str]:
    """File each document in a transaction of its own (``filed`` is called after each); one
    session for them all, so that what they share (their type, their folders) is read once."""
    outcomes: Counter[str] = Counter()
    with db.session() as session:
        for document_id in document_ids:
            outcomes[file_document(session, document_id).kind] += 1
            if filed is not None:
                filed()
    return outcomes


def type_batch(
    session: Session, type_id: uuid.UUID, after: str | None, limit: int
) -> list[uuid.UUID]:
    """The ids of the type's next ``limit`` documents after ``after``, in id order."""
    query = select(Document.id).where(Document.document_type_id == type_id)
    if after is not None:
        query = query.where(Document.id > uuid.UUID(after))
    return list(session.scalars(query.order_by(Document.id).limit(limit)))


def _queue_next(ctx: TaskContext, type_id: str, after: str, chain: str) -> None:
    with ctx.db.session() as session:
        doc_type = session.get(DocumentType, uuid.UUID(type_id))
        if doc_type is None:
            return
        enqueue(
            session,
            REFILE_TYPE_TASK,
            {"type_id": type_id, "after": after, "chain": chain},
            user_id=doc_type.user_id,
            queue=FILING_QUEUE,
            task_id=uuid.uuid5(_CHAIN, f"{chain}:{after}"),
        )
        try:
            session.commit()
        except IntegrityError:  # queued by an earlier run of this batch
            session.rollback()
