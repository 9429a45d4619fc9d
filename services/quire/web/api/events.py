"""``GET /api/events/``: the events the caller hears of after a cursor, oldest first.

Not in Papermerge 3.5 (its notifications came over a websocket only). A client polls with the
id of the last event it saw (``after``); the websocket (``/ws``, ``quire.notify``) pushes the
same rows to the same people: the caller's own events and those on nodes they may see
(``core/event_reading.py``). Each item is the ``event`` of a websocket message
(``docs/events.md``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from quire.core import event_reading
from quire.web.deps import CurrentUser, DbSession

router = APIRouter(prefix="/events", tags=["events"])
MAX_EVENTS = 500
# The largest id an event can have (a signed 64-bit column on every database): a larger cursor
# cannot even be compared with the ids (SQLite's driver overflowed into a 500).
MAX_EVENT_ID = 2**63 - 1


class EventOut(BaseModel):
    id: int
    kind: str
    payload: dict[str, Any]
    created_at: datetime


@router.get("/")
def list_events(
    user: CurrentUser,
    db: DbSession,
    after: Annotated[
        int, Query(ge=0, le=MAX_EVENT_ID, description="the id of the last event already seen")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_EVENTS)] = 100,
) -> list[EventOut]:
    rows = event_reading.visible_after(db, user, after, limit)
    return [EventOut.model_validate(row, from_attributes=True) for row in rows]
