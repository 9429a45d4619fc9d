"""Telling the path templates worker that a document may belong elsewhere.

A document type may carry a path template (``DocumentType.path_template``). Whatever changes
what a document's template renders to (giving it a type, changing its custom-field values, a
new template or fewer fields on its type) calls ``file_later`` or ``refile_type_later`` in the
same transaction as the change. The tasks (the path_templates package's, registered at
start-up; core never imports it) read the document as it is when they run and move it where
its template says, so a late or repeated task is harmless. See docs/path-templates.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.orm import Session

from quire.core.models import Document, DocumentType
from quire.core.tasks import enqueue

FILE_TASK = "file_by_template"
REFILE_TYPE_TASK = "refile_type"
FILING_QUEUE = "path_tmpl"


def has_template(doc_type: DocumentType | None) -> bool:
    return doc_type is not None and bool(doc_type.path_template)


def file_later(
    session: Session, document_ids: Iterable[uuid.UUID], *, user_id: uuid.UUID | None = None
) -> None:
    """Queue the documents for filing by their type's template."""
    ids = sorted({str(document_id) for document_id in document_ids})
    if ids:
        enqueue(session, FILE_TASK, {"document_ids": ids}, user_id=user_id, queue=FILING_QUEUE)


def file_if_templated(session: Session, document: Document) -> None:
    """Queue the document for filing if its type has a template."""
    if document.document_type_id is None:
        return
    if has_template(session.get(DocumentType, document.document_type_id)):
        file_later(session, [document.id], user_id=document.user_id)


def refile_type_later(session: Session, doc_type: DocumentType) -> None:
    """Queue every document of the type for filing: the task files them in batches, each in
    transactions of its own, and queues the next batch itself."""
    if has_template(doc_type):
        enqueue(
            session,
            REFILE_TYPE_TASK,
            {"type_id": str(doc_type.id), "after": None},
            user_id=doc_type.user_id,
            queue=FILING_QUEUE,
        )
