"""Who hears of an event, and the events a user may read: one rule for the websocket and the
polling endpoint (``GET /api/events/``), so that each delivers what the other would.

A user hears of an event if they made it (``user_id``), or if they may see its node now, by
core's access rule (``core/access.py``): they own it (or their group does), or it lies below a
share with them or one of their groups, outside the owner's trash. Deciding *now*, when the
event is delivered or read, means a revoked share or a group left stops the events at once.

For the fan-out to many sockets the rule is asked once per event, not once per client:
``recipients`` gives the event's principals (``u:<user>``, ``g:<group>``, as the search index
has them), and a client matches if one of its own is among them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from quire.core import access, ownership
from quire.core.db import utcnow
from quire.core.models import Event, Node, User
from quire.core.tasks import TaskContext, task

PRUNE_TASK = "prune_events"
log = logging.getLogger(__name__)


def recipients(session: Session, events: Sequence[Event]) -> dict[int, frozenset[str]]:
    """Each event's principals: its user's, and those who may see its node now. A node in the
    trash is its owner's alone (its grantees see nothing there); a node gone, nobody's more."""
    node_ids = {event.node_id for event in events if event.node_id is not None}
    principals = access.nodes_principals(session, node_ids) if node_ids else {}
    trashed = access.trashed_ids(session, principals) if principals else set()
    if trashed:
        owners = session.execute(
            select(Node.id, Node.user_id, Node.group_id).where(Node.id.in_(trashed))
        )
        for node_id, owner_id, group_id in owners:
            principals[node_id] = {ownership.principal(owner_id, group_id)}
    result = {}
    for event in events:
        found = principals.get(event.node_id, set()) if event.node_id is not None else set()
        result[event.id] = frozenset({f"u:{event.user_id}", *found})
    return result


def visible_after(session: Session, user: User, after: int, limit: int) -> list[Event]:
    """The events the user hears of with ids past ``after``, oldest first: their own, and those
    on nodes they may see now (``access.visible_clause``, which is what ``recipients`` says)."""
    seen_nodes = select(Node.id).where(access.visible_clause(user.id))
    return list(
        session.scalars(
            select(Event)
            .where(Event.id > after, or_(Event.user_id == user.id, Event.node_id.in_(seen_nodes)))
            .order_by(Event.id)
            .limit(limit)
        )
    )


def by_ids(session: Session, ids: Iterable[int]) -> list[Event]:
    """The events with these ids (those that exist), oldest first."""
    return list(session.scalars(select(Event).where(Event.id.in_(list(ids))).order_by(Event.id)))


def prune(session: Session, retention_days: int) -> int:
    """Delete the events older than ``retention_days`` and commit; how many went. A client away
    longer than that misses them (it reloads what it shows, as after a first visit)."""
    cutoff = utcnow() - timedelta(days=retention_days)
    result = session.execute(delete(Event).where(Event.created_at < cutoff))
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@task(PRUNE_TASK, queue="index")
def prune_old_events(ctx: TaskContext) -> None:
    """The hourly pruning (``tasks.schedule``); idempotent: a second run finds nothing older."""
    with ctx.db.session() as session:
        pruned = prune(session, ctx.settings.notify.retention_days)
    if pruned:
        log.info("events pruned", extra={"events": pruned})
