"""Full-text search: ``GET /api/search/?q=`` (Papermerge's) and ``POST /api/search/`` (filters).

The query string is parsed here (``quire.search.query``): a malformed one answers 400 with the
column where it went wrong. The engine filters by the caller's principals inside the query; the
hits are then checked against the database once more (``search_hits.py``), so a share revoked a
moment ago (before the indexer caught up) shows nothing. Results come per document, with its
best pages and their highlighted snippets.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Response, status
from sqlalchemy.orm import Session

from quire.core import access, scopes
from quire.core.models import User
from quire.search.backend import (
    MAX_RESULT_WINDOW,
    ResultWindowExceeded,
    SearchUnavailable,
    Sort,
)
from quire.search.binding import bind, custom_field_keys
from quire.search.engines import engine_for
from quire.search.model import custom_field_types
from quire.search.query import Node as QueryNode
from quire.search.query import QuerySyntaxError, all_of, parse
from quire.web.api.common import folder_access, json_response
from quire.web.api.search_hits import shown_hits
from quire.web.api.search_schemas import (
    MAX_SEARCH_PAGE_NUMBER,
    MAX_SEARCH_PAGE_SIZE,
    SearchBody,
    SearchResults,
)
from quire.web.deps import AppSettings, DbSession, require

router = APIRouter(prefix="/search", tags=["search"])

Searcher = Annotated[User, require(scopes.NODE_VIEW)]
PAGES_PER_HIT = 3


@router.get("/", response_model=SearchResults)
def search_get(
    user: Searcher,
    db: DbSession,
    settings: AppSettings,
    q: Annotated[str, Query(max_length=2000)] = "",
    page_number: Annotated[int, Query(ge=1, le=MAX_SEARCH_PAGE_NUMBER)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_SEARCH_PAGE_SIZE)] = 10,
    sort: Literal["score", "title", "created", "updated"] = "score",
    order: Literal["asc", "desc"] = "desc",
) -> Response:
    """Upstream's search: ``q`` in the query language, one page of documents and folders."""
    body = SearchBody(q=q, page_number=page_number, page_size=page_size, sort=sort, order=order)
    return json_response(search_results(db, settings, user, body))


@router.post("/", response_model=SearchResults)
def search_post(user: Searcher, db: DbSession, settings: AppSettings, body: SearchBody) -> Response:
    """The query string and structured filters (tags, types, custom fields, dates, folder)."""
    if body.folder_id is not None:
        folder_access(db, user, body.folder_id)
    return json_response(search_results(db, settings, user, body))


def search_results(
    db: Session, settings: AppSettings, user: User, body: SearchBody
) -> SearchResults:
    """The page of results ``body`` asks for, as the user may see them (400/503 as HTTP errors)."""
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
        items=shown_hits(db, user, results),
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
