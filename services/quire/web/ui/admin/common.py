"""What the administration pages share: the scope check, paging, rendering with the menu."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request, status
from starlette.responses import Response

from quire.core.models import User
from quire.web.api.common import MAX_PAGE_NUMBER, PageParams
from quire.web.ui.admin.sections import admin_sections, may
from quire.web.ui.listing import lenient_int
from quire.web.ui.templating import render

PAGE_SIZE = 50


def check(user: User, scope: str) -> None:
    """403, as the API answers a missing scope."""
    if not may(user, scope):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"this needs the scope {scope}")


def page_params(request: Request) -> PageParams:
    number = lenient_int(request.query_params.get("page"), 1, 1, MAX_PAGE_NUMBER)
    return PageParams(page_size=PAGE_SIZE, page_number=number)


def render_admin(
    request: Request, user: User, template: str, area: str, context: dict[str, Any]
) -> Response:
    values = {
        "user": user,
        "section": "admin",
        "area": area,
        "sections": admin_sections(user),
        "may": lambda scope: may(user, scope),
    }
    values.update(context)
    return render(request, template, values)
