"""The web UI: server-rendered pages (Jinja2) at ``/``, small ES modules under ``/static``.

Pages read through the API's own functions (listings, details), called in-process; every write
is made by an ES module calling the API with the session cookie and its CSRF token
(``web/session.py``), so each write path exists once. ``mount_ui`` adds the routers and the
static files to the app; ``is_ui_path`` and ``error_page`` let the app's error handlers answer
a page instead of JSON outside ``/api``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from quire.web.ui import (
    admin,
    auth_pages,
    browse_pages,
    commander_pages,
    document_pages,
    search_pages,
)
from quire.web.ui.templating import render

STATIC = Path(__file__).parent / "static"
# Forms only: small bodies (uploads go to the API).
FORM_BODY_LIMIT = 64 << 10
_NOT_UI = ("/api/", "/docs", "/redoc", "/openapi.json")


def mount_ui(app: FastAPI) -> None:
    for module in (auth_pages, browse_pages, commander_pages, document_pages, search_pages):
        app.include_router(module.router, max_body_size=FORM_BODY_LIMIT)
    for router in admin.routers():
        app.include_router(router, max_body_size=FORM_BODY_LIMIT)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


def is_ui_path(path: str) -> bool:
    return path != "/api" and not path.startswith(_NOT_UI)


def error_page(request: Request, status_code: int, detail: str | None = None) -> Response:
    """A page for an error on a UI route: to sign-in when not signed in, else what went wrong."""
    if status_code == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/signin?{auth_pages.next_query(target)}", status_code=303)
    return render(
        request,
        "error.html",
        {"user": None, "status_code": status_code, "detail": detail},
        status_code=status_code,
    )


def http_error_page(request: Request, exc: StarletteHTTPException) -> Response:
    return error_page(request, exc.status_code, exc.detail if exc.status_code < 500 else None)
