"""The embedded runner: without Redis, ``quire serve`` runs the tasks in a thread of its own."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from quire.core.config import Settings
from quire.core.db import Database
from quire.core.storage import Storage
from quire.core.tasks import outbox
from quire.core.tasks.execute import execute
from quire.core.tasks.schedule import schedule_due

log = logging.getLogger("quire.tasks")


class EmbeddedRunner:
    """Runs due tasks as soon as their transaction commits, and sweeps for the rest.

    Several runners (one per web worker process) may share a database: claiming makes sure
    each task runs once at a time. A slot that frees up takes the next due task at once: a
    long task (an OCR) holds its own slot, never the others'.
    """

    def __init__(self, db: Database, storage: Storage, settings: Settings) -> None:
        self.db = db
        self.storage = storage
        self.settings = settings
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="quire-runner", daemon=True)
        self._pool = ThreadPoolExecutor(
            max_workers=settings.tasks.concurrency,
            thread_name_prefix="quire-runner",
            initializer=_yield_to_requests,
        )
        self._in_flight: set[uuid.UUID] = set()
        self._in_flight_lock = threading.Lock()
        self._unsubscribe = outbox.on_enqueued(self._wake.set)

    def start(self) -> None:
        self._thread.start()
        log.info("embedded task runner started")

    def stop(self, timeout: float = 30) -> None:
        """Finish the tasks under way (up to ``timeout``) and take no new ones."""
        self._unsubscribe()
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self._submit_due()
            except Exception:
                log.exception("embedded task runner: cannot read the outbox")
            self._wake.wait(self.settings.tasks.sweep_interval_seconds)

    def _submit_due(self) -> None:
        """Hand due tasks to the free slots; each slot wakes the loop again when it ends."""
        with self._in_flight_lock:
            busy = set(self._in_flight)
        free = self.settings.tasks.concurrency - len(busy)
        if free <= 0:
            return
        with self.db.session() as session:
            schedule_due(session)
            # Handed out but not claimed yet, a task is still due: enough ids to skip those.
            due = outbox.due_ids(session, self.settings.tasks, limit=free + len(busy))
        for task_id in [task_id for task_id in due if task_id not in busy][:free]:
            if self._stop.is_set():
                return
            with self._in_flight_lock:
                self._in_flight.add(task_id)
            self._pool.submit(self._run, task_id)

    def _run(self, task_id: uuid.UUID) -> None:
        try:
            execute(self.db, self.storage, self.settings, task_id)
        except Exception:  # the task's own errors are recorded by execute; not this kind
            log.exception(
                "embedded task runner: cannot run a task", extra={"task_id": str(task_id)}
            )
        finally:
            with self._in_flight_lock:
                self._in_flight.discard(task_id)
            self._wake.set()


# How much nicer than the process the threads that run tasks are (Linux: per thread; the threads
# a task starts, its timeout's helper and a library's workers, inherit it). The ocrmypdf command
# adds its own on top.
TASK_NICENESS = 10


def _yield_to_requests() -> None:
    """Lower this thread's CPU priority: the process's requests come first, the queued work
    takes the CPU they leave (on 2 cores, the previews and index writes of earlier uploads
    took a third of it from the uploads under way). Elsewhere than Linux this would renice the
    whole process."""
    if sys.platform == "linux":
        thread = threading.get_native_id()
        with contextlib.suppress(OSError):
            niceness = os.getpriority(os.PRIO_PROCESS, thread) + TASK_NICENESS
            os.setpriority(os.PRIO_PROCESS, thread, min(niceness, 19))
