"""The outbox table's state machine: enqueue, claim, finish, fail (with retry), sweep."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, event, or_, select, update
from sqlalchemy.orm import Session

from quire.core import events
from quire.core.config import TasksSettings
from quire.core.db import utcnow
from quire.core.models import Node, TaskRecord, TaskState
from quire.core.tasks.registry import spec

_ENQUEUED = "quire.enqueued"
_listeners: list[Callable[[], None]] = []
_listeners_lock = threading.Lock()


def enqueue(
    session: Session,
    name: str,
    args: dict[str, Any] | None = None,
    *,
    user_id: uuid.UUID | None = None,
    queue: str | None = None,
    task_id: uuid.UUID | None = None,
) -> TaskRecord:
    """Record work to do; it exists once (and only if) the caller's transaction commits.
    ``task_id``: a chosen id, for work that must exist once however often it is asked for."""
    record = TaskRecord(
        id=task_id or uuid.uuid4(),
        name=name,
        queue=queue or spec(name).queue,
        args=args or {},
        user_id=user_id,
        created_at=utcnow(),
        available_at=utcnow(),
    )
    session.add(record)
    session.info[_ENQUEUED] = True
    return record


def on_enqueued(callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` after every commit that enqueued work; returns a function to undo it."""
    with _listeners_lock:
        _listeners.append(callback)

    def remove() -> None:
        with _listeners_lock:
            if callback in _listeners:
                _listeners.remove(callback)

    return remove


@event.listens_for(Session, "after_commit")
def _wake_dispatchers(session: Session) -> None:
    if session.info.pop(_ENQUEUED, False):
        with _listeners_lock:
            callbacks = list(_listeners)
        for callback in callbacks:
            callback()


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_ENQUEUED, None)


_PENDING = TaskRecord.state == TaskState.pending.value


def claim(session: Session, task_id: uuid.UUID, lease_seconds: float) -> TaskRecord | None:
    """Take a task to run it: pending, or running under an expired lease (its runner died).

    One conditional UPDATE, so two runners handed the same task cannot both take it.
    """
    now = utcnow()
    expired = (TaskRecord.state == TaskState.running.value) & (TaskRecord.lease_until < now)
    taken = _take(session, task_id, now, lease_seconds, or_(_PENDING, expired))
    session.commit()
    if not taken:
        return None
    return session.get(TaskRecord, task_id, populate_existing=True)


def claim_more(
    session: Session, record: TaskRecord, limit: int, lease_seconds: float
) -> list[TaskRecord]:
    """Take up to ``limit`` more tasks of ``record``'s name, due and never run, to run with it
    (a task that ``merge``s); what another runner took first is skipped."""
    now = utcnow()
    candidates = session.scalars(
        select(TaskRecord.id)
        .where(
            _PENDING,
            TaskRecord.name == record.name,
            TaskRecord.attempts == 0,
            TaskRecord.available_at <= now,
            TaskRecord.id != record.id,
        )
        .order_by(TaskRecord.available_at)
        .limit(limit)
    )
    # Taken in one order by every runner: two that want the same rows never wait on each
    # other's in a cycle (a deadlock, on a server database).
    taken = [
        task_id
        for task_id in sorted(candidates)
        if _take(session, task_id, now, lease_seconds, _PENDING)
    ]
    session.commit()
    if not taken:
        return []
    query = select(TaskRecord).where(TaskRecord.id.in_(taken))
    return list(session.scalars(query.execution_options(populate_existing=True)))


