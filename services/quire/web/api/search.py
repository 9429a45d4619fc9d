"""Full-text search: ``GET /api/search/?q=`` (Papermerge's) and ``POST /api/search/`` (filters).

The query string is parsed here (``quire.search.query``): a malformed one answers 400 with the
column where it went wrong. The engine filters by the caller's principals inside the query; the
hits are then checked against the database once more, so a share revoked a moment ago (before
the indexer caught up) shows nothing. Results come per document, with its best pages and their
highlighted snippets.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from quire.core import access, ownership, scopes
from quire.core.documents import newest_with_file
from quire.core.models import Document, DocumentVersion, Folder, Node, Page, User
from quire.search.backend import (
    MAX_RESULT_WINDOW,
    Results,
    ResultWindowExceeded,
    SearchUnavailable,
    Sort,
)
from quire.search.binding import bind, custom_field_keys
from quire.search.engines import engine_for
from quire.search.model import custom_field_types
from quire.search.query import Node as QueryNode
from quire.search.query import QuerySyntaxError, all_of, parse
from quire.web.api.common import not_found
from quire.web.api.search_schemas import (
    MAX_SEARCH_PAGE_NUMBER,
    MAX_SEARCH_PAGE_SIZE,
    PageMatch,
    SearchBody,
    SearchHit,
    SearchResults,
)
from quire.web.deps import AppSettings, DbSession, require, user_scopes

router = APIRouter(prefix="/search", tags=["search"])

Searcher = Annotated[User, require(scopes.NODE_VIEW)]
PAGES_PER_HIT = 3


@router.get("/")
def search_get(
    user: Searcher,
    db: DbSession,
    settings: AppSettings,
    q: Annotated[str, Query(max_length=2000)] = "",
    page_number: Annotated[int, Query(ge=1, le=MAX_SEARCH_PAGE_NUMBER)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_SEARCH_PAGE_SIZE)] = 10,
    sort: Literal["score", "title", "created", "updated"] = "score",
    order: Literal["asc", "desc"] = "desc",
) -> SearchResults:
    """Upstream's search: ``q`` in the query language, one page of documents and folders."""
    body = SearchBody(q=q, page_number=page_number, page_size=page_size, sort=sort, order=order)
    return _search(db, settings, user, body)


@router.post("/")
def search_post(
    user: Searcher, db: DbSession, settings: AppSettings, body: SearchBody
) -> SearchResults:
    """The query string and structured filters (tags, types, custom fields, dates, folder)."""
    if body.folder_id is not None:
        try:
            access.find(db, user, body.folder_id, Folder)
        except access.NotVisible:
            raise not_found() from None
    return _search(db, settings, user, body)


def _search(db: Session, settings: AppSettings, user: User, body: SearchBody) -> SearchResults:
    tree = _query_tree(db, user, body)
    principals = access.principals_for_user(db, user)
    try:
        results = engine_for(settings).search(
            tree,
            principals,
            sort=Sort(body.sort, body.order == "desc"),
            offset=(body.page_number - 1) * body.page_size,
            limit=body.page_size,
            pages_per_hit=PAGES_PER_HIT,
        )
    except ResultWindowExceeded as exc:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            detail={"msg": str(exc), "max_result_window": MAX_RESULT_WINDOW},
        ) from exc
    except SearchUnavailable as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc)) from exc
    return SearchResults(
        page_size=body.page_size,
        page_number=body.page_number,
        num_pages=math.ceil(results.total / body.page_size),
        total=results.total,
        items=_hits(db, user, results),
    )


def _query_tree(db: Session, user: User, body: SearchBody) -> QueryNode:
    """The query and filters as one tree, custom-field values typed by their fields' types."""
    try:
        tree = all_of(parse(body.q), body.filters())
        return bind(tree, custom_field_types(db, user.id, custom_field_keys(tree)))
    except QuerySyntaxError as exc:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            detail={"msg": f"malformed query: {exc}", "column": exc.column, "query": body.q},
        ) from exc


