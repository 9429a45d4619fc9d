"""Sign-in, sign-out and the language choice.

Sign-in calls the API's own ``sign_in`` (throttling, audit log, the same JWT), and keeps the
token in the session cookie (``web/session.py``). Every form here repeats a CSRF token: the
sign-in form its pre-session token (no signing in as someone else from another site), the
others the session's.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request, status
from starlette.responses import RedirectResponse, Response

from quire.web.api.auth import sign_in
from quire.web.deps import AppSettings, DbSession
from quire.web.session import (
    clear_session,
    cookie_session,
    presession_matches,
    presession_token,
    presession_value,
    set_presession,
    set_session,
    token_matches,
)
from quire.web.ui.i18n import LANGUAGE_COOKIE, LANGUAGES
from quire.web.ui.templating import render

router = APIRouter(include_in_schema=False)

LANGUAGE_MAX_AGE = 365 * 24 * 3600
# Form fields, all optional here: a missing one is an error on the page, not a 422.
Field = Annotated[str, Form(max_length=1024)]


def local_target(target: str | None) -> str:
    """Where to go after a form: a path on this site only (never ``//other.site``)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def next_query(target: str) -> str:
    return urlencode({"next": local_target(target)})


def _signin_form(
    request: Request, settings: AppSettings, *, error: str | None, username: str, status_code: int
) -> Response:
    value = presession_value(request)
    token = presession_token(settings, value)
    context = {
        "user": None,
        "error": error,
        "username": username,
        "csrf": token,
        "next": local_target(request.query_params.get("next")),
    }
    page = render(request, "signin.html", context, status_code=status_code)
    set_presession(page, request, settings, value)
    return page


@router.get("/signin")
def signin_page(request: Request, settings: AppSettings) -> Response:
    return _signin_form(request, settings, error=None, username="", status_code=200)


def _refusal(exc: HTTPException) -> str:
    """Why sign-in was refused, as the template words it in the page's language."""
    if exc.status_code == status.HTTP_429_TOO_MANY_REQUESTS:
        return "throttled"
    return "wrong"


@router.post("/signin")
def signin(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    username: Field = "",
    password: Field = "",
    csrf_token: Field = "",
    next: Field = "/",
) -> Response:
    username = username.strip()[:150]
    if not presession_matches(request, settings, csrf_token):
        return _signin_form(request, settings, error="expired", username=username, status_code=403)
    if not username or not password:
        return _signin_form(request, settings, error="missing", username=username, status_code=400)
    try:
        token = sign_in(request, db, settings, username, password)
    except HTTPException as exc:
        return _signin_form(
            request, settings, error=_refusal(exc), username=username, status_code=exc.status_code
        )
    response = RedirectResponse(local_target(next), status_code=303)
    set_session(response, request, settings, token)
    return response


def _expired() -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, detail="the form has expired: reload the page")


@router.post("/signout")
def signout(request: Request, settings: AppSettings, csrf_token: Field = "") -> Response:
    # Without a session there is nothing to end (and nothing for another site to end).
    if cookie_session(request, settings) and not token_matches(request, settings, csrf_token):
        raise _expired()
    response = RedirectResponse("/signin", status_code=303)
    clear_session(response, request, settings)
    return response


@router.post("/language")
def choose_language(
    request: Request,
    settings: AppSettings,
    language: Field = "",
    csrf_token: Field = "",
    next: Field = "/",
) -> Response:
    # The sign-in page's forms carry the pre-session token, even beside a stale session cookie.
    if not (
        token_matches(request, settings, csrf_token)
        or presession_matches(request, settings, csrf_token)
    ):
        raise _expired()
    response = RedirectResponse(local_target(next), status_code=303)
    if language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=LANGUAGE_MAX_AGE, httponly=True, samesite="lax"
        )
    return response
