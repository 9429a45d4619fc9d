"""How nodes are shown to the caller: details with breadcrumbs, and pages of list items.

Used by the nodes, documents and shared-nodes routers. What a caller sees of a node follows the
access rule: a grantee's breadcrumb starts at their share, and ``perms``/``is_shared`` are theirs.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from functools import cache
from typing import Annotated, Any, Literal

from fastapi import Response
from pydantic import Field, TypeAdapter
from sqlalchemy import ColumnElement, Row, Select, bindparam, func, select, type_coerce
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload, with_polymorphic
from sqlalchemy.types import NullType

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
from quire.web.api.common import PageParams, Paginated, json_response
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

OrderBy = Literal[
    "title", "-title", "ctype", "-ctype", "created_at", "-created_at", "updated_at", "-updated_at"
]
AnyNodeOut = FolderOut | DocumentOut
ListItem = DocumentNodeOut | FolderOut
# A page's items in one validation, each picked by its ctype: half the time of one per item.
_LIST_ITEMS = TypeAdapter(list[Annotated[ListItem, Field(discriminator="ctype")]])
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
    parent_ids: uuid.UUID | Sequence[uuid.UUID],
    order_by: OrderBy | None,
    params: PageParams,
    *,
    title_filter: str | None = None,
) -> Paginated[ListItem]:
    """One page of list items of a folder the caller sees (or of several: the trashes of a
    user and their groups), in one statement whatever the page size: the page with its columns,
    tags and shares, each row carrying the count. A page past the end has no row to carry it,
    and counts in a second statement.

    Read as rows, not ORM objects, and validated from dicts: a listing is the UI's most
    frequent request, and loading objects (identity map, polymorphic loading, a query per
    relationship) cost five times the SQL (issue 16).
    """
    several = not isinstance(parent_ids, uuid.UUID)
    count, page = (
        _listing_statements(order_by, title_filter, several=several)
        if title_filter
        else _unfiltered_listing_statements(order_by, several=several)
    )
    values = {
        "parent_ids" if several else "parent_id": parent_ids,
        "limit": params.page_size,
        "offset": params.offset,
    }
    connection = db.connection()  # these read columns, not objects: the ORM's path costs more
    rows = connection.execute(page, values).all()
    total = rows[0][-1] if rows else connection.execute(count, values).scalar_one()
    return Paginated[ListItem](
        page_size=params.page_size,
        page_number=params.page_number,
        num_pages=math.ceil(total / params.page_size),
        items=_list_items(db, user, rows),
    )


def listing_response(page: Paginated[ListItem]) -> Response:
    """``json_response`` for a page of ``children_page``: its items are exactly the declared
    models (validated here from rows), so each is written by its own serializer rather than
    through the union's, which tries the members in turn (0.17 ms a page of 50, issue 16)."""
    return json_response(page, serialize_as_any=True)


@cache
def _unfiltered_listing_statements(
    order_by: OrderBy | None, *, several: bool
) -> tuple[Select[Any], Select[Any]]:
    # Built once: building them and deriving their cache keys cost as much as running them.
    return _listing_statements(order_by, None, several=several)


def _listing_statements(
    order_by: OrderBy | None, title_filter: str | None, *, several: bool
) -> tuple[Select[Any], Select[Any]]:
    """The count and the page of a folder's children (``parent_id``, or ``parent_ids`` for
    ``several`` folders; ``limit``, ``offset``)."""
    ordering = node_ordering(order_by)
    nodes, documents, tags = Node.__table__, Document.__table__, Tag.__table__
    # One folder by equality: the planners then walk the listing index in order.
    criteria = [
        nodes.c.parent_id.in_(bindparam("parent_ids", expanding=True))
        if several
        else nodes.c.parent_id == bindparam("parent_id")
    ]
    if title_filter:
        criteria.append(nodes.c.title.icontains(title_filter, autoescape=True))
    # count(*), not count(id): SQLite then counts in its narrowest index, twice as fast.
    count = select(func.count()).select_from(nodes).where(*criteria)
    # The page's ids from the index alone, then their rows: joining before the LIMIT makes
    # PostgreSQL sort the whole folder for every page.
    page_ids = (
        select(nodes.c.id)
        .where(*criteria)
        .order_by(*ordering)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery("page")
    )
    shared = select(SharedNode.node_id).where(SharedNode.node_id == nodes.c.id).exists()
    page = (
        select(
            *(_as_stored(nodes.c[name]) for name in _NODE_COLUMNS),
            *(_as_stored(documents.c[name]) for name in _DOCUMENT_COLUMNS),
            shared.label("is_shared"),
            tags.c.name.label("tag_name"),
            tags.c.bg_color,
            tags.c.fg_color,
            # Uncorrelated: every database computes it once per statement, which saves the
            # count its own round trip (0.5-0.8 ms on PostgreSQL here, issue 16).
            count.scalar_subquery().label("total"),
        )
        .select_from(page_ids)
        .join(nodes, nodes.c.id == page_ids.c.id)
        .outerjoin(documents, documents.c.id == nodes.c.id)
        .outerjoin(nodes_tags, nodes_tags.c.node_id == nodes.c.id)
        .outerjoin(tags, tags.c.id == nodes_tags.c.tag_id)
        .order_by(*ordering)
    )
    return count, page


def _as_stored(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """The column as the driver reads it: ids as text or UUIDs, times naive. SQLAlchemy's
    conversions are Python, value by value (0.5 ms a page of 50 on SQLite, a third of the
    statement); the item's validation parses them in Rust (``node_schemas.StoredTime``)."""
    return type_coerce(column, NullType()).label(column.key)


def _list_items(db: Session, user: User, rows: Sequence[Row[*tuple[Any, ...]]]) -> list[ListItem]:
    """The page's rows (one per node and tag, in order) as list items the caller may see.

    Rows are unpacked, not read by name: at 50 items a page, naming each field of each row
    cost as much as the statement (issue 16).
    """
    fields: dict[Any, dict[str, Any]] = {}
    for row in rows:
        *columns, ocr, ocr_status, type_id, shared, tag, bg, fg, _total = row
        item = fields.get(columns[0])
        if item is None:
            item = fields[columns[0]] = dict(zip(_NODE_COLUMNS, columns, strict=True))
            item.update(is_shared=shared, tags=[])
            if item["ctype"] == "document":
                item.update(
                    ocr=ocr, ocr_status=ocr_status, document_type_id=type_id, thumbnail_url=None
                )
        if tag is not None:
            item["tags"].append({"name": tag, "bg_color": bg, "fg_color": fg})
    # Validated before the access rule, which compares ids: the driver's are not UUIDs everywhere.
    nodes = _LIST_ITEMS.validate_python(list(fields.values()))
    granted = access.owned_accesses(db, user, ((n.id, n.user_id, n.group_id) for n in nodes))
    items: list[ListItem] = []
    for node in nodes:
        if node.id in granted:
            if isinstance(node, DocumentNodeOut):
                node.thumbnail_url = thumbnail_url(node.id)
            items.append(for_caller(node, granted[node.id], is_shared=node.is_shared))
    return items


# In the order _list_items unpacks them.
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
_DOCUMENT_COLUMNS = ("ocr", "ocr_status", "document_type_id")


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
