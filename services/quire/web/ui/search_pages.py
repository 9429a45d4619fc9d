"""Search: the box in every page's top bar, and one page of results with the matching pages'
snippets, highlighted; filters (tags, types, a custom field, dates, kind) as controls
(``search_filters.py``). Read through the API's own ``search_results`` (the same query
language, filters, engine, access filter and paging)."""

from __future__ import annotations

import html
import re
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from markupsafe import Markup, escape
from pydantic import ValidationError
from starlette.responses import Response

from quire.core import scopes
from quire.core.models import User
from quire.web.api.custom_fields import all_custom_fields
from quire.web.api.document_types import all_document_types
from quire.web.api.search import search_results
from quire.web.deps import AppSettings, DbSession, require, user_scopes
from quire.web.ui.listing import ListingState
from quire.web.ui.search_filters import CF_OPS, SORTS, SearchForm, describe
from quire.web.ui.templating import render

router = APIRouter(include_in_schema=False)

Searcher = Annotated[User, require(scopes.NODE_VIEW)]
PAGE_SIZE = 20
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
    user: User, db: DbSession, settings: AppSettings, form: SearchForm, page: int
) -> tuple[Any, str | None]:
    try:
        results = search_results(db, settings, user, form.body(page, PAGE_SIZE))
    except ValidationError as exc:
        return None, describe(exc)
    except HTTPException as exc:
        if exc.status_code >= 500:
            raise
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return None, detail
    return results, None


@router.get("/search")
def search(request: Request, user: Searcher, db: DbSession, settings: AppSettings) -> Response:
    form = SearchForm.of(request.query_params)
    page = ListingState.of(request).page
    results, error = _results(user, db, settings, form, page) if form.asked else (None, None)
    granted = user_scopes(user)
    context = {
        "user": user,
        "section": "search",
        "query": form.q,
        "form": form,
        "results": results,
        "error": error,
        "page": page,
        "highlighted": highlighted,
        "document_types": (
            all_document_types(user, db) if scopes.DOCUMENT_TYPE_SELECT in granted else []
        ),
        "custom_fields": (
            all_custom_fields(user, db) if scopes.CUSTOM_FIELD_VIEW in granted else []
        ),
        "cf_ops": CF_OPS,
        "sorts": SORTS,
    }
    return render(request, "search.html", context)
