"""Page operations: Papermerge 3.5.3's ``POST /api/pages/``, ``/pages/move``, ``/pages/extract``,
and ``POST /api/documents/merge`` (ours). Thin: access and input here, the work in
``quire.core.page_operations``.

- ``POST /api/pages/`` (``page.update``): the body lists the pages to keep, in their new order,
  each with an angle (clockwise, relative to the page's current rotation, a multiple of 90);
  pages left out are deleted. Answers the document with its new version.
- ``POST /api/pages/move`` (``page.move``): ``mix`` puts the pages before the target page, as
  upstream does (``position: "after"``, not in Papermerge, puts them after it); ``replace``
  makes them the target's only pages. A source left without pages is deleted and answered as
  ``source: null``. Moving pages onto their own document is refused (reorder them instead).
- ``POST /api/pages/extract`` (``page.extract``, and ``node.create`` on the folder): one new
  document, or one per page, titled ``<title_format>-<uuid>.pdf`` as upstream does.
- ``POST /api/documents/merge`` (``page.move`` and ``node.delete``): Papermerge 3.5.3 has no
  route to merge documents. Ours takes ``{"source_ids": [...], "target_id": ...}``, appends the
  sources' pages (in the order given) to the target's as its new version, and deletes the
  sources through the node deletion: a merge is a move of every page, so it needs what moving
  pages needs on every document, and ``node.delete`` on the sources that go.

Every change is a new version; old versions stay. Pages are given by id (a page of the
document's current version; its ``number``, where given, must be the page's). A page or
document the caller may not see is 404 (unknown ones alike); one whose share does not allow
the operation is 403; a request that makes no sense for its pages is 400 (422 for a body of
the wrong shape); another change to the same documents committing first is 409. A refusal
changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from quire.core import page_operations as ops
from quire.core import scopes
from quire.core.files import Limits
from quire.core.models import Document, Folder, Node, Page, User
from quire.web.api.common import accessible, accessible_node, not_found, refusals_as
from quire.web.api.node_schemas import DocumentOut, for_caller, node_out
from quire.web.api.node_views import full_out
from quire.web.api.page_schemas import (
    ExtractPagesIn,
    ExtractPagesOut,
    MergeDocumentsIn,
    MovePagesIn,
    MovePagesOut,
    PageAndRotOps,
)
from quire.web.deps import AppSettings, DbSession, Storage, require

router = APIRouter(tags=["pages"])

PageUpdater = Annotated[User, require(scopes.PAGE_UPDATE)]
PageMover = Annotated[User, require(scopes.PAGE_MOVE)]
PageExtractor = Annotated[User, require(scopes.PAGE_EXTRACT)]
Merger = Annotated[User, require(scopes.PAGE_MOVE, scopes.NODE_DELETE)]

REFUSED: dict[type[Exception], int] = {
    ops.PageOperationRefused: status.HTTP_400_BAD_REQUEST,
    ops.PageOperationConflict: status.HTTP_409_CONFLICT,
}


@router.post("/pages/", response_model=DocumentOut)
def apply_page_operations(
    items: Annotated[PageAndRotOps, Body()],
    user: PageUpdater,
    db: DbSession,
    storage: Storage,
    settings: AppSettings,
) -> DocumentOut:
    pages = _pages(db, user, [item.page.id for item in items], scopes.PAGE_UPDATE)
    for item, page in zip(items, pages, strict=True):
        if item.page.number != page.number:
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST,
                detail=f"page {page.id} is number {page.number}, not {item.page.number}",
            )
    placed = [ops.Placed(page, item.angle) for item, page in zip(items, pages, strict=True)]
    with refusals_as(REFUSED):
        document_id = ops.apply_page_operations(db, storage, placed, Limits.from_settings(settings))
    return _document_out(db, user, document_id)


@router.post("/pages/move", response_model=MovePagesOut)
def move_pages(
    body: MovePagesIn, user: PageMover, db: DbSession, storage: Storage, settings: AppSettings
) -> MovePagesOut:
    pages = _pages(db, user, body.source_page_ids, scopes.PAGE_MOVE)
    (target,) = _pages(db, user, [body.target_page_id], scopes.PAGE_MOVE)
    limits = Limits.from_settings(settings)
    with refusals_as(REFUSED):
        outcome = ops.move_pages(
            db, storage, pages, target, body.move_strategy, limits, body.position
        )
    return MovePagesOut(
        source=_maybe_document_out(db, user, outcome.source_id),
        target=_document_out(db, user, outcome.target_ids[0]),
    )


@router.post("/pages/extract", response_model=ExtractPagesOut)
def extract_pages(
    body: ExtractPagesIn,
    user: PageExtractor,
    db: DbSession,
    storage: Storage,
    settings: AppSettings,
) -> ExtractPagesOut:
    pages = _pages(db, user, body.source_page_ids, scopes.PAGE_EXTRACT)
    folder = accessible_node(db, user, body.target_folder_id, Node, scopes.NODE_CREATE)
    if not isinstance(folder, Folder):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="the target is not a folder")
    limits = Limits.from_settings(settings)
    with refusals_as(REFUSED):
        outcome = ops.extract_pages(
            db, storage, pages, folder, body.strategy, body.title_format, limits
        )
    targets = []
    for document_id in outcome.target_ids:
        document, granted = accessible(db, user, document_id, Document)
        targets.append(for_caller(node_out(document), granted))
    return ExtractPagesOut(source=_maybe_document_out(db, user, outcome.source_id), target=targets)


@router.post("/documents/merge", response_model=DocumentOut)
def merge_documents(
    body: MergeDocumentsIn, user: Merger, db: DbSession, storage: Storage, settings: AppSettings
) -> DocumentOut:
    sources = []
    for source_id in body.source_ids:
        source, granted = accessible(db, user, source_id, Document, scopes.PAGE_MOVE)
        if not granted.allows(scopes.NODE_DELETE):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"your role on this node does not allow {scopes.NODE_DELETE}",
            )
        sources.append(source)
    target = accessible_node(db, user, body.target_id, Document, scopes.PAGE_MOVE)
    with refusals_as(REFUSED):
        target_id = ops.merge_documents(
            db, storage, sources, target, Limits.from_settings(settings)
        )
    return _document_out(db, user, target_id)


def _pages(db: Session, user: User, page_ids: Sequence[uuid.UUID], perm: str) -> list[Page]:
    """The pages, in the order given (repeats kept, for core to refuse), if the caller may see
    their documents and do ``perm`` with them: unknown or unseen pages are one 404."""
    found = {page.id: page for page in db.scalars(select(Page).where(Page.id.in_(set(page_ids))))}
    if len(found) != len(set(page_ids)):
        raise not_found()
    for document_id in dict.fromkeys(page.version.document_id for page in found.values()):
        accessible_node(db, user, document_id, Document, perm)
    return [found[page_id] for page_id in page_ids]


def _document_out(db: Session, user: User, document_id: uuid.UUID) -> DocumentOut:
    out = full_out(db, *accessible(db, user, document_id, Document), include_self=True)
    assert isinstance(out, DocumentOut)
    return out


def _maybe_document_out(
    db: Session, user: User, document_id: uuid.UUID | None
) -> DocumentOut | None:
    return None if document_id is None else _document_out(db, user, document_id)
