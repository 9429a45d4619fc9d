"""``/api/trash``: the caller's trash (Quire's own; Papermerge 3.5 deletes for good).

- ``GET /api/trash/`` -> ``Paginated`` list items: what the caller deleted, and what was deleted
  from their groups' folders (the group's trash is each member's), newest first unless
  ``order_by`` says otherwise, paged like a folder; each with ``trashed_at``.
- ``POST /api/trash/restore`` ``{"node_ids": [...]}`` -> the restored nodes' ids: back into
  the folders they came from (or home, if that folder is gone or in the trash itself).
- ``DELETE /api/trash/`` ``{"node_ids": [...]}`` deletes those for good now; without
  ``node_ids`` (or with no body), everything in the trash. -> ``{"deleted": n}``.

Each id must be an item of a trash the caller owns: another user's node is a 404 like a missing
one (the access rule shows a trashed node to nobody else), one of the caller's nodes that is not
in the trash a 400 naming it; either way nothing changes. ``DELETE /api/nodes/`` is what puts
nodes here.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Response, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from quire.core import ownership, scopes
from quire.core.models import User
from quire.core.trash import NotInTrash, empty_trash, restore_nodes
from quire.web.api.common import (
    PageParams,
    Paginated,
    page_params,
    refusals_as,
)
from quire.web.api.node_views import ListItem, OrderBy, children_page, listing_response
from quire.web.api.nodes_bulk import BULK_LIMIT, refused_as_named
from quire.web.deps import DbSession, Storage, require

router = APIRouter(tags=["trash"])

Viewer = Annotated[User, require(scopes.NODE_VIEW)]
Deleter = Annotated[User, require(scopes.NODE_DELETE)]


class TrashIds(BaseModel):
    node_ids: list[uuid.UUID] = Field(min_length=1, max_length=BULK_LIMIT)


class EmptyTrash(BaseModel):
    node_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=BULK_LIMIT)


class Emptied(BaseModel):
    deleted: int


@router.get("/trash/", response_model=Paginated[ListItem])
def list_trash(
    user: Viewer,
    db: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    order_by: OrderBy | None = "-updated_at",
) -> Response:
    # Moving a node into the trash updates it: "-updated_at" is "most recently deleted first".
    return listing_response(trash_page(db, user, order_by, params))


def trash_page(
    db: Session, user: User, order_by: OrderBy | None, params: PageParams
) -> Paginated[ListItem]:
    """One page of the trashes the user owns (their own and their groups')."""
    # No trash folder (never, but for a half-made user) must not mean "parent_id IS NULL".
    trashes = ownership.trash_folders(db, user.id) or [uuid.UUID(int=0)]
    return children_page(db, user, trashes, order_by, params)


@router.post("/trash/restore", response_model=list[uuid.UUID])
def restore(body: TrashIds, user: Deleter, db: DbSession) -> list[uuid.UUID]:
    refused_as_named(db, user, body.node_ids, scopes.NODE_DELETE)
    with refusals_as({NotInTrash: status.HTTP_400_BAD_REQUEST}):
        restore_nodes(db, user, body.node_ids)
    return body.node_ids


@router.delete("/trash/", response_model=Emptied)
def empty(
    user: Deleter,
    db: DbSession,
    storage: Storage,
    body: Annotated[EmptyTrash | None, Body()] = None,
) -> Emptied:
    node_ids = None if body is None else body.node_ids
    if node_ids is not None:
        refused_as_named(db, user, node_ids, scopes.NODE_DELETE)
    with refusals_as({NotInTrash: status.HTTP_400_BAD_REQUEST}):
        return Emptied(deleted=empty_trash(db, storage, user, node_ids))
