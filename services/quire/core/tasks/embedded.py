"""The embedded runner: without Redis, ``quire serve`` runs the tasks in a thread of its own."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from quire.core.config import Settings
from quire.core.db import Database
from quire.core.storage import Storage
from quire.core.tasks import outbox
from quire.core.tasks.execute import execute

log = logging.getLogger("quire.tasks")


class EmbeddedRunner:
    """Runs due tasks as soon as their transaction commits, and sweeps for the rest.

    Several runners (one per web worker process) may share a database: claiming makes sure
    each task runs once at a time.
    """

    def __init__(self, db: Database, storage: Storage, settings: Settings) -> None:
        self.db = db
        self.storage = storage
        self.settings = settings
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="quire-runner", daemon=True)
        self._pool = ThreadPoolExecutor(
            max_workers=settings.tasks.concurrency, thread_name_prefix="quire-runner"
        )
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
                ran = self._run_due()
            except Exception:
                log.exception("embedded task runner: cannot read the outbox")
                ran = 0
            if not ran:
                self._wake.wait(self.settings.tasks.sweep_interval_seconds)

    def _run_due(self) -> int:
        with self.db.session() as session:
            task_ids = [record.id for record in outbox.due(session, self.settings.tasks)]
        futures = [
            self._pool.submit(execute, self.db, self.storage, self.settings, task_id)
            for task_id in task_ids
            if not self._stop.is_set()
        ]
        for future in futures:
            future.result()
        return len(futures)
