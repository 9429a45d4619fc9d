"""Publishing events (``quire.core.models.events``) in the caller's transaction, and announcing
them once it has committed.

Every core operation that changes what a user sees publishes one event per node it changes
(``node_event``), beside its audit entry: the row commits with the change or not at all. After
the commit the new ids are announced, so that the notifications service reads and delivers them
at once: through Redis pub/sub when ``REDIS__URL`` is set (``RedisAnnouncer``, set by each entry
point), else to the listeners in this process (the web app's own ``/ws`` on the embedded
default). An announcement is a hint, not the record: one lost (Redis down, another process
without Redis) delays delivery to the notifications service's next sweep of the table.

The kinds (``docs/events.md`` documents each one's payload): ``node.*`` for the tree,
``document.*``, ``pages.changed``, ``ocr.*``, ``task.failed``.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import event as sa_event
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from quire.core import audit
from quire.core.db import utcnow
from quire.core.models.events import Event

if TYPE_CHECKING:
    from quire.core.config import Settings
    from quire.core.models import Node

NODE_CREATED = "node.created"
NODE_UPDATED = "node.updated"
NODE_MOVED = "node.moved"
NODE_DELETED = "node.deleted"
NODE_RESTORED = "node.restored"
NODE_PURGED = "node.purged"
NODE_TAGGED = "node.tagged"
DOCUMENT_UPLOADED = "document.uploaded"
DOCUMENT_INDEXED = "document.indexed"
PAGES_CHANGED = "pages.changed"
OCR_STARTED = "ocr.started"
OCR_SUCCEEDED = "ocr.succeeded"
OCR_FAILED = "ocr.failed"
TASK_FAILED = "task.failed"
# The path templates worker moved a document, or refused its template's path.
DOCUMENT_FILED = "document.filed"
FILING_REFUSED = "document.filing_refused"

_PENDING = "quire.events.pending"
log = logging.getLogger(__name__)

Announcer = Callable[[list[int]], None]


def publish(
    session: Session,
    user_id: uuid.UUID,
    kind: str,
    *,
    node_id: uuid.UUID | None = None,
    **payload: Any,
) -> None:
    """Record an event for ``user_id`` and for whoever may see ``node_id``; it exists once (and
    only if) the caller's transaction commits, and is announced then."""
    if node_id is not None:
        payload = {"node_id": str(node_id), **payload}
    add(session, user_id, kind, node_id, payload)


def add(
    session: Session,
    user_id: uuid.UUID,
    kind: str,
    deliver_to: uuid.UUID | None,
    payload: dict[str, Any],
) -> None:
    """``publish`` with the payload as it is: for an event whose viewers are another node's."""
    row = Event(
        user_id=user_id, node_id=deliver_to, kind=kind, payload=payload, created_at=utcnow()
    )
    session.add(row)
    session.info.setdefault(_PENDING, []).append(row)


def node_event(
    session: Session,
    kind: str,
    node: Node,
    *,
    deliver_to: uuid.UUID | None = None,
    **payload: Any,
) -> None:
    """The event of an operation on ``node``, by the session's actor (the node's owner for the
    system's work). Its viewers hear of it: those of ``node``, or of ``deliver_to`` for a node
    that leaves their sight (a deletion: the folder it was in)."""
    user_id = audit.actor_of(session).user_id or node.user_id
    about = {
        "node_id": str(node.id),
        "title": node.title,
        "ctype": node.ctype,
        "parent_id": None if node.parent_id is None else str(node.parent_id),
    }
    add(session, user_id, kind, deliver_to or node.id, {**about, **payload})


# --- announcing committed events -----------------------------------------------------------------


class LocalBus:
    """The listeners in this process: the embedded web app's ``/ws`` hub. Called from whatever
    thread committed; each listener hands the ids on to its own event loop."""

    def __init__(self) -> None:
        self._listeners: list[Announcer] = []
        self._lock = threading.Lock()

    def listen(self, listener: Announcer) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def stop() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return stop

    def announce(self, ids: list[int]) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(ids)


local_bus = LocalBus()
_announcer: Announcer = local_bus.announce


def announce_with(announcer: Announcer | None) -> None:
    """Where committed events are announced from now on in this process (None: ``local_bus``)."""
    global _announcer
    _announcer = announcer or local_bus.announce


def announce_for(settings: Settings) -> None:
    """Announce through Redis if the settings have it, else in this process: what each entry
    point (web app, worker, command) does once it has its settings."""
    if settings.redis.url:
        announce_with(RedisAnnouncer(settings.redis.url, settings.main.prefix))
    else:
        announce_with(None)


def channel_name(prefix: str) -> str:
    """The Redis channel of the announcements, with the tenant prefix as the queues take it."""
    return f"{prefix}_quire_events" if prefix else "quire_events"


class RedisAnnouncer:
    """Publishes the ids (``"12,13"``) on the channel. A failure is logged, never raised: the
    change is committed, and the notifications service's sweep finds the events anyway."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self.channel = channel_name(prefix)
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def __call__(self, ids: list[int]) -> None:
        try:
            self._redis.publish(self.channel, ",".join(map(str, ids)))
        except Exception as exc:  # any failure of Redis: the sweep delivers
            log.warning("events not announced (the sweep will deliver them): %s", exc)


@sa_event.listens_for(Session, "after_commit")
def _announce_committed(session: Session) -> None:
    pending: list[Event] | None = session.info.pop(_PENDING, None)
    if pending:
        # The identity, not the attribute: it needs no SQL, whatever the session expires.
        identities = (inspect(row).identity for row in pending)
        ids = [int(identity[0]) for identity in identities if identity]
        if ids:
            _announcer(ids)


@sa_event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)
