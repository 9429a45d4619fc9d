"""``/api/shared-nodes``: sharing nodes with users and groups under roles (Papermerge 3.5 shapes).

- ``POST /shared-nodes/`` ``{node_ids, user_ids, group_ids, role_ids}``: share every node with
  every user and group under every role; 204. What is shared already stays as it is.
- ``GET /shared-nodes/``: the nodes shared with the caller or one of their groups, paginated
  like a folder (``page_size``, ``page_number``, ``order_by``, ``filter``); documents come
  with their versions, as upstream's do.
- ``GET /shared-nodes/folder/{parent_id}``: a shared folder's children, paginated the same way
  (the folder must be one the caller sees: 404 otherwise, like ``/nodes/{parent_id}``).
- ``GET /shared-nodes/access/{node_id}``: who has which roles on the node (its own shares).
- ``PATCH /shared-nodes/access/{node_id}``: make those exactly the given ones (upstream's
  "sync"); answers ``{id, is_shared}``.
- ``DELETE /shared-nodes/`` ``{node_ids, user_ids, group_ids, role_ids}``: take shares back (under
  the given roles, or all if none are given); 204. Upstream revoked only through PATCH.
- ``GET /shared-folders/{id}``, ``GET /shared-documents/{id}``: upstream's views of a shared
  folder or document, the same as ``/folders/{id}`` and ``/documents/{id}`` (which serve shared
  nodes too); ``shared_root_id`` is accepted and ignored.

Who may: the node's owner, or a grantee whose role on it has the same scope as the endpoint
(``shared_node.create``, ``.view``, ``.update``, ``.delete``); nobody grants or takes back a
role that allows more than they may do themselves. Upstream checked only the caller's scope, so
anyone could share anyone's nodes.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Annotated, Self

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from quire.core import access, ownership, scopes, sharing
from quire.core.models import Document, Folder, Node, User
from quire.web.api.common import (
    NoNul,
    PageParams,
    Paginated,
    accessible,
    page_params,
    refusals_as,
    rows_by_ids,
)
from quire.web.api.groups import groups_by_ids
from quire.web.api.node_schemas import DocumentOut, FolderOut
from quire.web.api.node_views import (
    OrderBy,
    SharedListItem,
    full_out,
    list_items,
    node_page,
)
from quire.web.api.roles import roles_by_ids
from quire.web.deps import DbSession, require

router = APIRouter(tags=["shared-nodes"])

Viewer = Annotated[User, require(scopes.NODE_VIEW)]
Sharer = Annotated[User, require(scopes.SHARED_NODE_CREATE)]
AccessViewer = Annotated[User, require(scopes.SHARED_NODE_VIEW)]
AccessUpdater = Annotated[User, require(scopes.SHARED_NODE_UPDATE)]
Revoker = Annotated[User, require(scopes.SHARED_NODE_DELETE)]

NodeIds = Annotated[list[uuid.UUID], Field(min_length=1, max_length=1000)]
Ids = Annotated[list[uuid.UUID], Field(max_length=1000)]
RoleIds = Annotated[list[uuid.UUID], Field(max_length=100)]


class _Grantees(BaseModel):
    user_ids: Ids = []
    group_ids: Ids = []

    @model_validator(mode="after")
    def _someone(self) -> Self:
        if not self.user_ids and not self.group_ids:
            raise ValueError("give user_ids or group_ids (or both)")
        return self


class CreateSharedNodes(_Grantees):
    node_ids: NodeIds
    role_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=100)]


class RevokeSharedNodes(_Grantees):
    node_ids: NodeIds
    # Empty: under every role.
    role_ids: RoleIds = []


class SharedRole(BaseModel):
    id: uuid.UUID
    name: str


class SharedUser(BaseModel):
    id: uuid.UUID
    username: str
    roles: list[SharedRole]


class SharedGroup(BaseModel):
    id: uuid.UUID
    name: str
    roles: list[SharedRole]


class SharedNodeAccess(BaseModel):
    id: uuid.UUID  # the node's
    users: list[SharedUser] = []
    groups: list[SharedGroup] = []


class GranteeRoles(BaseModel):
    id: uuid.UUID  # a user's or a group's
    role_ids: RoleIds


class SharedNodeAccessUpdate(BaseModel):
    # The node's id; optional since the path says it, refused if it says otherwise.
    id: uuid.UUID | None = None
    users: Annotated[list[GranteeRoles], Field(max_length=1000)] = []
    groups: Annotated[list[GranteeRoles], Field(max_length=1000)] = []


class SharedNodeAccessUpdated(BaseModel):
    id: uuid.UUID
    is_shared: bool  # whether the node is still shared with anyone


def _refusals() -> AbstractContextManager[None]:
    return refusals_as(
        {
            access.NotPermitted: status.HTTP_403_FORBIDDEN,
            sharing.SharingError: status.HTTP_422_UNPROCESSABLE_CONTENT,
            sharing.ShareConflict: status.HTTP_409_CONFLICT,
        }
    )


def _nodes(
    db: Session, user: User, node_ids: Iterable[uuid.UUID], perm: str
) -> list[tuple[Node, access.NodeAccess]]:
    return [accessible(db, user, node_id, Node, perm) for node_id in dict.fromkeys(node_ids)]


def _check_grantees(
    db: Session, user_ids: Iterable[uuid.UUID], group_ids: Iterable[uuid.UUID]
) -> None:
    rows_by_ids(db, User, user_ids, "user")
    groups_by_ids(db, group_ids)


@router.post("/shared-nodes/", status_code=status.HTTP_204_NO_CONTENT)
@router.post("/shared-nodes", status_code=status.HTTP_204_NO_CONTENT, include_in_schema=False)
def create_shared_nodes(body: CreateSharedNodes, user: Sharer, db: DbSession) -> None:
    """Share the nodes, with everything below them, with the users and groups under the roles."""
    nodes = _nodes(db, user, body.node_ids, scopes.SHARED_NODE_CREATE)
    roles = roles_by_ids(db, body.role_ids)
    _check_grantees(db, body.user_ids, body.group_ids)
    with _refusals():
        sharing.share(db, user, nodes, roles, body.user_ids, body.group_ids)


@router.delete("/shared-nodes/", status_code=status.HTTP_204_NO_CONTENT)
@router.delete("/shared-nodes", status_code=status.HTTP_204_NO_CONTENT, include_in_schema=False)
def revoke_shared_nodes(body: RevokeSharedNodes, user: Revoker, db: DbSession) -> None:
    """Take back the nodes' shares with the users and groups (under the roles, or all)."""
    nodes = _nodes(db, user, body.node_ids, scopes.SHARED_NODE_DELETE)
    with _refusals():
        sharing.unshare(db, nodes, body.user_ids, body.group_ids, body.role_ids)


