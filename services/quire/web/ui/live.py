"""Live updates: where a page's event stream starts.

A page is rendered with the id of the newest event its user had then (``events_after``, in a
``<meta>`` of ``base.html``); ``static/js/live.js`` asks for what comes after it: from the
notifications service's WebSocket (``/ws?after=``) when one is deployed, else by polling
``GET /api/events/?after=``. So an event that happened before the page was drawn (which the page
already shows) is not replayed, and none that happens after is missed.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from quire.core.models import Event, User


@cache
def _newest_statement() -> Select[int]:
    # One index lookup on ix_events_user_id (user_id, id).
    return select(func.max(Event.id)).where(Event.user_id == bindparam("user_id"))


def newest_event_id(db: Session, user: User) -> int:
    """The id of the user's newest event, 0 if they have none."""
    newest: int | None = db.execute(_newest_statement(), {"user_id": user.id}).scalar()
    return newest or 0
