"""Sign-in by an authenticating proxy's headers, as Papermerge's ``AUTH__REMOTE``.

Deployments behind oauth2-proxy, Authelia or a Keycloak gateway let the proxy sign users in (by
OIDC, say) and tell the app who they are in request headers: ``Remote-User`` (the username),
``Remote-Groups`` (comma-separated group names) and ``Remote-Email``; each name is a setting
(``AUTH__REMOTE_USER_HEADER``...). oauth2-proxy, for one, sends ``X-Forwarded-User``,
``X-Forwarded-Groups`` and ``X-Forwarded-Email``: set those names.

Anyone can write such a header, so it is believed only when all of these hold:

- ``AUTH__REMOTE`` is on (it is off by default);
- the connection comes from one of ``SECURITY__TRUSTED_PROXIES`` (the peer of the TCP
  connection itself, never an ``X-Forwarded-For`` claim; Quire refuses to start with
  ``AUTH__REMOTE`` and no trusted proxy);
- the request carries no bearer token or session cookie: a credential of its own decides.

From anyone else the headers are ignored, as if absent: no credential, a 401. The proxy must
remove these headers from what clients send it (oauth2-proxy, Authelia and Keycloak gateways
do, for the names they set). What a believed header does to the user (made on first sight,
email and groups kept up to date): ``core/proxy_users.py``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from starlette.requests import Request

from quire.core.config import Settings
from quire.web.client import from_trusted_proxy

# The width of ``users.username`` and ``users.email``, and how many groups one request may name.
MAX_USERNAME = 150
MAX_EMAIL = 254
MAX_GROUPS = 200


@dataclass(frozen=True)
class ProxyIdentity:
    username: str
    email: str | None
    # None: the proxy sent no groups header, and memberships stay as they are.
    group_names: list[str] | None


class UnusableIdentity(ValueError):
    """The proxy's user header holds nothing that can be a username."""


def proxy_identity(request: Request, settings: Settings) -> ProxyIdentity | None:
    """Who the trusted proxy says the request is from; None if it is not to be believed (or
    says nothing). Raises ``UnusableIdentity`` for a believed but unusable username."""
    auth = settings.auth
    if not auth.remote or not from_trusted_proxy(request, settings.security):
        return None
    username = _header(request, auth.remote_user_header)
    if username is None:
        return None
    if not username or len(username) > MAX_USERNAME or not _printable(username):
        raise UnusableIdentity("the proxy's user header does not hold a usable username")
    email = _header(request, auth.remote_email_header)
    if email is not None and (len(email) > MAX_EMAIL or not _printable(email)):
        email = None
    groups = _header(request, auth.remote_groups_header)
    names = None
    if groups is not None:
        names = [name.strip() for name in groups.split(",") if name.strip()][:MAX_GROUPS]
    return ProxyIdentity(username=username, email=email, group_names=names)


def _header(request: Request, name: str) -> str | None:
    """A header's value as the proxy meant it: UTF-8 (HTTP hands it over as Latin-1)."""
    raw = request.headers.get(name)
    if raw is None:
        return None
    try:
        return raw.encode("latin-1").decode("utf-8").strip()
    except UnicodeError:
        return raw.strip()


def _printable(text: str) -> bool:
    return not any(unicodedata.category(char)[0] == "C" for char in text)
