"""Whom a request comes from: the one place that decides the client's address.

``X-Forwarded-For`` is written by whoever sends the request, so it is believed only as far as
it was written by our own proxies (``SECURITY__TRUSTED_PROXIES``). Each proxy appends the
address it saw, so reading from the right, the first address that is not one of ours is the
client; everything left of it is the client's own say and ignored. Without trusted proxies the
peer of the connection is the client, whatever the headers claim.

``quire serve`` hands uvicorn the same list (``cli/server.py``), so uvicorn may already have
replaced the peer by that address; applying the rule again to it changes nothing, and under any
other server (or the TestClient) this function alone applies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from starlette.requests import Request

from quire.core.config import SecuritySettings

UNKNOWN = "unknown"
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
