"""Counting the requests a web process is serving, for its embedded runner to start its tasks
in the lulls between them (``quire.core.tasks.embedded``)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from quire.core.tasks.embedded import InFlight


class CountInFlight:
    """HTTP requests, from their first byte to their answer's last. Not websockets: a page
    holds its notifications' socket open for as long as it is shown."""

    def __init__(self, app: ASGIApp, in_flight: InFlight) -> None:
        self.app = app
        self.in_flight = in_flight

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.in_flight.began()
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight.ended()
