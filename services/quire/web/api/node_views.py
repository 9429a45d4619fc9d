"""How nodes are shown to the caller: details with breadcrumbs, and pages of list items.

Used by the nodes, documents and shared-nodes routers. What a caller sees of a node follows the
access rule: a grantee's breadcrumb starts at their share, and ``perms``/``is_shared`` are theirs.
"""

from __future__ import annotations

import math
import uuid
from typing import Any, Literal

from sqlalchemy import ColumnElement, Row, bindparam, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload, with_polymorphic

from quire.core import access
from quire.core.access import NodeAccess
from quire.core.models import (
    Document,
    DocumentVersion,
    Folder,
    Node,
    SharedNode,
    Tag,
    User,
    nodes_tags,
)
from quire.web.api.common import PageParams, Paginated
from quire.web.api.node_schemas import (
    DocumentNodeOut,
    DocumentOut,
    FolderOut,
    document_node_out,
    document_out,
    folder_out,
    for_caller,
    thumbnail_url,
)
from quire.web.api.tags import NodeTag

OrderBy = Literal[
    "title", "-title", "ctype", "-ctype", "created_at", "-created_at", "updated_at", "-updated_at"
]
AnyNodeOut = FolderOut | DocumentOut
ListItem = DocumentNodeOut | FolderOut
# The shared-nodes listings' items: upstream's documents there come with their versions.
SharedListItem = DocumentOut | FolderOut


def node_ordering(
    order_by: OrderBy | None,
) -> list[ColumnElement[Any] | InstrumentedAttribute[Any]]:
    if order_by is None:
        return [Node.ctype.desc(), Node.title, Node.created_at, Node.id]
    column = getattr(Node, order_by.lstrip("-"))
    return [column.desc() if order_by.startswith("-") else column, Node.id]


def _is_shared(db: Session, node: Node, granted: NodeAccess) -> bool:
    return not granted.owned or bool(access.shared_node_ids(db, [node.id]))


def full_out(
    db: Session, node: Node, granted: NodeAccess, *, include_self: bool = False, new: bool = False
) -> AnyNodeOut:
    """The node with its breadcrumb (only what the caller may see of it), as the caller sees it.

    Upstream's breadcrumbs end with the node itself in a node's own details (``/folders/{id}``,
    ``/documents/{id}``: ``include_self``) and with its parent in ``GET /nodes/?node_ids=``.
    A ``new`` node, made by this request, is shown as made: not shared itself (nobody knew its
    id to share it), so no query asks, nor opens a transaction after the request's commit.
    """
    out: AnyNodeOut
    crumbs = access.breadcrumb(db, node, granted, include_self=include_self)
    if isinstance(node, Document):
        out = document_out(node, crumbs)
    else:
        assert isinstance(node, Folder)
        out = folder_out(node, crumbs)
    shared = not granted.owned if new else _is_shared(db, node, granted)
    return for_caller(out, granted, is_shared=shared)


def _page_ids(
    db: Session,
    criteria: list[ColumnElement[bool]],
    order_by: OrderBy | None,
    params: PageParams,
) -> tuple[list[uuid.UUID], int]:
    # Two steps: the page's ids from the index alone, then those rows with their columns.
    # Joining first makes PostgreSQL sort the whole folder for every page. count(*), not
    # count(id): SQLite then counts in its narrowest index, twice as fast on a large folder.
    # On the session's connection: these read columns, not objects, and the ORM's execution
    # path costs more than the statements themselves.
    connection = db.connection()
    id_query = select(Node.__table__.c.id).where(*criteria).order_by(*node_ordering(order_by))
    total = connection.execute(select(func.count()).select_from(Node.__table__).where(*criteria))
    page = connection.execute(id_query.limit(params.page_size).offset(params.offset))
    return list(page.scalars()), math.ceil(total.scalar_one() / params.page_size)


def node_page(
    db: Session,
    criteria: list[ColumnElement[bool]],
    order_by: OrderBy | None,
    params: PageParams,
    *,
    with_versions: bool = False,
) -> tuple[list[Node], int]:
    """One page of the nodes matching ``criteria``, and the number of pages; ``with_versions``
    loads the documents' versions and pages with them (a few queries for the whole page)."""
    page_ids, num_pages = _page_ids(db, criteria, order_by, params)
    nodes = with_polymorphic(Node, [Document])
    query = select(nodes).where(nodes.id.in_(page_ids))
    if with_versions:
        versions = selectinload(nodes.Document.versions)
        query = query.options(versions.selectinload(DocumentVersion.pages))
    loaded = db.scalars(query)
    by_id = {node.id: node for node in loaded}
    return [by_id[node_id] for node_id in page_ids if node_id in by_id], num_pages


