"""The embedded runner: without Redis, ``quire serve`` runs the tasks in a thread of its own."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from quire.core.config import Settings
from quire.core.db import Database
from quire.core.storage import Storage
from quire.core.tasks import outbox
from quire.core.tasks.execute import execute
from quire.core.tasks.schedule import schedule_due

log = logging.getLogger("quire.tasks")


# A task starts once the process has served no request for this long (seconds)...
LULL_SECONDS = 0.02
# ...or has waited this long for such a lull: under steady traffic the work still goes on.
MAX_YIELD_SECONDS = 1.0


class InFlight:
    """The requests a web process is serving: counted on its event loop (one thread), read by
    its runner's threads."""

    def __init__(self) -> None:
        self.count = 0
        self.last_ended = time.monotonic()

    def began(self) -> None:
        self.count += 1

    def ended(self) -> None:
        self.count -= 1
        self.last_ended = time.monotonic()

    def quiet_for(self) -> float:
        """Seconds since the last request ended; 0 while one is under way."""
        return 0.0 if self.count else time.monotonic() - self.last_ended


class EmbeddedRunner:
    """Runs due tasks as soon as their transaction commits, and sweeps for the rest.

    Several runners (one per web worker process) may share a database: claiming makes sure
    each task runs once at a time. A slot that frees up takes the next due task at once: a
    long task (an OCR) holds its own slot, never the others'.

    With ``in_flight``, the process's requests come first: a task starts in a lull between
    them (``LULL_SECONDS`` without one), or after ``MAX_YIELD_SECONDS`` if none comes. The
    tasks' threads share the interpreter with the requests', and a thread's lower OS priority
    does not decide which of them runs Python (the interpreter lock does): during a burst of
    uploads the previews and index writes they queued took half the CPU from the uploads
    still arriving. A burst now queues its work and the work runs after it.
    """

    def __init__(
        self,
        db: Database,
        storage: Storage,
        settings: Settings,
        in_flight: InFlight | None = None,
    ) -> None:
        self.db = db
        self.storage = storage
        self.settings = settings
        self.in_flight = in_flight
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="quire-runner", daemon=True)
        self._pool = ThreadPoolExecutor(
            max_workers=settings.tasks.concurrency,
            thread_name_prefix="quire-runner",
            initializer=_lower_priority,
        )
        self._handed_out: set[uuid.UUID] = set()
        self._handed_out_lock = threading.Lock()
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
        with self._handed_out_lock:
            busy = set(self._handed_out)
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
            with self._handed_out_lock:
                self._handed_out.add(task_id)
            self._pool.submit(self._run, task_id)

    def _run(self, task_id: uuid.UUID) -> None:
        try:
            if self._wait_for_a_lull():
                execute(self.db, self.storage, self.settings, task_id)
        except Exception:  # the task's own errors are recorded by execute; not this kind
            log.exception(
                "embedded task runner: cannot run a task", extra={"task_id": str(task_id)}
            )
        finally:
            with self._handed_out_lock:
                self._handed_out.discard(task_id)
            self._wake.set()

    def _wait_for_a_lull(self) -> bool:
        """False if the runner is stopping meanwhile (the task, not claimed, stays due)."""
        if self.in_flight is None:
            return True
        deadline = time.monotonic() + MAX_YIELD_SECONDS
        while self.in_flight.quiet_for() < LULL_SECONDS and time.monotonic() < deadline:
            if self._stop.wait(LULL_SECONDS / 2):
                return False
        return not self._stop.is_set()


# How much nicer than the process the threads that run tasks are (Linux: per thread; the threads
# a task starts, its timeout's helper and a library's workers, inherit it). The ocrmypdf command
# adds its own on top.
TASK_NICENESS = 10


def _lower_priority() -> None:
    """Lower this thread's CPU priority: other processes' requests (the other web workers') and
    the database's work come first. Within the process the interpreter lock decides instead,
    hence ``EmbeddedRunner``'s lulls. Elsewhere than Linux this would renice the whole process."""
    if sys.platform == "linux":
        thread = threading.get_native_id()
        with contextlib.suppress(OSError):
            niceness = os.getpriority(os.PRIO_PROCESS, thread) + TASK_NICENESS
            os.setpriority(os.PRIO_PROCESS, thread, min(niceness, 19))
