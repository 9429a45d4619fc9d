"""Search: the box in every page's top bar, and one page of results with the matching pages'
snippets, highlighted. Read through the API's own ``search_get`` (the same query language,
engine, access filter and paging)."""

from __future__ import annotations

import html
import re
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from markupsafe import Markup, escape
from starlette.responses import Response

from quire.core import scopes
from quire.core.models import User
from quire.web.api.search import search_results
from quire.web.api.search_schemas import SearchBody
from quire.web.deps import AppSettings, DbSession, require
from quire.web.ui.listing import ListingState
from quire.web.ui.templating import render

router = APIRouter(include_in_schema=False)

Searcher = Annotated[User, require(scopes.NODE_VIEW)]
PAGE_SIZE = 20
MAX_QUERY = 2000
_MARK = re.compile(r"(</?mark>)")


def highlighted(snippet: str) -> Markup:
    """The engine's snippet (escaped text, matches in ``<mark>``) made safe again here: every
    part but the marks is unescaped and escaped anew, so nothing else can become markup."""
    parts = []
    for part in _MARK.split(snippet):
        if part == "<mark>":
            parts.append(Markup("<mark>"))
        elif part == "</mark>":
            parts.append(Markup("</mark>"))
        else:
            parts.append(escape(html.unescape(part)))
    return Markup("").join(parts)


def _results(
    user: User, db: DbSession, settings: AppSettings, query: str, page: int
) -> tuple[Any, str | None]:
    try:
        body = SearchBody(q=query, page_number=page, page_size=PAGE_SIZE)
        results = search_results(db, settings, user, body)
    except HTTPException as exc:
        if exc.status_code >= 500:
            raise
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return None, detail
    return results, None


@router.get("/search")
def search(request: Request, user: Searcher, db: DbSession, settings: AppSettings) -> Response:
    query = request.query_params.get("q", "").strip()[:MAX_QUERY]
    page = ListingState.of(request).page
    results, error = _results(user, db, settings, query, page) if query else (None, None)
    context = {
        "user": user,
        "section": "search",
        "query": query,
        "results": results,
        "error": error,
        "page": page,
        "highlighted": highlighted,
    }
    return render(request, "search.html", context)
