"""The browser session: the API's JWT in an HttpOnly cookie, and CSRF protection for it.

A browser sends its cookies with every request to this origin, including requests another
site's page makes it send (a form posted from elsewhere). A bearer token is not sent that way,
so requests authenticated by one need no CSRF check; those authenticated by the session cookie
do, whenever they may change something (any method but GET, HEAD, OPTIONS).

The CSRF token is the session's own: an HMAC of the session's JWT under the secret key (OWASP's
"signed double-submit cookie"). Pages carry it (``<meta name="csrf-token">``, hidden form
fields), ES modules send it back in ``X-CSRF-Token``. Another site can read neither the cookie
(HttpOnly) nor our pages (same-origin policy), so it cannot forge the token, and a token is
worthless with any other session. Before sign-in there is no session: the sign-in form is
protected by a random pre-session cookie that its hidden field must repeat.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from ipaddress import ip_address

from fastapi import HTTPException, Request, Response, status

from quire.core.config import Settings

CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
# Random, for the forms shown before a session exists (sign-in, language on the sign-in page).
PRESESSION_COOKIE = "quire_presession"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _has_bearer_header(request: Request) -> bool:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(value.strip())


def cookie_session(request: Request, settings: Settings) -> str | None:
    """The session cookie's token, if that is what authenticates this request."""
    if _has_bearer_header(request):
        return None
    return request.cookies.get(settings.security.cookie_name) or None


def _sign(settings: Settings, purpose: str, value: str) -> str:
    assert settings.security.secret_key is not None
    key = settings.security.secret_key.get_secret_value().encode()
    digest = hmac.new(key, f"{purpose}\0{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def csrf_token(request: Request, settings: Settings) -> str | None:
    """The token this request's pages must send back: bound to the session if there is one,
    else to the pre-session cookie (None if neither)."""
    session = cookie_session(request, settings)
    if session:
        return _sign(settings, "csrf", session)
    presession = request.cookies.get(PRESESSION_COOKIE)
    return presession_token(settings, presession) if presession else None


def token_matches(request: Request, settings: Settings, sent: str | None) -> bool:
    expected = csrf_token(request, settings)
    return bool(expected and sent) and hmac.compare_digest(expected or "", sent or "")


def presession_matches(request: Request, settings: Settings, sent: str | None) -> bool:
    """Whether a form shown before sign-in repeats its pre-session token."""
    presession = request.cookies.get(PRESESSION_COOKIE)
    if not presession or not sent:
        return False
    return hmac.compare_digest(presession_token(settings, presession), sent)


CSRF_REFUSED = (
    f"CSRF check failed: a request signed in by the session cookie must send the page's token "
    f"in {CSRF_HEADER}"
)


def csrf_fails(request: Request, settings: Settings) -> bool:
    """Whether this is a state-changing request authenticated by the session cookie without
    the session's CSRF token in ``X-CSRF-Token``. Bearer-token requests never fail."""
    if request.method in SAFE_METHODS or cookie_session(request, settings) is None:
        return False
    return not token_matches(request, settings, request.headers.get(CSRF_HEADER))


def check_csrf(request: Request, settings: Settings) -> None:
    """403 (JSON) where ``csrf_fails``."""
    if csrf_fails(request, settings):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=CSRF_REFUSED)


def cookie_secure(request: Request, settings: Settings) -> bool:
    """Whether the session cookie gets ``Secure``: always over HTTPS, and on loopback, which
    browsers treat as a secure context; not over plain HTTP to another host (a LAN install
    without TLS could not sign in at all). ``SECURITY__COOKIE_SECURE`` decides if set."""
    configured = settings.security.cookie_secure
    if configured is not None:
        return configured
    if request.url.scheme == "https":
        return True
    host = request.url.hostname or ""
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def set_session(response: Response, request: Request, settings: Settings, token: str) -> None:
    response.set_cookie(
        settings.security.cookie_name,
        token,
        max_age=settings.security.token_expire_minutes * 60,
        httponly=True,
        secure=cookie_secure(request, settings),
        samesite="lax",
    )


def clear_session(response: Response, request: Request, settings: Settings) -> None:
    response.delete_cookie(
        settings.security.cookie_name,
        httponly=True,
        secure=cookie_secure(request, settings),
        samesite="lax",
    )


def presession_value(request: Request) -> str:
    """The pre-session cookie's value, or a new random one (``set_presession`` sends it)."""
    return request.cookies.get(PRESESSION_COOKIE) or secrets.token_urlsafe(32)


def presession_token(settings: Settings, value: str) -> str:
    return _sign(settings, "presession", value)


def set_presession(response: Response, request: Request, settings: Settings, value: str) -> None:
    if request.cookies.get(PRESESSION_COOKIE) != value:
        response.set_cookie(
            PRESESSION_COOKIE,
            value,
            httponly=True,
            secure=cookie_secure(request, settings),
            samesite="strict",
        )
