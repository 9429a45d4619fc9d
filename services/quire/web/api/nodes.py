"""``/api/nodes``: the folder tree. List a folder, create, rename, move, delete, tag."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Query, status
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, with_polymorphic

from quire.core import scopes
from quire.core.documents import new_document
from quire.core.models import Document, Folder, Node, Tag, User
from quire.core.nodes import TreeError, ancestors, check_move, delete_subtrees, remove_files
from quire.web.api.common import PageParams, Paginated, owned_node, page_params, paginate
from quire.web.api.node_schemas import (
    DocumentNodeOut,
    DocumentOut,
    FolderOut,
    MoveNodes,
    NewNode,
    NodeOut,
    TagNames,
    UpdateNode,
    document_node_out,
    document_out,
    folder_out,
    node_out,
)
from quire.web.api.tags import Tag as TagOut
from quire.web.deps import AppSettings, DbSession, Storage, require

router = APIRouter(tags=["nodes"])

Viewer = Annotated[User, require(scopes.NODE_VIEW)]
Creator = Annotated[User, require(scopes.NODE_CREATE)]
Updater = Annotated[User, require(scopes.NODE_UPDATE)]
Deleter = Annotated[User, require(scopes.NODE_DELETE)]
Mover = Annotated[User, require(scopes.NODE_MOVE)]

OrderBy = Literal[
    "title", "-title", "ctype", "-ctype", "created_at", "-created_at", "updated_at", "-updated_at"
]
AnyNodeOut = FolderOut | DocumentOut


def _ordering(order_by: OrderBy | None) -> list[ColumnElement[Any] | InstrumentedAttribute[Any]]:
    if order_by is None:
        return [Node.ctype.desc(), Node.title, Node.created_at, Node.id]
    column = getattr(Node, order_by.lstrip("-"))
    return [column.desc() if order_by.startswith("-") else column, Node.id]


def _children_criteria(parent_id: uuid.UUID, title_filter: str | None) -> list[ColumnElement[bool]]:
    criteria = [Node.parent_id == parent_id]
    if title_filter:
        criteria.append(Node.title.icontains(title_filter, autoescape=True))
    return criteria


def _full_out(db: Session, node: Node, *, include_self: bool = False) -> AnyNodeOut:
    if isinstance(node, Document):
        return document_out(node, ancestors(db, node, include_self=False))
    assert isinstance(node, Folder)
    return folder_out(node, ancestors(db, node, include_self=include_self))


def _is_root(node: Node) -> bool:
    return node.parent_id is None


@router.get("/nodes/{parent_id}", response_model=Paginated[DocumentNodeOut | FolderOut])
def list_children(
    parent_id: uuid.UUID,
    user: Viewer,
    db: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    order_by: OrderBy | None = None,
    filter: Annotated[str | None, Query(max_length=255)] = None,
) -> Paginated[DocumentNodeOut | FolderOut]:
    """One page of a folder's children, folders first unless ``order_by`` says otherwise."""
    owned_node(db, user, parent_id, Folder)
    criteria = _children_criteria(parent_id, filter)
    # Two steps: the page's ids from the index alone, then those rows with their documents'
    # columns. Joining first makes PostgreSQL sort the whole folder for every page.
    id_query = select(Node.id).where(*criteria).order_by(*_ordering(order_by))
    page_ids, num_pages = paginate(
        db, id_query, params, select(func.count(Node.id)).where(*criteria)
    )
    loaded = db.scalars(select(with_polymorphic(Node, [Document])).where(Node.id.in_(page_ids)))
    by_id = {node.id: node for node in loaded}
    rows = [by_id[node_id] for node_id in page_ids]
    items: list[DocumentNodeOut | FolderOut] = [
        document_node_out(node) if isinstance(node, Document) else folder_out(node)  # type: ignore[arg-type]
        for node in rows
    ]
    return Paginated(
        page_size=params.page_size,
        page_number=params.page_number,
        num_pages=num_pages,
        items=items,
    )


@router.get("/nodes/", response_model=list[AnyNodeOut])
def get_nodes(
    user: Viewer,
    db: DbSession,
    node_ids: Annotated[list[uuid.UUID], Query(max_length=1000)] = [],  # noqa: B006
) -> list[AnyNodeOut]:
    """Details of the given nodes (with breadcrumbs), in the order asked."""
    return [_full_out(db, owned_node(db, user, node_id, Node)) for node_id in node_ids]


@router.get("/folders/{folder_id}", response_model=FolderOut)
def get_folder(folder_id: uuid.UUID, user: Viewer, db: DbSession) -> FolderOut:
    folder = owned_node(db, user, folder_id, Folder)
    return folder_out(folder, ancestors(db, folder, include_self=True))