def children_page(
    db: Session,
    user: User,
    criteria: list[ColumnElement[bool]],
    order_by: OrderBy | None,
    params: PageParams,
) -> Paginated[ListItem]:
    """One page of list items of a folder the caller sees, in three statements whatever the
    page size: the count, the page's ids, then their columns with their tags and shares.

    Read as rows, not ORM objects: a listing is the UI's most frequent request, and loading
    objects (identity map, polymorphic loading, a query per relationship) cost five times the
    SQL (issue 16).
    """
    page_ids, num_pages = _page_ids(db, criteria, order_by, params)
    nodes, documents, tags = Node.__table__, Document.__table__, Tag.__table__
    shared = select(SharedNode.node_id).where(SharedNode.node_id == nodes.c.id).exists()
    rows = (
        db.connection()
        .execute(
            select(
                *(nodes.c[name] for name in _NODE_COLUMNS),
                documents.c.ocr,
                documents.c.ocr_status,
                documents.c.document_type_id,
                shared.label("is_shared"),
                tags.c.name.label("tag_name"),
                tags.c.bg_color,
                tags.c.fg_color,
            )
            .select_from(nodes)
            .outerjoin(documents, documents.c.id == nodes.c.id)
            .outerjoin(nodes_tags, nodes_tags.c.node_id == nodes.c.id)
            .outerjoin(tags, tags.c.id == nodes_tags.c.tag_id)
            # One expanding parameter rather than a literal list: no per-id coercion.
            .where(nodes.c.id.in_(bindparam("page_ids", expanding=True))),
            {"page_ids": page_ids},
        )
        .all()
    )
    owners = {(row.id, row.user_id, row.group_id) for row in rows}
    granted = access.owned_accesses(db, user, owners)
    fields: dict[uuid.UUID, dict[str, Any]] = {}
    for row in rows:
        item = fields.get(row.id)
        if item is None:
            item = fields[row.id] = _list_fields(row)
        if row.tag_name is not None:
            item["tags"].append(
                NodeTag(name=row.tag_name, bg_color=row.bg_color, fg_color=row.fg_color)
            )
    items: list[ListItem] = []
    for node_id in page_ids:
        if node_id not in granted:
            continue
        item = fields[node_id]
        out: ListItem = FolderOut(**item) if item["ctype"] == "folder" else DocumentNodeOut(**item)
        items.append(for_caller(out, granted[node_id], is_shared=item["is_shared"]))
    return Paginated[ListItem](
        page_size=params.page_size,
        page_number=params.page_number,
        num_pages=num_pages,
        items=items,
    )


_NODE_COLUMNS = (
    "id",
    "title",
    "ctype",
    "parent_id",
    "user_id",
    "group_id",
    "created_at",
    "updated_at",
    "trashed_at",
)


def _list_fields(row: Row[*tuple[Any, ...]]) -> dict[str, Any]:
    fields: dict[str, Any] = {name: getattr(row, name) for name in _NODE_COLUMNS}
    fields.update(is_shared=bool(row.is_shared), tags=[])
    if row.ctype == "document":
        fields.update(
            ocr=row.ocr,
            ocr_status=row.ocr_status,
            document_type_id=row.document_type_id,
            thumbnail_url=thumbnail_url(row.id),
        )
    return fields


def _item(node: Node, with_versions: bool) -> ListItem | SharedListItem:
    if isinstance(node, Document):
        return document_out(node) if with_versions else document_node_out(node)
    assert isinstance(node, Folder)
    return folder_out(node)


def list_items(
    db: Session, user: User, rows: list[Node], *, with_versions: bool = False
) -> list[Any]:
    """List items (no breadcrumb), each with the caller's ``perms`` and ``is_shared``: a
    ``ListItem`` each, or with ``with_versions`` a ``SharedListItem``."""
    # For the owner's own nodes, one query only: which of them they shared.
    granted = access.node_accesses(db, user, rows)
    owned = [node.id for node in rows if node.id in granted and granted[node.id].owned]
    shared = access.shared_node_ids(db, owned)
    return [
        for_caller(_item(node, with_versions), granted[node.id], is_shared=node.id in shared)
        for node in rows
        if node.id in granted
    ]
