"""``/tokens``: the caller's personal API tokens: made (the secret shown once, by ``admin.js``
from ``POST /api/tokens/``'s answer), listed, revoked. Every signed-in user has their own."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from quire.web.api.tokens import list_tokens
from quire.web.deps import CurrentUser, DbSession
from quire.web.ui.admin.common import render_admin

router = APIRouter(include_in_schema=False)


@router.get("/tokens")
def tokens_page(request: Request, user: CurrentUser, db: DbSession) -> Response:
    context = {"tokens": list_tokens(user, db), "section": "tokens"}
    return render_admin(request, user, "admin/tokens.html", "tokens", context)
