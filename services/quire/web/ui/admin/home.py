"""``/admin``: the first section the user may open (403 if none)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from starlette.responses import RedirectResponse, Response

from quire.web.deps import CurrentUser
from quire.web.ui.admin.sections import admin_sections

router = APIRouter(include_in_schema=False)


@router.get("/admin")
def admin_home(user: CurrentUser) -> Response:
    sections = admin_sections(user)
    if not sections:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="administrators only")
    return RedirectResponse(sections[0].url, status_code=303)