Filter = Annotated[str | None, Query(max_length=255), NoNul]


def _shared_page(
    db: Session,
    user: User,
    criteria: list[ColumnElement[bool]],
    params: PageParams,
    order_by: OrderBy | None,
    title_filter: str | None,
) -> Paginated[SharedListItem]:
    if title_filter:
        criteria.append(Node.title.icontains(title_filter, autoescape=True))
    rows, num_pages = node_page(db, criteria, order_by, params, with_versions=True)
    return Paginated(
        page_size=params.page_size,
        page_number=params.page_number,
        num_pages=num_pages,
        items=list_items(db, user, rows, with_versions=True),
    )


@router.get("/shared-nodes/", response_model=Paginated[SharedListItem])
@router.get("/shared-nodes", response_model=Paginated[SharedListItem], include_in_schema=False)
def list_shared_nodes(
    user: Viewer,
    db: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    order_by: OrderBy | None = None,
    filter: Filter = None,
) -> Paginated[SharedListItem]:
    """The nodes shared with the caller or one of their groups (not what is below them)."""
    criteria = [Node.id.in_(access.shared_with(user.id)), ownership.not_owned_clause(user.id)]
    return _shared_page(db, user, criteria, params, order_by, filter)


@router.get("/shared-nodes/folder/{parent_id}", response_model=Paginated[SharedListItem])
def list_shared_folder(
    parent_id: uuid.UUID,
    user: Viewer,
    db: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    order_by: OrderBy | None = None,
    filter: Filter = None,
) -> Paginated[SharedListItem]:
    """One page of a folder's children, as ``/shared-nodes/`` lists (documents with versions).
    Whoever may see a folder may see all of it."""
    accessible(db, user, parent_id, Folder)
    return _shared_page(db, user, [Node.parent_id == parent_id], params, order_by, filter)


