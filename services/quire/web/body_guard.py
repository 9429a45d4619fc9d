"""No request body is read before its sender is known, and none past its size limit.

FastAPI parses a body (JSON into memory, a multipart upload into temporary files) *before* it
resolves the endpoint's dependencies, authentication among them. Two guards keep an anonymous
or careless client from making the server read, hold or spool what it sends:

- ``CredentialsBeforeBody`` (this module) answers 401 before anything is read, unless the
  request carries a credential that verifies: a JWT with a valid signature and expiry (no
  database), or a personal API token that exists and has not expired (one indexed lookup).
  The endpoint's own dependency then makes the full check (active user, scopes) as before.
  A session cookie counts only with its CSRF token (``web/session.py``): a write another
  site's page makes the browser send is a 403 before its body is read.
  Without a credential, a request a trusted authenticating proxy vouches for passes too
  (``AUTH__REMOTE``: ``web/trusted_headers.py``).
- FastAPI's body limits (``max_body_size``, set in ``web/app.py``): a declared
  ``Content-Length`` over the limit is refused before reading, and a streamed (chunked) body
  is cut off the moment it passes the limit. ``MAIN__MAX_BODY_SIZE_KB`` for every body,
  ``MAIN__MAX_FILE_SIZE_MB`` (plus multipart framing) for the upload routes.
"""

from __future__ import annotations

import anyio.to_thread
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quire.core.config import Settings
from quire.core.db import Database
from quire.core.security import API_TOKEN_PREFIX
from quire.web.deps import bearer_token, credential_verifies
from quire.web.session import CSRF_REFUSED, csrf_fails
from quire.web.trusted_headers import UnusableIdentity, proxy_identity

# The only API routes that take a body from someone not signed in yet.
PUBLIC_BODY_PATHS = frozenset({"/api/token"})


def has_body(scope: Scope) -> bool:
    headers = dict(scope["headers"])
    if b"transfer-encoding" in headers:
        return True
    length = headers.get(b"content-length", b"0").strip()
    return not length.isdigit() or int(length) > 0


class CredentialsBeforeBody:
    def __init__(self, app: ASGIApp, database: Database, settings: Settings) -> None:
        self.app = app
        self.database = database
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if (
            not scope["path"].startswith("/api/")
            or scope["path"] in PUBLIC_BODY_PATHS
            or not has_body(scope)
        ):
            await self.app(scope, receive, _json_413(scope, send))
            return
        request = Request(scope)
        if csrf_fails(request, self.settings):
            # A forged cross-site write: refused before its body is read, as the endpoint would.
            response = JSONResponse({"detail": CSRF_REFUSED}, status_code=403)
            await response(scope, receive, send)
            return
        token = bearer_token(request, self.settings)
        if (token and await self._verifies(token)) or (not token and self._vouched(request)):
            await self.app(scope, receive, _json_413(scope, send))
            return
        detail = "invalid or expired token" if token else "not authenticated"
        # The body stays unread; the server closes the connection after this answer.
        response = JSONResponse(
            {"detail": detail}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
        await response(scope, receive, send)

    def _vouched(self, request: Request) -> bool:
        try:
            return proxy_identity(request, self.settings) is not None
        except UnusableIdentity:
            return False

    async def _verifies(self, token: str) -> bool:
        if token.startswith(API_TOKEN_PREFIX):  # a database lookup: off the event loop
            return await anyio.to_thread.run_sync(
                credential_verifies, self.database, self.settings, token
            )
        return credential_verifies(self.database, self.settings, token)


def too_large(scope: Scope) -> JSONResponse:
    """413 with the limit in force: the route's, or the app's."""
    limit = int(scope.get(MAX_BODY_SIZE_SCOPE_KEY, 0))
    shown = f"{limit >> 20} MB" if limit >= 1 << 20 else f"{limit >> 10} KB"
    return JSONResponse(
        status_code=413,
        content={"detail": f"the request body is larger than the limit of {shown}"},
        headers={"Connection": "close"},
    )


def _json_413(scope: Scope, send: Send) -> Send:
    """Starlette's limiter answers a declared length over the limit in plain text, from
    inside its own middleware; our clients get JSON like every other error."""
    replaced = False

    async def send_json(message: Message) -> None:
        nonlocal replaced
        if message["type"] == "http.response.start" and message["status"] == 413:
            content_type = dict(message.get("headers", [])).get(b"content-type", b"")
            if content_type.startswith(b"text/plain"):
                replaced = True
                response = too_large(scope)
                await send(
                    {"type": "http.response.start", "status": 413, "headers": response.raw_headers}
                )
                await send({"type": "http.response.body", "body": response.body})
                return
        if not replaced:
            await send(message)

    return send_json
