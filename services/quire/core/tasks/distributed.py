"""With Redis: the dispatcher hands outbox rows to arq queues; ``quire worker`` runs them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from arq import create_pool
from arq.connections import ArqRedis
from arq.worker import Worker, func
from redis.exceptions import RedisError

from quire.core import events
from quire.core.config import Settings
from quire.core.db import Database, utcnow
from quire.core.redis_queues import queue_name, redis_settings
from quire.core.storage import Storage, open_storage
from quire.core.tasks import outbox
from quire.core.tasks.execute import execute
from quire.core.tasks.schedule import schedule_due

log = logging.getLogger("quire.tasks")

HEALTH_CHECK_INTERVAL = 10


def _nothing() -> None:
    pass


class Dispatcher:
    """Moves due outbox rows onto their arq queues; runs in every web and worker process.

    The arq job id is the task id plus its attempt number, so handing a row out twice (two
    dispatchers, or a sweep that found it not yet started) queues it once.
    """

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._pool: ArqRedis | None = None
        self._wake = asyncio.Event()
        self._unsubscribe: Callable[[], None] = _nothing

    async def run(self) -> None:
        loop = asyncio.get_running_loop()

        def wake() -> None:
            loop.call_soon_threadsafe(self._wake.set)

        self._unsubscribe = outbox.on_enqueued(wake)
        try:
            while True:
                try:
                    await self.dispatch_due()
                except (TimeoutError, RedisError, OSError) as exc:
                    log.warning("cannot reach Redis; will retry", extra={"error": str(exc)})
                    await self._close_pool()
                except Exception:
                    log.exception("dispatcher error; will retry")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._wake.wait(), self.settings.tasks.sweep_interval_seconds
                    )
                self._wake.clear()
        finally:
            self._unsubscribe()
            await self._close_pool()

    async def dispatch_due(self) -> int:
        records = await asyncio.to_thread(self._due)
        if not records:
            return 0
        pool = await self._connect()
        dispatched = []
        for task_id, queue, attempts in records:
            await pool.enqueue_job(
                "run_task",
                str(task_id),
                _job_id=f"{task_id}:{attempts}",
                _queue_name=queue_name(self.settings, queue),
            )
            dispatched.append(task_id)
        await asyncio.to_thread(self._mark, dispatched)
        return len(dispatched)

    def _due(self) -> list[tuple[uuid.UUID, str, int]]:
        with self.db.session() as session:
            schedule_due(session)
            return [(r.id, r.queue, r.attempts) for r in outbox.due(session, self.settings.tasks)]

    def _mark(self, task_ids: list[uuid.UUID]) -> None:
        with self.db.session() as session:
            outbox.mark_dispatched(session, task_ids, utcnow())

    async def _connect(self) -> ArqRedis:
        if self._pool is None:
            self._pool = await create_pool(redis_settings(self.settings))
        return self._pool

    async def _close_pool(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            with contextlib.suppress(RedisError, OSError):
                await pool.aclose()


async def run_task(ctx: dict[str, Any], task_id: str) -> str:
    """The one arq job function: everything else is in the outbox row."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        ctx["executor"], execute, ctx["db"], ctx["storage"], ctx["settings"], uuid.UUID(task_id)
    )


def make_worker(
    settings: Settings, db: Database, storage: Storage, executor: Executor, queue: str
) -> Worker:
    timeout = settings.tasks.timeout(queue)
    return Worker(
        functions=[func(run_task, name="run_task")],
        queue_name=queue_name(settings, queue),
        redis_settings=redis_settings(settings),
        ctx={"db": db, "storage": storage, "settings": settings, "executor": executor},
        # A worker takes no more jobs than it runs, so that idle workers on other hosts get
        # the rest; it looks for new ones often, since arq waits a whole poll once it is full.
        max_jobs=settings.tasks.concurrency,
        poll_delay=0.1,
        # execute() enforces the queue's timeout itself; arq's is a backstop. A job whose
        # worker died is also re-run by the dispatcher once the outbox lease expires.
        job_timeout=timeout + 2,
        # Retries are the outbox's business; arq only re-runs jobs of workers that died.
        max_tries=1000,
        handle_signals=False,
        job_completion_wait=timeout,
        health_check_interval=HEALTH_CHECK_INTERVAL,
    )


class QueueWorkers:
    """``quire worker``: arq workers for some queues and a dispatcher, in one event loop.

    A worker that loses Redis is started again once Redis answers; SIGTERM lets the jobs under
    way finish (up to the queue's timeout) before the process exits.
    """

    def __init__(self, settings: Settings, queues: list[str]) -> None:
        self.settings = settings
        self.queues = queues
        self.db = Database(settings.database_url, pool_size=settings.database.pool_size)
        # The events the tasks publish (OCR finished...) reach the notifications service.
        events.announce_for(settings)
        self.storage = open_storage(settings)
        # Tasks are synchronous; they run here, not in asyncio's small default pool.
        self.executor = ThreadPoolExecutor(
            max_workers=settings.tasks.concurrency * len(queues), thread_name_prefix="quire-task"
        )
        self.workers: dict[str, Worker] = {}
        self.stopping = False

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.stop, signum)
        swept = await asyncio.to_thread(self.storage.sweep_scratch)
        dispatcher = asyncio.create_task(Dispatcher(self.db, self.settings).run())
        log.info("worker started", extra={"queues": self.queues, "swept_scratch": swept})
        try:
            await asyncio.gather(*(self._serve(queue) for queue in self.queues))
        finally:
            dispatcher.cancel()
            self.executor.shutdown(wait=True)
            self.db.dispose()

    def stop(self, signum: int) -> None:
        log.info("stopping: finishing the jobs under way", extra={"signal": signum})
        self.stopping = True
        for worker in self.workers.values():
            worker.handle_sig_wait_for_completion(signal.Signals(signum))

    async def _serve(self, queue: str) -> None:
        while not self.stopping:
            worker = make_worker(self.settings, self.db, self.storage, self.executor, queue)
            self.workers[queue] = worker
            try:
                await worker.async_run()
            except asyncio.CancelledError:
                # arq ends a graceful stop by cancelling its own main task.
                if not self.stopping:
                    raise
            except (TimeoutError, RedisError, OSError) as exc:
                log.warning("lost Redis; reconnecting", extra={"queue": queue, "error": str(exc)})
                await asyncio.sleep(1)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await worker.close()
