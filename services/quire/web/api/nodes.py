"""``/api/nodes``: the folder tree. List a folder, create, rename, move, delete, tag.

Titles are unique in a folder, as upstream's: creating, renaming or moving a node onto a title
its folder holds already is a 400 naming it (``quire.core.titles``).

Every lookup goes through the access rule (``quire.core.access``): an owner may do everything, a
grantee what the role of their share allows (403 otherwise), anyone else gets 404. A node made in
a shared folder belongs to the folder's owner, whoever makes it, and a move stays within one
owner's tree: each tree has one owner, and its shares cover all of it. The exception: a member of
a group moves between their own folders and the group's, and what moves becomes the target's
owner's (``quire.core.ownership``).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Response, status
from sqlalchemy.orm import Session

from quire.core import nodes as core_nodes
from quire.core import scopes
from quire.core.models import Folder, Node, Tag, User
from quire.core.tags import TagChange, TagNameTaken, set_node_tags
from quire.core.titles import TitleTaken
from quire.web.api.common import (
    NoNul,
    PageParams,
    Paginated,
    accessible,
    accessible_node,
    folder_access,
    page_params,
    refusals_as,
)
from quire.web.api.node_schemas import (
    DocumentNodeOut,
    FolderOut,
    MoveNodes,
    NewNode,
    NodeOut,
    TagNames,
    UpdateNode,
    for_caller,
    node_out,
)
from quire.web.api.node_views import (
    AnyNodeOut,
    OrderBy,
    children_page,
    full_out,
    listing_response,
)
from quire.web.api.tags import Tag as TagOut
from quire.web.deps import AppSettings, DbSession, Storage, require

router = APIRouter(tags=["nodes"])

Viewer = Annotated[User, require(scopes.NODE_VIEW)]
Creator = Annotated[User, require(scopes.NODE_CREATE)]
Updater = Annotated[User, require(scopes.NODE_UPDATE)]
Deleter = Annotated[User, require(scopes.NODE_DELETE)]
Mover = Annotated[User, require(scopes.NODE_MOVE)]


_TREE_REFUSALS: dict[type[Exception], int] = {
    core_nodes.TreeError: status.HTTP_400_BAD_REQUEST,
    TitleTaken: status.HTTP_400_BAD_REQUEST,
}


def _is_root(node: Node) -> bool:
    return node.parent_id is None


@router.get("/nodes/{parent_id}", response_model=Paginated[DocumentNodeOut | FolderOut])
def list_children(
    parent_id: uuid.UUID,
    user: Viewer,
    db: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    order_by: OrderBy | None = None,
    filter: Annotated[str | None, Query(max_length=255), NoNul] = None,
) -> Response:
    """One page of a folder's children, folders first unless ``order_by`` says otherwise."""
    # Whoever may see a folder may see all of it: its children need no check of their own.
    folder_access(db, user, parent_id)
    page = children_page(db, user, parent_id, order_by, params, title_filter=filter)
    return listing_response(page)


@router.get("/nodes/", response_model=list[AnyNodeOut])
def get_nodes(
    user: Viewer,
    db: DbSession,
    node_ids: Annotated[list[uuid.UUID], Query(max_length=1000)] = [],  # noqa: B006
) -> list[AnyNodeOut]:
    """Details of the given nodes (with breadcrumbs), in the order asked."""
    return [full_out(db, *accessible(db, user, node_id, Node)) for node_id in node_ids]


@router.get("/folders/{folder_id}", response_model=FolderOut)
def get_folder(folder_id: uuid.UUID, user: Viewer, db: DbSession) -> FolderOut:
    folder, granted = accessible(db, user, folder_id, Folder)
    return full_out(db, folder, granted, include_self=True)  # type: ignore[return-value]


@router.post("/nodes/", response_model=AnyNodeOut, status_code=status.HTTP_201_CREATED)
def create_node(body: NewNode, user: Creator, db: DbSession, settings: AppSettings) -> AnyNodeOut:
    parent, granted = accessible(db, user, body.parent_id, Node, scopes.NODE_CREATE)
    if not isinstance(parent, Folder):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="parent_id is not a folder")
    node: Node
    with refusals_as({core_nodes.NodeExists: status.HTTP_409_CONFLICT, **_TREE_REFUSALS}):
        if body.ctype == "folder":
            node = core_nodes.create_folder(db, parent, body.title, node_id=body.id)
        else:
            lang = body.lang or settings.ocr.default_lang_code
            node = core_nodes.create_document(
                db, parent, body.title, lang=lang, ocr=body.ocr, node_id=body.id
            )
    # A new node has no shares of its own: the caller sees it as they see its parent.
    return full_out(db, node, granted, include_self=True)


