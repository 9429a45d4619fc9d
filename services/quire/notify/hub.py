"""The clients connected to this process, and the fan-out of events to them.

Announced ids (``buses.py``) are read from the table in batches, in a thread; each event's
recipients are asked of core once (``event_reading.recipients``: principals), and the clients
are found by principal in a dict, so an event costs the same whether 1 or 1,000 clients are
connected, plus one queue put per client that receives it. The message is serialised once.

Each client has a bounded queue: a client whose queue is full is too slow (its socket's buffers
are full too, since its writer is blocked on them) and is dropped, not allowed to grow this
process's memory; it reconnects with the last id it saw and replays the rest from the table.

Every ``NOTIFY__HEARTBEAT_SECONDS`` the hub re-reads its clients' groups and accounts (one
statement for all of them): a user removed from a group stops hearing of the group's nodes,
and a deactivated or deleted account, or an expired token, is disconnected (1008). Every
``NOTIFY__SWEEP_SECONDS`` it reads the ids of the last minute's events and delivers those no
announcement brought (Redis was down, or the writer had no Redis).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Coroutine, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from quire.core import event_reading
from quire.core.config import NotifySettings
from quire.core.db import Database, chunked, utcnow
from quire.core.models import Event, User
from quire.core.models.users import users_groups
from quire.notify import wire
from quire.notify.identity import Identity

log = logging.getLogger("quire.notify")

# Ids already delivered (or found there at start), so that a sweep and an announcement of the
# same event deliver it once. A minute of events at a busy site is far fewer.
DELIVERED_MEMORY = 100_000
SWEEP_WINDOW = timedelta(seconds=60)
# Close codes: 1008 policy violation (credentials), 1013 "try again later" (too slow).
POLICY_VIOLATION = 1008
TOO_SLOW = 1013

Prepared = tuple[int, str, frozenset[str]]
# The queue's id of a heartbeat (no event has it: ids start at 1).
HEARTBEAT_ID = 0


class Connection:
    """One client: who it is, and its queue of ``(event id, message)`` to send."""

    def __init__(self, identity: Identity, queue_size: int) -> None:
        self.identity = identity
        self.principals = identity.principals
        self.queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue(queue_size)
        # Set when the hub ends the connection: the code and reason to close with.
        self.ended = asyncio.Event()
        self.close_code = 1000
        self.close_reason = ""
        # Ids already sent by the replay, which live delivery may bring again.
        self.replayed: set[int] = set()
        # Nothing sent since the last heartbeat: the next one sends a ping.
        self.idle = True

    def offer(self, event_id: int, message: str) -> None:
        if self.ended.is_set():
            return
        try:
            self.queue.put_nowait((event_id, message))
        except asyncio.QueueFull:
            self.end(TOO_SLOW, "too slow: reconnect with ?after=<last id>")

    def end(self, code: int, reason: str) -> None:
        if not self.ended.is_set():
            self.close_code, self.close_reason = code, reason
            self.ended.set()


class Hub:
    def __init__(self, db: Database, settings: NotifySettings) -> None:
        self.db = db
        self.settings = settings
        self._by_principal: dict[str, set[Connection]] = defaultdict(set)
        self._connections: set[Connection] = set()
        self._announced: asyncio.Queue[list[int]] = asyncio.Queue()
        self._delivered: OrderedDict[int, None] = OrderedDict()
        self._tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- life ---------------------------------------------------------------------------------

    async def start(self, listen: Callable[[Hub], Coroutine[Any, Any, None]]) -> None:
        """Start delivering; ``listen(hub)`` runs beside, calling ``announced`` with new ids."""
        self._loop = asyncio.get_running_loop()
        # What is in the table already was delivered by whoever ran before: not again. A
        # database not there yet must not stop the app that serves this hub from starting;
        # clients skip what they saw already (ids at or below their cursor).
        try:
            self._remember(await asyncio.to_thread(self._recent_ids))
        except SQLAlchemyError as exc:
            log.warning("notify: could not read the recent events", extra={"error": str(exc)})
        for work in (self._deliver(), self._sweep(), self._refresh(), listen(self)):
            self._tasks.append(asyncio.create_task(work))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        for connection in list(self._connections):
            connection.end(1001, "server shutting down")

    @property
    def client_count(self) -> int:
        return len(self._connections)

    def attach(self, connection: Connection) -> None:
        self._connections.add(connection)
        self._index(connection)

    def detach(self, connection: Connection) -> None:
        self._connections.discard(connection)
        self._unindex(connection)

    def _index(self, connection: Connection) -> None:
        for principal in connection.principals:
            self._by_principal[principal].add(connection)

    def _unindex(self, connection: Connection) -> None:
        for principal in connection.principals:
            found = self._by_principal.get(principal)
            if found is not None:
                found.discard(connection)
                if not found:
                    del self._by_principal[principal]

    # --- delivery -----------------------------------------------------------------------------

    def announced(self, ids: list[int]) -> None:
        """New committed events (from this loop's thread)."""
        self._announced.put_nowait(ids)

    def announced_threadsafe(self, ids: list[int]) -> None:
        """``announced`` from any thread (``core.events.local_bus``)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._announced.put_nowait, ids)

    async def _deliver(self) -> None:
        while True:
            ids = await self._announced.get()
            # Whatever else arrived meanwhile goes in the same read.
            while not self._announced.empty():
                ids = ids + self._announced.get_nowait()
            fresh = sorted({i for i in ids if i not in self._delivered})
            if not fresh:
                continue
            if not self._connections:
                # Nobody to tell: not worth a read.
                self._remember(fresh)
                continue
            try:
                prepared = await asyncio.to_thread(self._prepare, fresh)
            except Exception:
                # The database is away: the sweep finds them once it is back.
                log.exception("events could not be read")
                continue
            self._remember(fresh)
            self.fan_out(prepared)

    def _prepare(self, ids: list[int]) -> list[Prepared]:
        prepared: list[Prepared] = []
        with self.db.session() as session:
            for chunk in chunked(ids):
                rows = event_reading.by_ids(session, chunk)
                recipients = event_reading.recipients(session, rows)
                prepared.extend(
                    (row.id, wire.event_message(row), recipients[row.id]) for row in rows
                )
        return prepared

    def fan_out(self, prepared: Iterable[Prepared]) -> None:
        for event_id, message, principals in prepared:
            targets: set[Connection] = set()
            for principal in principals:
                targets.update(self._by_principal.get(principal, ()))
            for connection in targets:
                connection.offer(event_id, message)

    def _remember(self, ids: Iterable[int]) -> None:
        for event_id in ids:
            self._delivered[event_id] = None
        while len(self._delivered) > DELIVERED_MEMORY:
            self._delivered.popitem(last=False)

    # --- the periodic work --------------------------------------------------------------------

    def _recent_ids(self) -> list[int]:
        with self.db.session() as session:
            return list(
                session.scalars(select(Event.id).where(Event.created_at >= utcnow() - SWEEP_WINDOW))
            )

    async def _sweep(self) -> None:
        # Without clients nothing is read; once some come, the first read only notes what is
        # there (the clients replay what they missed; they should not get the last minute's).
        baseline = False
        while True:
            await asyncio.sleep(self.settings.sweep_seconds)
            if not self._connections:
                baseline = True
                continue
            try:
                ids = await asyncio.to_thread(self._recent_ids)
            except Exception:
                log.exception("the sweep could not read the events")
                continue
            missed = [i for i in ids if i not in self._delivered]
            if baseline:
                self._remember(missed)
                baseline = False
            elif missed:
                self.announced(missed)

    async def _refresh(self) -> None:
        """Every heartbeat: a ping to each client that was sent nothing since the last one (one
        timer for all, not one per client and message), then the clients' groups re-read."""
        while True:
            await asyncio.sleep(self.settings.heartbeat_seconds)
            for connection in list(self._connections):
                if connection.idle:
                    connection.offer(HEARTBEAT_ID, wire.PING)
                connection.idle = True
            users = {connection.identity.user_id for connection in self._connections}
            if not users:
                continue
            try:
                current = await asyncio.to_thread(self._principals_of, users)
            except Exception:
                log.exception("the clients' groups could not be read")
                continue
            self.update_principals(users, current)

    def _principals_of(self, user_ids: set[uuid.UUID]) -> dict[uuid.UUID, frozenset[str]]:
        """The active users' principals now; users gone or inactive are left out."""
        found: dict[uuid.UUID, set[str]] = {}
        with self.db.session() as session:
            for chunk in chunked(user_ids):
                active = session.scalars(
                    select(User.id).where(User.id.in_(chunk), User.is_active.is_(True))
                )
                found.update({user_id: {f"u:{user_id}"} for user_id in active})
                memberships = session.execute(
                    select(users_groups.c.user_id, users_groups.c.group_id).where(
                        users_groups.c.user_id.in_(chunk)
                    )
                )
                for user_id, group_id in memberships:
                    if user_id in found:
                        found[user_id].add(f"g:{group_id}")
        return {user_id: frozenset(principals) for user_id, principals in found.items()}

    def update_principals(
        self, asked: set[uuid.UUID], current: dict[uuid.UUID, frozenset[str]]
    ) -> None:
        """``current``: the principals of those of the ``asked`` users still active. A client
        that connected while they were read was not asked about: its handshake just checked it."""
        now = datetime.now(UTC)
        for connection in list(self._connections):
            if connection.identity.user_id not in asked:
                continue
            principals = current.get(connection.identity.user_id)
            if principals is None or connection.identity.expires_at <= now:
                connection.end(POLICY_VIOLATION, "the session has ended")
                self.detach(connection)
            elif principals != connection.principals:
                self._unindex(connection)
                connection.principals = principals
                self._index(connection)

    # --- replay -------------------------------------------------------------------------------

    def replay(self, identity: Identity, after: int) -> list[tuple[int, str]]:
        """The events the client missed after ``after``, oldest first, at most
        ``NOTIFY__REPLAY_LIMIT`` (the oldest of them: the client polls for the rest)."""
        found: list[tuple[int, str]] = []
        with self.db.session() as session:
            user = session.get(User, identity.user_id)
            if user is None:
                return found
            while len(found) < self.settings.replay_limit:
                page = event_reading.visible_after(
                    session, user, after, min(500, self.settings.replay_limit - len(found))
                )
                found.extend((row.id, wire.event_message(row)) for row in page)
                if len(page) < 500:
                    break
                after = page[-1].id
        return found