@router.post("/nodes/", response_model=AnyNodeOut, status_code=status.HTTP_201_CREATED)
def create_node(body: NewNode, user: Creator, db: DbSession, settings: AppSettings) -> AnyNodeOut:
    parent = owned_node(db, user, body.parent_id, Node)
    if not isinstance(parent, Folder):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="parent_id is not a folder")
    if body.id is not None and db.get(Node, body.id) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, detail="a node with this id already exists")
    node: Node
    if body.ctype == "folder":
        node = Folder(
            id=body.id or uuid.uuid4(), title=body.title, user_id=user.id, parent_id=parent.id
        )
        db.add(node)
    else:
        node = new_document(
            db,
            title=body.title,
            user_id=user.id,
            parent_id=parent.id,
            lang=body.lang or settings.ocr.default_lang_code,
            ocr=body.ocr,
            document_id=body.id,
        )
    db.commit()
    return _full_out(db, node, include_self=True)


@router.patch("/nodes/{node_id}", response_model=NodeOut)
def update_node(node_id: uuid.UUID, body: UpdateNode, user: Updater, db: DbSession) -> NodeOut:
    node = owned_node(db, user, node_id, Node)
    if _is_root(node):
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, detail="the home and inbox folders cannot be changed"
        )
    if body.title is not None:
        node.title = body.title
    if body.parent_id is not None and body.parent_id != node.parent_id:
        _move(db, user, [node], body.parent_id)
    db.commit()
    return node_out(node)


def _move(db: Session, user: User, nodes: list[Node], target_id: uuid.UUID) -> None:
    target = owned_node(db, user, target_id, Node)
    try:
        check_move(db, [node.id for node in nodes], target)
    except TreeError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(exc)) from exc
    for node in nodes:
        node.parent_id = target.id


@router.post("/nodes/move", response_model=list[uuid.UUID])
def move_nodes(body: MoveNodes, user: Mover, db: DbSession) -> list[uuid.UUID]:
    nodes = [owned_node(db, user, node_id, Node) for node_id in body.source_ids]
    if any(_is_root(node) for node in nodes):
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, detail="the home and inbox folders cannot be moved"
        )
    _move(db, user, nodes, body.target_id)
    db.commit()
    return body.source_ids


@router.delete("/nodes/", response_model=None)
def delete_nodes(
    node_ids: Annotated[list[uuid.UUID], Body(min_length=1, max_length=10_000)],
    user: Deleter,
    db: DbSession,
    storage: Storage,
) -> None:
    """Delete nodes with everything below them. All or nothing: one bad id deletes none."""
    nodes = [owned_node(db, user, node_id, Node) for node_id in node_ids]
    if any(_is_root(node) for node in nodes):
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, detail="the home and inbox folders cannot be deleted"
        )
    ids = [node.id for node in nodes]
    db.expunge_all()
    keys = delete_subtrees(db, ids)
    db.commit()
    # Files go only once the rows are gone: a failed commit leaves every document whole.
    remove_files(storage, keys)


# --- tags on a node ---------------------------------------------------------------------------


def _tags_by_name(db: Session, user: User, names: list[str]) -> list[Tag]:
    """The user's tags with these names, created as needed."""
    # Names compare without case on every backend, as MariaDB's collation does anyway.
    wanted: dict[str, str] = {}
    for name in names:
        wanted.setdefault(name.lower(), name)
    found = db.scalars(
        select(Tag).where(Tag.user_id == user.id, func.lower(Tag.name).in_(list(wanted)))
    )
    by_name = {tag.name.lower(): tag for tag in found}
    tags = []
    for key, name in wanted.items():
        tag = by_name.get(key)
        if tag is None:
            tag = Tag(name=name, user_id=user.id)
            db.add(tag)
        tags.append(tag)
    return tags


@router.get("/nodes/{node_id}/tags", response_model=list[TagOut])
def get_node_tags(node_id: uuid.UUID, user: Viewer, db: DbSession) -> list[Tag]:
    return sorted(owned_node(db, user, node_id, Node).tags, key=lambda tag: tag.name)


@router.post("/nodes/{node_id}/tags", response_model=AnyNodeOut)
def assign_node_tags(
    node_id: uuid.UUID, names: Annotated[TagNames, Body()], user: Updater, db: DbSession
) -> AnyNodeOut:
    """Replace the node's tags with these (by name, created as needed)."""
    node = owned_node(db, user, node_id, Node)
    node.tags = _tags_by_name(db, user, names)
    db.commit()
    return _full_out(db, node, include_self=True)


@router.patch("/nodes/{node_id}/tags", response_model=AnyNodeOut)
def add_node_tags(
    node_id: uuid.UUID, names: Annotated[TagNames, Body()], user: Updater, db: DbSession
) -> AnyNodeOut:
    """Add these tags to the node's (by name, created as needed); present ones stay as they are."""
    node = owned_node(db, user, node_id, Node)
    current = list(node.tags)
    node.tags = current + [tag for tag in _tags_by_name(db, user, names) if tag not in current]
    db.commit()
    return _full_out(db, node, include_self=True)


@router.delete("/nodes/{node_id}/tags", response_model=AnyNodeOut)
def remove_node_tags(
    node_id: uuid.UUID, names: Annotated[TagNames, Body()], user: Updater, db: DbSession
) -> AnyNodeOut:
    """Take these tags off the node; the tags themselves are kept."""
    node = owned_node(db, user, node_id, Node)
    drop = {name.lower() for name in names}
    node.tags = [tag for tag in node.tags if tag.name.lower() not in drop]
    db.commit()
    return _full_out(db, node, include_self=True)
