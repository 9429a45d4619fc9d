"""The search engine's hits as the caller may see them, with what the database says of each.

The engine filtered by the caller's principals as the index knew them; the database has the
last word: a share revoked or a node deleted a moment ago (before the indexer caught up) shows
nothing. Everything is read as rows in two statements whatever the page holds: the hits with their
tags, whether they are in a trash and the caller's shares on their paths (which also say whether
a grantee may see a hit's parent); the matched pages' ids (issue 16: this was most of the search
API's time over its engine's, and each statement is a round trip on a database server).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, Literal

from sqlalchemy import Select, bindparam, select, tuple_
from sqlalchemy.orm import Session

from quire.core import access, scopes
from quire.core.documents import newest_with_file
from quire.core.models import DocumentVersion, Node, Page, Tag, User, nodes_tags
from quire.search.backend import Hit, Results
from quire.web.api.search_schemas import PageMatch, SearchHit
from quire.web.deps import user_scopes


@dataclass
class _HitNode:
    id: uuid.UUID
    title: str
    ctype: Literal["document", "folder"]
    parent_id: uuid.UUID | None
    user_id: uuid.UUID
    group_id: uuid.UUID | None
    lang: str
    created_at: datetime
    updated_at: datetime
    in_trash: bool
    grants: str | None
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Version:
    page_count: int
    page_ids: dict[int, uuid.UUID]


_NODE_COLUMNS = (
    "id",
    "title",
    "ctype",
    "parent_id",
    "user_id",
    "group_id",
    "lang",
    "created_at",
    "updated_at",
)


def shown_hits(db: Session, user: User, results: Results) -> list[SearchHit]:
    """The hits the user may see now, in the engine's order."""
    nodes = _hit_nodes(db, user, [hit.node_id for hit in results.hits])
    groups_own = any(node.group_id is not None for node in nodes.values())
    groups = access.user_group_ids(db, user) if groups_own else frozenset()
    granted = {}
    for hit_node in nodes.values():
        owner = (hit_node.id, hit_node.user_id, hit_node.group_id)
        found = access.access_from_columns(user, groups, owner, hit_node.in_trash, hit_node.grants)
        if found is not None:
            granted[hit_node.id] = found
    reads_pages = scopes.PAGE_VIEW in user_scopes(user)
    versions = _matched_pages(db, [hit for hit in results.hits if hit.node_id in granted])
    shown = []
    for hit in results.hits:
        node, node_access = nodes.get(hit.node_id), granted.get(hit.node_id)
        if node is None or node_access is None:
            continue
        # A grantee does not learn the ids of the owner's folders above a share: the parent
        # is shown when the share they see the hit through is above it (as in listings).
        parent_seen = node_access.owned or node_access.root_id != node.id
        readable = reads_pages and node_access.allows(scopes.PAGE_VIEW)
        shown.append(_shown(hit, node, versions.get(node.id), parent_seen, readable))
    return shown


def _shown(
    hit: Hit, node: _HitNode, version: _Version | None, parent_seen: bool, readable: bool
) -> SearchHit:
    pages = [
        PageMatch(
            number=page.number,
            page_id=version.page_ids.get(page.number) if version else None,
            snippet=page.snippet,
        )
        for page in hit.pages
        if readable
    ]
    return SearchHit(
        id=node.id,
        title=node.title,
        ctype=node.ctype,
        entity_type=node.ctype,
        document_id=node.id if node.ctype == "document" else None,
        parent_id=node.parent_id if parent_seen else None,
        tags=sorted(node.tags),
        lang=node.lang,
        score=hit.score,
        page_count=version.page_count if version else None,
        page_number=pages[0].number if pages else None,
        matching_pages=hit.matching_pages,
        pages=pages,
        created_at=node.created_at,
        updated_at=node.updated_at,
    )


@cache
def _hit_nodes_statement() -> Select[Any]:
    nodes, tags = Node.__table__, Tag.__table__
    in_trash, grants = access.access_columns(
        bindparam("path_ids", expanding=True), bindparam("grantee")
    )
    return (
        select(*(nodes.c[name] for name in _NODE_COLUMNS), in_trash, grants, tags.c.name)
        .select_from(nodes)
        .outerjoin(nodes_tags, nodes_tags.c.node_id == nodes.c.id)
        .outerjoin(tags, tags.c.id == nodes_tags.c.tag_id)
        .where(nodes.c.id.in_(bindparam("ids", expanding=True)))
    )


def _hit_nodes(db: Session, user: User, ids: list[uuid.UUID]) -> dict[uuid.UUID, _HitNode]:
    """The hits that still exist, whether each is in a trash, the user's shares on its path,
    with their tags' names: one statement, rows not objects."""
    found: dict[uuid.UUID, _HitNode] = {}
    if not ids:
        return found
    parameters = {"ids": ids, "path_ids": ids, "grantee": user.id}
    rows = db.connection().execute(_hit_nodes_statement(), parameters)
    for *columns, tag in rows:
        node = found.get(columns[0])
        if node is None:
            node = found[columns[0]] = _HitNode(*columns)
        if tag is not None:
            node.tags.append(tag)
    return found


def _matched_pages(db: Session, hits: Iterable[Hit]) -> dict[uuid.UUID, _Version]:
    """Each hit document's newest version with a file (what was indexed): its page count and
    the ids of its matched pages, not of all its pages; one statement."""
    numbers = {hit.node_id: {page.number for page in hit.pages} for hit in hits}
    if not numbers:
        return {}
    pairs = [(document_id, n) for document_id, wanted in numbers.items() for n in wanted]
    rows = db.connection().execute(
        _matched_pages_statement(), {"ids": list(numbers), "pairs": pairs}
    )
    versions: dict[uuid.UUID, _Version] = {}
    for document_id, page_count, number, page_id in rows:
        version = versions.setdefault(document_id, _Version(page_count, {}))
        if page_id is not None:
            version.page_ids[number] = page_id
    return versions


@cache
def _matched_pages_statement() -> Select[Any]:
    versions, pages = DocumentVersion.__table__, Page.__table__
    newest = newest_with_file(bindparam("ids", expanding=True))
    matched = tuple_(versions.c.document_id, pages.c.number).in_(bindparam("pairs", expanding=True))
    return (
        select(versions.c.document_id, versions.c.page_count, pages.c.number, pages.c.id)
        .join(
            newest,
            (newest.c.document_id == versions.c.document_id)
            & (newest.c.number == versions.c.number),
        )
        .outerjoin(pages, (pages.c.document_version_id == versions.c.id) & matched)
    )
