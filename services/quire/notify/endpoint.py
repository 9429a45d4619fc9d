"""One client's socket at ``/ws``: authenticate, replay what it missed, then live events.

A refused client's handshake is accepted all the same, so that the refusal is a close frame
with code 1008 and a reason a browser's script can read (a refused handshake shows it only
"1006"). An accepted one is attached to the hub before its handshake completes: anything
committed after the client sees the socket open reaches it.

``?after=<id>``: the events after that id the user hears of are sent first, from the
table; live events that arrive meanwhile wait in the client's queue and are sent after them
(those already replayed skipped). Nothing the client sends is needed; its frames are read
only to notice that it left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from quire.core.config import Settings
from quire.notify.hub import POLICY_VIOLATION, Connection, Hub
from quire.notify.identity import Identity, Refused, credential, identify

log = logging.getLogger("quire.notify")
# The largest id an event can have (a signed 64-bit column).
MAX_EVENT_ID = 2**63 - 1
# A close frame to a client that stopped reading cannot be written; it is not waited for.
CLOSE_TIMEOUT_SECONDS = 1.0


async def endpoint(websocket: WebSocket) -> None:
    """The ``/ws`` route; the app's ``state`` holds ``notify_hub`` and ``settings``."""
    hub: Hub = websocket.app.state.notify_hub
    settings: Settings = websocket.app.state.settings
    try:
        after = _after(websocket)
        token = credential(websocket, settings)
        identity = await asyncio.to_thread(identify, hub.db, settings, token)
    except Refused as exc:
        await websocket.accept()
        await websocket.close(POLICY_VIOLATION, str(exc))
        return
    connection = Connection(identity, settings.notify.client_queue_size)
    # Before the handshake completes: whatever commits once the client is connected reaches it.
    hub.attach(connection)
    try:
        await websocket.accept()
        await _serve(websocket, hub, connection, identity, after)
    finally:
        hub.detach(connection)


def _after(websocket: WebSocket) -> int | None:
    text = websocket.query_params.get("after")
    if text is None or text == "":
        return None
    if not text.isdigit() or int(text) > MAX_EVENT_ID:
        raise Refused("after must be the id of an event (a whole number, 0 or more)")
    return int(text)


async def _serve(
    websocket: WebSocket, hub: Hub, connection: Connection, identity: Identity, after: int | None
) -> None:
    tasks = [
        asyncio.create_task(_send(websocket, hub, connection, identity, after)),
        asyncio.create_task(_read_until_gone(websocket)),
        asyncio.create_task(connection.ended.wait()),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, OSError):
                await task
    if connection.ended.is_set() and websocket.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                websocket.close(connection.close_code, connection.close_reason),
                CLOSE_TIMEOUT_SECONDS,
            )


async def _send(
    websocket: WebSocket, hub: Hub, connection: Connection, identity: Identity, after: int | None
) -> None:
    if after is not None:
        missed = await asyncio.to_thread(hub.replay, identity, after)
        for event_id, message in missed:
            await websocket.send_text(message)
            connection.replayed.add(event_id)
    while True:
        event_id, message = await connection.queue.get()
        if event_id not in connection.replayed:
            await websocket.send_text(message)
            connection.idle = False


async def _read_until_gone(websocket: WebSocket) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
