"""Running one task: claim it, call its function, record the outcome."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quire.core.config import Settings
from quire.core.db import Database
from quire.core.models import TaskRecord
from quire.core.storage import Storage
from quire.core.tasks import outbox
from quire.core.tasks.registry import PermanentFailure, TaskContext, TaskFunction, spec

log = logging.getLogger("quire.tasks")


# Tasks of a merging kind (``task(merge=...)``) claimed by one run at most, with its own.
MERGED_RUNS = 100


def execute(db: Database, storage: Storage, settings: Settings, task_id: uuid.UUID) -> str:
    """Run the task if it can be claimed; returns the state it ended in, or "not claimed".

    The lease is the queue's timeout: a run that overstays it counts as failed, and a runner
    that died is replaced once it has passed.
    """
    with db.session() as session:
        queue = session.scalar(select(TaskRecord.queue).where(TaskRecord.id == task_id))
        timeout = settings.tasks.timeout(queue or "")
        record = outbox.claim(session, task_id, lease_seconds=timeout)
        if record is None:
            return "not claimed"
        limit = _max_attempts(record.name, settings)
        if record.attempts > limit:
            # Every earlier run ended without recording anything: its process died (killed,
            # out of memory) or hung past the lease. Running it again would do the same.
            record.attempts -= 1
            error = (
                f"its runner stopped without an outcome in each of its {limit} attempts "
                "(killed, out of memory, or stuck past its lease)"
            )
            outbox.fail(session, record, error, settings.tasks, permanent=True)
            log.warning("task failed", extra={"task_id": str(record.id), "error": error})
            return record.state
        context = TaskContext(
            db=db, storage=storage, settings=settings, task_id=record.id, attempt=record.attempts
        )
        return _run(session, context, record, timeout)


def _run(session: Session, context: TaskContext, record: TaskRecord, timeout: float) -> str:
    """Call the claimed task's function (with the runs merged into it) and record the outcome."""
    fields = {"task_id": str(record.id), "task": record.name, "attempt": record.attempts}
    started = time.perf_counter()
    max_attempts = None
    merged: list[TaskRecord] = []
    try:
        task = spec(record.name)
        max_attempts = task.max_attempts
        calls = [dict(record.args)]
        if task.merge is not None and record.attempts == 1:
            merged = outbox.claim_more(session, record, MERGED_RUNS, lease_seconds=timeout)
            if merged:
                calls = task.merge([dict(run.args) for run in (record, *merged)])
        _call_with_timeout(lambda: _call_each(task.function, context, calls), timeout)
    except Exception as exc:
        session.rollback()  # what a failed statement of the claim left open
        # The failure is this task's; the runs merged into it go back to run again.
        outbox.release(session, *(run.id for run in merged))
        error = f"{type(exc).__name__}: {exc}"
        permanent = isinstance(exc, PermanentFailure)
        outbox.fail(
            session,
            record,
            error,
            context.settings.tasks,
            permanent=permanent,
            max_attempts=max_attempts,
        )
        log.warning("task failed", extra={**fields, "state": record.state, "error": error})
        return record.state
    outbox.succeed(session, record, merged)
    seconds = round(time.perf_counter() - started, 3)
    log.info("task done", extra={**fields, "seconds": seconds, "merged": len(merged)})
    return record.state


def _call_each(function: TaskFunction, context: TaskContext, calls: list[dict[str, Any]]) -> None:
    for args in calls:
        function(context, **args)


def _max_attempts(name: str, settings: Settings) -> int:
    try:
        return spec(name).max_attempts or settings.tasks.max_attempts
    except LookupError:  # recorded as a failure by the run itself
        return settings.tasks.max_attempts


def _call_with_timeout(call: Callable[[], None], timeout: float) -> None:
    """Run ``call`` in a helper thread and stop waiting after ``timeout`` seconds.

    A thread cannot be killed: an overrunning call goes on in the background, which is safe
    because tasks are idempotent and its outcome is no longer recorded.
    """
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="quire-task")
    future = pool.submit(call)
    try:
        future.result(timeout=timeout)
    except FutureTimeout:
        raise TimeoutError(f"the task took longer than {timeout:.0f} s") from None
    finally:
        pool.shutdown(wait=False)
