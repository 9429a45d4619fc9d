"""Whom a request comes from: the one place that decides the client's address.

``X-Forwarded-For`` is written by whoever sends the request, so it is believed only as far as
it was written by our own proxies (``SECURITY__TRUSTED_PROXIES``). Each proxy appends the
address it saw, so reading from the right, the first address that is not one of ours is the
client; everything left of it is the client's own say and ignored. Without trusted proxies the
peer of the connection is the client, whatever the headers claim.

``ForwardedClient``, the app's outermost middleware, keeps the connection's peer in the scope
(``connection_peer``: what decides whether a proxy's user headers are believed) and then lets
uvicorn's ``ProxyHeadersMiddleware`` replace the client and scheme with what our proxies
forwarded, for every part of the app and for the access log. So ``quire serve`` no longer asks
uvicorn to do it before the app (the peer would be lost). ``client_address`` applies the rule
again, which changes nothing after the middleware, and alone where the app runs without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from quire.core.config import SecuritySettings

UNKNOWN = "unknown"
# Where ForwardedClient keeps the connection's peer, before anything replaces the client.
PEER_KEY = "quire.peer"
# Longer than any IP address; something else (a unix socket, a proxy's "unknown") is cut here so
# that it fits the throttling keys.
_MAX_LENGTH = 64

Networks = Sequence[IPv4Network | IPv6Network]


def client_address(request: Request, settings: SecuritySettings) -> str:
    """The client's IP address in canonical form (or the peer's name when it is not an IP)."""
    peer = request.client.host if request.client else ""
    proxies = settings.trusted_proxies
    address = peer
    if proxies and _trusted(peer, proxies):
        hops = [
            hop.strip()
            for header in request.headers.getlist("x-forwarded-for")
            for hop in header.split(",")
        ]
        for hop in reversed([hop for hop in hops if hop]):
            address = _without_port(hop)
            if not _trusted(address, proxies):
                break
        # Every hop trusted: the left-most is as far as anyone can tell (uvicorn agrees).
    return _canonical(address)


def connection_peer(request: Request) -> str:
    """The address of whoever opened the connection: the proxy, when one forwarded it."""
    if PEER_KEY in request.scope:
        return str(request.scope[PEER_KEY])
    return request.client.host if request.client else ""


def from_trusted_proxy(request: Request, settings: SecuritySettings) -> bool:
    """Whether the connection comes from one of our proxies (``SECURITY__TRUSTED_PROXIES``)."""
    return _trusted(connection_peer(request), settings.trusted_proxies)


class ForwardedClient:
    """Keeps the connection's peer (``connection_peer``), then lets the trusted proxies'
    ``X-Forwarded-For``/``-Proto`` name the client and scheme (uvicorn's middleware)."""

    def __init__(self, app: ASGIApp, settings: SecuritySettings) -> None:
        self.app: ASGIApp = app
        if settings.trusted_proxies:
            trusted = [str(network) for network in settings.trusted_proxies]
            self.app = ProxyHeadersMiddleware(app, trusted_hosts=trusted)  # type: ignore[arg-type,assignment]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in {"http", "websocket"}:
            client = scope.get("client")
            scope[PEER_KEY] = client[0] if client else ""
        await self.app(scope, receive, send)


def _parse(address: str) -> IPv4Address | IPv6Address | None:
    try:
        parsed = ip_address(address)
    except ValueError:
        return None
    # ::ffff:192.0.2.1 is 192.0.2.1: one client, one counter, whichever socket family it used.
    if isinstance(parsed, IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed


def _trusted(address: str, proxies: Networks) -> bool:
    parsed = _parse(address)
    return parsed is not None and any(parsed in network for network in proxies)


def _without_port(hop: str) -> str:
    """Some proxies write ``192.0.2.1:4711`` or ``[2001:db8::1]:4711``."""
    if hop.startswith("["):
        return hop[1:].partition("]")[0]
    if hop.count(":") == 1:
        return hop.partition(":")[0]
    return hop


def _canonical(address: str) -> str:
    parsed = _parse(address)
    if parsed is not None:
        return str(parsed)
    return address[:_MAX_LENGTH] if address else UNKNOWN
