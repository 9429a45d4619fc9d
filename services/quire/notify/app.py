"""The ASGI app of ``quire notify``: ``/ws`` and a health check, nothing else.

Its hub hears of events through Redis (``quire notify`` refuses to start without it: a
separate process could hear of nothing else but the sweep). The web app mounts the same
endpoint itself (``web/app.py``) with ``start_hub``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from quire import __version__
from quire.core.collector import freeze_start_up_objects
from quire.core.config import Settings, get_settings
from quire.core.db import Database
from quire.notify.buses import listener_for
from quire.notify.endpoint import endpoint
from quire.notify.hub import Hub


async def start_hub(db: Database, settings: Settings) -> Hub:
    """A running hub for this process, listening where ``settings`` say events are announced."""
    hub = Hub(db, settings.notify)
    await hub.start(listener_for(settings))
    return hub


@asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.notify_hub = await start_hub(app.state.db, app.state.settings)
    freeze_start_up_objects()
    try:
        yield
    finally:
        await app.state.notify_hub.stop()
        app.state.db.dispose()


async def _health(request: Request) -> JSONResponse:
    hub: Hub = request.app.state.notify_hub
    return JSONResponse({"status": "ok", "version": __version__, "clients": hub.client_count})


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()
    app = Starlette(
        routes=[WebSocketRoute("/ws", endpoint), Route("/health", _health)],
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.db = Database(settings.database_url, pool_size=settings.database.pool_size)
    return app
