"""The messages on the socket, server to client, as JSON text frames (schema: docs/events.md).

``{"v": 1, "type": "event", "event": {...}}`` whose ``event`` is exactly one item of
``GET /api/events/`` (same fields, same datetime form), and ``{"v": 1, "type": "ping"}``.
A change that a client could misread (a field renamed or re-typed) raises ``VERSION``; fields
and event kinds are only ever added within a version.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from quire.core.models import Event

VERSION = 1
PING = json.dumps({"v": VERSION, "type": "ping"})
# pydantic's form, as the polling endpoint's response model writes it.
_datetime = TypeAdapter(datetime)


def event_body(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "kind": event.kind,
        "payload": event.payload,
        "created_at": _datetime.dump_python(event.created_at, mode="json"),
    }


def event_message(event: Event) -> str:
    return json.dumps({"v": VERSION, "type": "event", "event": event_body(event)})