@router.patch("/nodes/{node_id}", response_model=NodeOut)
def update_node(node_id: uuid.UUID, body: UpdateNode, user: Updater, db: DbSession) -> NodeOut:
    node, granted = accessible(db, user, node_id, Node, scopes.NODE_UPDATE)
    if _is_root(node):
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, detail="the home and inbox folders cannot be changed"
        )
    target = None
    # A grantee's "move" to the current parent is checked like any move: answering it as a
    # no-op would confirm the id of a share root's parent, which they must not learn.
    if body.parent_id is not None and (body.parent_id != node.parent_id or not granted.owned):
        # Upstream asked only for node.update here; a grantee's role must allow moving too.
        accessible(db, user, node_id, Node, scopes.NODE_MOVE)
        target = accessible_node(db, user, body.parent_id, Node, scopes.NODE_UPDATE)
    with refusals_as(_TREE_REFUSALS):
        core_nodes.update_node(db, node, title=body.title, target=target, by=user)
    return for_caller(node_out(node), granted)


@router.post("/nodes/move", response_model=list[uuid.UUID])
def move_nodes(body: MoveNodes, user: Mover, db: DbSession) -> list[uuid.UUID]:
    nodes = [
        accessible_node(db, user, node_id, Node, scopes.NODE_MOVE) for node_id in body.source_ids
    ]
    if any(_is_root(node) for node in nodes):
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, detail="the home and inbox folders cannot be moved"
        )
    target = accessible_node(db, user, body.target_id, Node, scopes.NODE_UPDATE)
    with refusals_as(_TREE_REFUSALS):
        core_nodes.move_nodes(db, nodes, target, by=user)
    return body.source_ids


@router.delete("/nodes/", response_model=None)
def delete_nodes(
    node_ids: Annotated[list[uuid.UUID], Body(min_length=1, max_length=10_000)],
    user: Deleter,
    db: DbSession,
    storage: Storage,
) -> None:
    """Delete nodes with everything below them: into their owners' trash (``/api/trash``),
    gone from listings and search at once. All or nothing: one bad id deletes none."""
    nodes = [accessible_node(db, user, node_id, Node, scopes.NODE_DELETE) for node_id in node_ids]
    if any(_is_root(node) for node in nodes):
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, detail="the home and inbox folders cannot be deleted"
        )
    core_nodes.delete_nodes(db, storage, [node.id for node in nodes])


# --- tags on a node ---------------------------------------------------------------------------


@router.get("/nodes/{node_id}/tags", response_model=list[TagOut])
def get_node_tags(node_id: uuid.UUID, user: Viewer, db: DbSession) -> list[Tag]:
    return sorted(accessible_node(db, user, node_id, Node).tags, key=lambda tag: tag.name)


@router.post("/nodes/{node_id}/tags", response_model=AnyNodeOut)
def assign_node_tags(
    node_id: uuid.UUID, names: Annotated[TagNames, Body()], user: Updater, db: DbSession
) -> AnyNodeOut:
    """Replace the node's tags with these (by name, created as needed)."""
    node, granted = accessible(db, user, node_id, Node, scopes.NODE_UPDATE)
    _set_tags(db, node, names, TagChange.assign)
    return full_out(db, node, granted, include_self=True)


@router.patch("/nodes/{node_id}/tags", response_model=AnyNodeOut)
def add_node_tags(
    node_id: uuid.UUID, names: Annotated[TagNames, Body()], user: Updater, db: DbSession
) -> AnyNodeOut:
    """Add these tags to the node's (by name, created as needed); present ones stay as they are."""
    node, granted = accessible(db, user, node_id, Node, scopes.NODE_UPDATE)
    _set_tags(db, node, names, TagChange.add)
    return full_out(db, node, granted, include_self=True)


@router.delete("/nodes/{node_id}/tags", response_model=AnyNodeOut)
def remove_node_tags(
    node_id: uuid.UUID, names: Annotated[TagNames, Body()], user: Updater, db: DbSession
) -> AnyNodeOut:
    """Take these tags off the node; the tags themselves are kept."""
    node, granted = accessible(db, user, node_id, Node, scopes.NODE_UPDATE)
    _set_tags(db, node, names, TagChange.remove)
    return full_out(db, node, granted, include_self=True)


def _set_tags(db: Session, node: Node, names: list[str], change: TagChange) -> None:
    try:
        set_node_tags(db, node, names, change)
    except TagNameTaken as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
