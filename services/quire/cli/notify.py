"""``quire notify``: the notifications service, a process of its own (``quire.notify``)."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from quire.cli.common import fail
from quire.core.config import get_settings
from quire.core.logs import setup_logging

# A client sends nothing the service needs: a frame larger than this is refused (1009).
MAX_CLIENT_FRAME = 4096
# On SIGTERM every socket is closed with 1012 (service restart) at once; clients reconnect
# to another node with ?after=. This long is left for the closing handshakes.
GRACEFUL_SECONDS = 5


def notify(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 12100,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Serve the notifications WebSocket (/ws) for the web app's browsers (needs REDIS__URL)."""
    settings = get_settings()
    if not settings.redis.url:
        fail(
            "REDIS__URL is not set: `quire notify` hears of events through Redis; without it, "
            "`quire serve` answers /ws itself"
        )
    if settings.security.secret_key is None:
        fail("SECURITY__SECRET_KEY is not set: the same key as the web app's checks the tokens")
    log_config = setup_logging(log_level.upper())
    uvicorn.run(
        "quire.notify.app:create_app",
        factory=True,
        host=host,
        port=port,
        log_config=log_config,
        ws_max_size=MAX_CLIENT_FRAME,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        proxy_headers=False,
    )