def _take(
    session: Session,
    task_id: uuid.UUID,
    now: datetime,
    lease_seconds: float,
    condition: ColumnElement[bool],
) -> bool:
    result = session.execute(
        update(TaskRecord)
        .where(TaskRecord.id == task_id, condition)
        .values(
            state=TaskState.running.value,
            attempts=TaskRecord.attempts + 1,
            started_at=now,
            lease_until=now + timedelta(seconds=lease_seconds),
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def succeed(session: Session, record: TaskRecord, merged: Sequence[TaskRecord] = ()) -> None:
    for done in (record, *merged):
        done.state = TaskState.succeeded.value
        done.finished_at = utcnow()
        done.lease_until = None
        done.last_error = None
    session.commit()


def fail(
    session: Session,
    record: TaskRecord,
    error: str,
    settings: TasksSettings,
    *,
    permanent: bool = False,
    max_attempts: int | None = None,
) -> None:
    """Record a failed run: retried later with backoff, or ``failed`` for good."""
    record.last_error = error[:4000]
    record.lease_until = None
    record.dispatched_at = None
    if permanent or record.attempts >= (max_attempts or settings.max_attempts):
        record.state = TaskState.failed.value
        record.finished_at = utcnow()
        _announce_failure(session, record)
    else:
        record.state = TaskState.pending.value
        delay = min(
            settings.retry_backoff_seconds * 2 ** min(record.attempts - 1, 30),
            settings.max_retry_delay_seconds,
        )
        record.available_at = utcnow() + timedelta(seconds=delay)
    session.commit()


def _announce_failure(session: Session, record: TaskRecord) -> None:
    """``task.failed`` for the user who asked for the task, or the owner of the document it
    was about; a task of the system's own about no node (a sweep) tells nobody."""
    node_id = _node_of(record.args)
    user_id = record.user_id
    if user_id is None and node_id is not None:
        user_id = session.scalar(select(Node.user_id).where(Node.id == node_id))
    if user_id is None:
        return
    events.publish(
        session,
        user_id,
        events.TASK_FAILED,
        node_id=node_id,
        task=record.name,
        task_id=str(record.id),
        error=record.last_error,
    )


def _node_of(args: dict[str, Any]) -> uuid.UUID | None:
    for key in ("document_id", "node_id"):
        if isinstance(args.get(key), str):
            try:
                return uuid.UUID(args[key])
            except ValueError:
                return None
    return None


def release(session: Session, *task_ids: uuid.UUID) -> None:
    """Give claimed tasks back untouched (the runner is stopping, or a merged run failed and
    is charged to the task it ran for), to run again at once."""
    if not task_ids:
        return
    session.execute(
        update(TaskRecord)
        .where(TaskRecord.id.in_(task_ids), TaskRecord.state == TaskState.running.value)
        .values(
            state=TaskState.pending.value,
            attempts=TaskRecord.attempts - 1,
            lease_until=None,
            dispatched_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()


def retry(session: Session, record: TaskRecord) -> None:
    """Run a failed task again, with a fresh count of attempts."""
    record.state = TaskState.pending.value
    record.attempts = 0
    record.available_at = utcnow()
    record.dispatched_at = None
    record.finished_at = None
    session.commit()


def due(session: Session, settings: TasksSettings, limit: int = 200) -> list[TaskRecord]:
    """Work to hand out now: pending and due, never dispatched or dispatched long ago without
    starting, or running under a lease that expired."""
    query = select(TaskRecord).where(_is_due(settings)).order_by(TaskRecord.available_at)
    return list(session.scalars(query.limit(limit)))


def due_ids(session: Session, settings: TasksSettings, limit: int) -> list[uuid.UUID]:
    """The ids of the first ``limit`` tasks ``due`` would hand out, in the same order.

    For a runner with ``limit`` free slots: it asks at every commit that enqueued and at every
    task's end, so whole rows of a long backlog, loaded each time, would cost it (and the
    requests in its process) more CPU than the tasks it then runs.
    """
    query = select(TaskRecord.id).where(_is_due(settings)).order_by(TaskRecord.available_at)
    return list(session.scalars(query.limit(limit)))


def _is_due(settings: TasksSettings) -> ColumnElement[bool]:
    now = utcnow()
    stale = now - timedelta(seconds=settings.redispatch_after_seconds)
    return or_(
        (TaskRecord.state == TaskState.pending.value)
        & (TaskRecord.available_at <= now)
        & (TaskRecord.dispatched_at.is_(None) | (TaskRecord.dispatched_at < stale)),
        (TaskRecord.state == TaskState.running.value) & (TaskRecord.lease_until < now),
    )


def mark_dispatched(session: Session, task_ids: list[uuid.UUID], at: datetime) -> None:
    if task_ids:
        session.execute(
            update(TaskRecord).where(TaskRecord.id.in_(task_ids)).values(dispatched_at=at)
        )
        session.commit()


def recover_interrupted(session: Session) -> int:
    """At the start of the only process that runs tasks: what was running has no runner."""
    result = session.execute(
        update(TaskRecord)
        .where(TaskRecord.state == TaskState.running.value)
        .values(state=TaskState.pending.value, lease_until=None, dispatched_at=None)
    )
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