def _hits(db: Session, user: User, results: Results) -> list[SearchHit]:
    """The hits the user may see now, with what the database says about each."""
    ids = [hit.node_id for hit in results.hits]
    nodes = {node.id: node for node in db.scalars(select(Node).where(Node.id.in_(ids)))}
    # A grantee does not learn the ids of the owner's folders above a share: a parent is shown
    # only if visible. One check for the hits and those parents.
    groups = ownership.group_ids(db, user.id)
    mine = {
        n.id for n in nodes.values() if ownership.owned_by(user.id, groups, n.user_id, n.group_id)
    }
    foreign_parents = {n.parent_id for n in nodes.values() if n.id not in mine and n.parent_id}
    visible = access.visible_ids(db, user, [*nodes, *foreign_parents])
    # Deleted a moment ago, before the indexer took it out of everyone's results: not shown.
    visible -= access.trashed_ids(db, [node_id for node_id in nodes if node_id in visible])
    newest = _newest_versions(db, [n.id for n in nodes.values() if isinstance(n, Document)])
    textless = _pages_not_viewable(db, user, [n for n in nodes.values() if n.id in visible], mine)
    items = []
    for hit in results.hits:
        node = nodes.get(hit.node_id)
        if node is None or node.id not in visible:
            continue
        version = newest.get(node.id)
        pages = [
            PageMatch(
                number=page.number,
                page_id=version.page_ids.get(page.number) if version else None,
                snippet=page.snippet,
            )
            for page in hit.pages
            if node.id not in textless
        ]
        ctype: Literal["document", "folder"] = (
            "document" if isinstance(node, Document) else "folder"
        )
        items.append(
            SearchHit(
                id=node.id,
                title=node.title,
                ctype=ctype,
                entity_type=ctype,
                document_id=node.id if ctype == "document" else None,
                parent_id=node.parent_id if node.id in mine or node.parent_id in visible else None,
                tags=sorted(tag.name for tag in node.tags),
                lang=node.lang,
                score=hit.score,
                page_count=version.page_count if version else None,
                page_number=pages[0].number if pages else None,
                matching_pages=hit.matching_pages,
                pages=pages,
                created_at=node.created_at,
                updated_at=node.updated_at,
            )
        )
    return items


def _pages_not_viewable(
    db: Session, user: User, nodes: list[Node], mine: set[uuid.UUID]
) -> set[uuid.UUID]:
    """The hits whose snippets (page text) the user may not read: all of them without the
    ``page.view`` scope, else a grantee's documents (not ``mine``) whose share's role lacks it."""
    if scopes.PAGE_VIEW not in user_scopes(user):
        return {node.id for node in nodes}
    foreign = [node for node in nodes if node.id not in mine]
    granted = access.node_accesses(db, user, foreign)
    return {i for i, node_access in granted.items() if not node_access.allows(scopes.PAGE_VIEW)}


@dataclass(frozen=True)
class _Version:
    page_count: int
    page_ids: dict[int, uuid.UUID]


def _newest_versions(db: Session, document_ids: list[uuid.UUID]) -> dict[uuid.UUID, _Version]:
    """Each document's newest version with a file (what was indexed): its pages, one query."""
    if not document_ids:
        return {}
    newest = newest_with_file(document_ids)
    rows = db.execute(
        select(DocumentVersion.document_id, DocumentVersion.page_count, Page.number, Page.id)
        .join(
            newest,
            (newest.c.document_id == DocumentVersion.document_id)
            & (newest.c.number == DocumentVersion.number),
        )
        .outerjoin(Page, Page.document_version_id == DocumentVersion.id)
    )
    versions: dict[uuid.UUID, _Version] = {}
    for document_id, page_count, number, page_id in rows:
        version = versions.setdefault(document_id, _Version(page_count, {}))
        if page_id is not None:
            version.page_ids[number] = page_id
    return versions
