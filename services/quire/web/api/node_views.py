"""How nodes are shown to the caller: details with breadcrumbs, and pages of list items.

Used by the nodes, documents and shared-nodes routers. What a caller sees of a node follows the
access rule: a grantee's breadcrumb starts at their share, and ``perms``/``is_shared`` are theirs.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload, with_polymorphic

from quire.core import access
from quire.core.access import NodeAccess
from quire.core.models import Document, DocumentVersion, Folder, Node, User
from quire.web.api.common import PageParams, paginate
from quire.web.api.node_schemas import (
    DocumentNodeOut,
    DocumentOut,
    FolderOut,
    document_node_out,
    document_out,
    folder_out,
    for_caller,
)

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
    # Two steps: the page's ids from the index alone, then those rows with their documents'
    # columns. Joining first makes PostgreSQL sort the whole folder for every page.
    id_query = select(Node.id).where(*criteria).order_by(*node_ordering(order_by))
    page_ids, num_pages = paginate(
        db, id_query, params, select(func.count(Node.id)).where(*criteria)
    )
    nodes = with_polymorphic(Node, [Document])
    query = select(nodes).where(nodes.id.in_(page_ids))
    if with_versions:
        versions = selectinload(nodes.Document.versions)
        query = query.options(versions.selectinload(DocumentVersion.pages))
    loaded = db.scalars(query)
    by_id = {node.id: node for node in loaded}
    return [by_id[node_id] for node_id in page_ids if node_id in by_id], num_pages


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