def _access_out(db: Session, node_id: uuid.UUID) -> SharedNodeAccess:
    users: dict[uuid.UUID, SharedUser] = {}
    groups: dict[uuid.UUID, SharedGroup] = {}
    for row in sharing.shares_on(db, [node_id]):
        role = SharedRole(id=row.role.id, name=row.role.name)
        if row.user is not None:
            entry = SharedUser(id=row.user.id, username=row.user.username, roles=[])
            users.setdefault(row.user.id, entry).roles.append(role)
        elif row.group is not None:
            group = SharedGroup(id=row.group.id, name=row.group.name, roles=[])
            groups.setdefault(row.group.id, group).roles.append(role)
    grantees: list[SharedUser | SharedGroup] = [*users.values(), *groups.values()]
    for grantee in grantees:
        grantee.roles.sort(key=lambda role: role.name)
    return SharedNodeAccess(
        id=node_id,
        users=sorted(users.values(), key=lambda u: u.username),
        groups=sorted(groups.values(), key=lambda g: g.name),
    )


@router.get("/shared-nodes/access/{node_id}", response_model=SharedNodeAccess)
def get_shared_node_access(
    node_id: uuid.UUID, user: AccessViewer, db: DbSession
) -> SharedNodeAccess:
    """Who the node itself is shared with, under which roles (not shares of folders above)."""
    node, _ = accessible(db, user, node_id, Node, scopes.SHARED_NODE_VIEW)
    return _access_out(db, node.id)


def _roles_by_grantee(entries: list[GranteeRoles]) -> dict[uuid.UUID, set[uuid.UUID]]:
    merged: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for entry in entries:
        merged[entry.id].update(entry.role_ids)
    return dict(merged)


@router.patch("/shared-nodes/access/{node_id}", response_model=SharedNodeAccessUpdated)
def update_shared_node_access(
    node_id: uuid.UUID, body: SharedNodeAccessUpdate, user: AccessUpdater, db: DbSession
) -> SharedNodeAccessUpdated:
    """Make the node's own shares exactly these: grantees or roles left out lose them."""
    if body.id is not None and body.id != node_id:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, detail="the body's id is not the path's node id"
        )
    node, granted = accessible(db, user, node_id, Node, scopes.SHARED_NODE_UPDATE)
    users = _roles_by_grantee(body.users)
    groups = _roles_by_grantee(body.groups)
    _check_grantees(db, users, groups)
    role_ids = {role_id for wanted in [*users.values(), *groups.values()] for role_id in wanted}
    roles = {role.id: role for role in roles_by_ids(db, role_ids)}
    with _refusals():
        sharing.replace_access(db, user, node, granted, users, groups, roles)
    return SharedNodeAccessUpdated(
        id=node.id, is_shared=bool(access.shared_node_ids(db, [node.id]))
    )


@router.get("/shared-folders/{folder_id}", response_model=FolderOut)
def get_shared_folder(
    folder_id: uuid.UUID, user: Viewer, db: DbSession, shared_root_id: uuid.UUID | None = None
) -> FolderOut:
    """A folder with its breadcrumb from the share the caller sees it through (for upstream's
    clients: ``shared_root_id`` is not needed, the server knows it)."""
    folder, granted = accessible(db, user, folder_id, Folder)
    return full_out(db, folder, granted, include_self=True)  # type: ignore[return-value]


@router.get("/shared-documents/{document_id}", response_model=DocumentOut)
def get_shared_document(
    document_id: uuid.UUID, user: Viewer, db: DbSession, shared_root_id: uuid.UUID | None = None
) -> DocumentOut:
    """A document with its breadcrumb from the share the caller sees it through."""
    document, granted = accessible(db, user, document_id, Document)
    return full_out(db, document, granted, include_self=True)  # type: ignore[return-value]
