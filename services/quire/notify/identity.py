"""Who a socket's client is: the web app's credentials, checked the same way.

A browser's socket carries the session cookie (``SECURITY__COOKIE_NAME``, a JWT); other
clients send ``Authorization: Bearer <jwt>``, or ``?token=<jwt>`` where they cannot set
headers. Personal API tokens are not taken here: a socket is a browser's.

The cookie goes with any site's request to this origin, a socket's too (no CORS for
WebSockets): so a socket authenticated by it must come from a page of this origin, or of one
listed in ``SECURITY__CORS_ORIGINS`` (its ``Origin`` header says which), else another site's
script could read the user's events ("cross-site WebSocket hijacking").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from starlette.websockets import WebSocket

from quire.core import access
from quire.core.config import Settings
from quire.core.db import Database
from quire.core.models import User
from quire.core.security import InvalidToken, decode_access_token


@dataclass(frozen=True)
class Identity:
    user_id: uuid.UUID
    # "u:<user>", "g:<group>"...: what an event's recipients are matched against.
    principals: frozenset[str]
    expires_at: datetime


class Refused(Exception):
    """No usable credential; the message says which problem (the close frame's reason)."""


def credential(websocket: WebSocket, settings: Settings) -> str:
    """The token the client sent; raises ``Refused`` for none, or a cookie from another site."""
    scheme, _, value = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if websocket.query_params.get("token"):
        return websocket.query_params["token"]
    cookie = websocket.cookies.get(settings.security.cookie_name)
    if not cookie:
        raise Refused("not authenticated")
    if not _same_site(websocket, settings):
        raise Refused("the session cookie is only taken from this site's pages")
    return cookie


def _same_site(websocket: WebSocket, settings: Settings) -> bool:
    origin = websocket.headers.get("origin")
    if origin is None:
        # Not a browser (every browser sends Origin with a WebSocket handshake).
        return True
    if origin.rstrip("/") in settings.security.cors_origins:
        return True
    return urlsplit(origin).netloc.lower() == websocket.headers.get("host", "").lower()


def identify(db: Database, settings: Settings, token: str) -> Identity:
    """The token's user, if the token verifies and the account is active; else ``Refused``."""
    try:
        claims = decode_access_token(settings.security, token)
    except InvalidToken as exc:
        raise Refused("invalid or expired token") from exc
    with db.session() as session:
        user = session.get(User, claims.user_id)
        if user is None or not user.is_active:
            raise Refused("invalid or expired token")
        principals = frozenset(access.principals_for_user(session, user.id))
    return Identity(user.id, principals, claims.expires_at)
