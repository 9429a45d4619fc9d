"""Background work: what the outbox costs a no-op task, embedded and on arq, beside plain arq.

For each mode and database: N no-op tasks, each enqueued in a transaction of its own, as fast
as one thread can commit them. Figures:
- tasks/s: N / (first commit -> last task finished), from the rows' own timestamps;
- delay: commit -> task started, from the rows' ``created_at`` and ``started_at``.

The baseline, measured in the same run: the same number of no-op jobs enqueued straight into
arq (no database) and run by a plain arq worker process with the same concurrency and arq's
default polling, timed from arq's own job records.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import redis
from arq import create_pool
from arq.connections import ArqRedis
from arq.connections import RedisSettings as ArqRedisSettings
from arq.constants import default_queue_name, result_key_prefix
from arq.jobs import Job
from arq.worker import Worker, func
from sqlalchemy import func as sql_func
from sqlalchemy import select

from benchmarks.server import _free_port, fresh_database, percentile
from quire.core.config import (
    DatabaseSettings,
    MainSettings,
    RedisSettings,
    SecuritySettings,
    Settings,
    TasksSettings,
)
from quire.core.db import Database, utcnow
from quire.core.migrate import upgrade
from quire.core.models import TaskRecord, TaskState
from quire.core.redis_queues import queue_name
from quire.core.storage import LocalStorage
from quire.core.tasks import enqueue
from quire.core.tasks.distributed import Dispatcher
from quire.core.tasks.embedded import EmbeddedRunner
from quire.core.tasks.registry import load_tasks, spec

TASKS = 500
# Tasks one runner or worker runs at once (QUIRE__TASKS__CONCURRENCY), for Quire's modes and
# arq's max_jobs in the baseline alike. 16, not the default 2: an arq worker whose max_jobs
# slots are all busy drops the rest of what it read from the queue and polls again 0.5 s later,
# so a worker whose jobs outlast a few Redis round trips (Quire's: a thread and six statements)
# runs at most max_jobs / 0.5 s; below ~16 that cap, not the outbox, is what would be measured.
# The baseline's no-op jobs never fill their slots, so 16 changes nothing for it; the embedded
# runner's throughput is bound by the GIL, not by its threads.
CONCURRENCY = 16
# Longest a run may take before the benchmark gives up (a stuck runner, a worker that died).
RUN_TIMEOUT_S = 90
WORKER_START_TIMEOUT_S = 60
# How often to look whether everything has finished: only detects the end, which is then
# read from the rows' (or jobs') own timestamps, so it does not limit the figures' precision.
POLL_S = 0.05
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class TaskFigures:
    mode: str
    backend: str
    tasks_per_s: float
    delay_p50_ms: float
    delay_p95_ms: float


@dataclass
class Timing:
    """One task's life: enqueued (just before its commit), started, finished."""

    enqueued: datetime
    started: datetime
    finished: datetime


def _figures(mode: str, backend: str, first_commit: datetime, timings: list[Timing]) -> TaskFigures:
    elapsed = (max(t.finished for t in timings) - first_commit).total_seconds()
    delays = [(t.started - t.enqueued).total_seconds() * 1000 for t in timings]
    return TaskFigures(
        mode=mode,
        backend=backend,
        tasks_per_s=len(timings) / elapsed,
        delay_p50_ms=percentile(delays, 0.5),
        delay_p95_ms=percentile(delays, 0.95),
    )


def _wait_until(done: Callable[[], bool], what: str, timeout: float | None = None) -> None:
    timeout = RUN_TIMEOUT_S if timeout is None else timeout
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(POLL_S)


# --- Quire: the outbox -------------------------------------------------------------------------


def _settings(database_url: str, data_dir: Path, redis_url: str | None = None) -> Settings:
    return Settings(
        main=MainSettings(data_dir=data_dir),
        database=DatabaseSettings(url=database_url),
        redis=RedisSettings(url=redis_url),
        security=SecuritySettings(secret_key="bench-" + "k" * 40),
        tasks=TasksSettings(concurrency=CONCURRENCY),
    )


def _open_database(url: str) -> Database:
    database = Database(url)
    upgrade(database.engine)
    return database


def _enqueue_noops(database: Database, count: int) -> tuple[list[uuid.UUID], datetime]:
    """``count`` noop tasks, a commit each; their ids and the time the first commit returned."""
    ids: list[uuid.UUID] = []
    first_commit: datetime | None = None
    with database.session() as session:
        for _ in range(count):
            ids.append(enqueue(session, "noop").id)
            session.commit()
            first_commit = first_commit or utcnow()
    assert first_commit is not None
    return ids, first_commit


def _all_succeeded(database: Database, ids: list[uuid.UUID]) -> bool:
    with database.session() as session:
        states = dict(
            session.execute(
                select(TaskRecord.state, sql_func.count())
                .where(TaskRecord.id.in_(ids))
                .group_by(TaskRecord.state)
            ).all()
        )
    if states.get(TaskState.failed.value):
        raise RuntimeError(f"{states[TaskState.failed.value]} noop task(s) failed")
    return bool(states.get(TaskState.succeeded.value, 0) == len(ids))


def _timings(database: Database, ids: list[uuid.UUID]) -> list[Timing]:
    """The tasks' timestamps; called once they all succeeded, so none is missing."""
    with database.session() as session:
        records = session.scalars(select(TaskRecord).where(TaskRecord.id.in_(ids))).all()
    timings = []
    for record in records:
        if record.started_at is None or record.finished_at is None:
            raise RuntimeError(f"task {record.id} succeeded without start or finish time")
        timings.append(Timing(record.created_at, record.started_at, record.finished_at))
    return timings


def _measure_outbox(database: Database, mode: str, backend: str) -> TaskFigures:
    # One task first, so that the figures leave out one-time costs: importing the task
    # modules, compiling the statements, opening connections (here and in a worker).
    warm_up, _ = _enqueue_noops(database, 1)
    _wait_until(lambda: _all_succeeded(database, warm_up), "the warm-up task")
    ids, first_commit = _enqueue_noops(database, TASKS)
    _wait_until(lambda: _all_succeeded(database, ids), f"{TASKS} noop tasks ({mode}, {backend})")
    return _figures(mode, backend, first_commit, _timings(database, ids))


def run_embedded(backend: str, workdir: Path) -> TaskFigures:
    """No Redis: an ``EmbeddedRunner`` in this process runs the tasks, as ``quire serve`` does."""
    data_dir = workdir / f"embedded-{backend}"
    with fresh_database(backend, workdir) as url:
        database = _open_database(url)
        settings = _settings(url, data_dir)
        runner = EmbeddedRunner(database, LocalStorage(settings.main.media_path), settings)
        runner.start()
        try:
            return _measure_outbox(database, "embedded", backend)
        finally:
            runner.stop()
            database.dispose()


@contextmanager
def _dispatcher_thread(database: Database, settings: Settings) -> Iterator[None]:
    """A ``Dispatcher`` in a thread with its own event loop, as a web process runs one; the
    commits in this thread wake it through the outbox's after-commit hook."""
    loop = asyncio.new_event_loop()
    dispatcher = loop.create_task(Dispatcher(database, settings).run())
    thread = threading.Thread(target=_run_until_cancelled, args=(loop, dispatcher), daemon=True)
    thread.start()
    try:
        yield
    finally:
        loop.call_soon_threadsafe(dispatcher.cancel)
        thread.join(timeout=30)


def _run_until_cancelled(loop: asyncio.AbstractEventLoop, task: asyncio.Task[None]) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        loop.run_until_complete(task)
    loop.close()


def run_distributed(backend: str, workdir: Path, redis_url: str) -> TaskFigures:
    """With Redis: a ``quire worker previews`` process runs the tasks this process dispatches."""
    data_dir = workdir / f"distributed-{backend}"
    _flush(redis_url)
    with fresh_database(backend, workdir) as url:
        database = _open_database(url)
        settings = _settings(url, data_dir, redis_url)
        env = _clean_env(
            QUIRE__DATABASE__URL=url,
            QUIRE__MAIN__DATA_DIR=str(data_dir),
            QUIRE__REDIS__URL=redis_url,
            QUIRE__SECURITY__SECRET_KEY="bench-" + "k" * 40,
            QUIRE__TASKS__CONCURRENCY=str(CONCURRENCY),
        )
        command = [sys.executable, "-m", "quire", "worker", spec("noop").queue]
        queue = queue_name(settings, spec("noop").queue)
        try:
            with (
                _worker_process(command, env, redis_url, queue, workdir),
                _dispatcher_thread(database, settings),
            ):
                return _measure_outbox(database, "distributed", backend)
        finally:
            database.dispose()


# --- Processes: a private Redis and workers ----------------------------------------------------


def _clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without Quire or Papermerge settings, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUIRE", "PAPERMERGE__"))}
    env.update(settings)
    return env


@contextmanager
def private_redis(workdir: Path) -> Iterator[str]:
    """A throwaway redis-server on a free port, without persistence; yields its URL."""
    port = _free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            *("--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--dir", str(workdir)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_until(lambda: _answers(url), "redis-server to start", timeout=20)
        yield url
    finally:
        _stop(process)


def _answers(url: str) -> bool:
    with contextlib.suppress(redis.ConnectionError), redis.Redis.from_url(url) as client:
        return bool(client.ping())
    return False


def _flush(url: str) -> None:
    with redis.Redis.from_url(url) as client:
        client.flushdb()


def _has_key(url: str, key: str) -> bool:
    with redis.Redis.from_url(url) as client:
        return bool(client.exists(key))


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def _worker_process(
    command: list[str], env: dict[str, str], redis_url: str, queue: str, workdir: Path
) -> Iterator[None]:
    """A worker process, once it serves ``queue`` (arq writes the queue's health key on its
    first poll); its output goes to a log in ``workdir``, shown if it does not start."""
    log_path = workdir / f"worker-{uuid.uuid4().hex[:6]}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for_worker(process, redis_url, queue, log, log_path)
            yield
        finally:
            _stop(process)


def _wait_for_worker(
    process: subprocess.Popen[bytes], redis_url: str, queue: str, log: IO[bytes], log_path: Path
) -> None:
    def ready() -> bool:
        if process.poll() is not None:
            log.flush()
            raise RuntimeError(f"worker exited early:\n{log_path.read_text(errors='replace')}")
        return _has_key(redis_url, queue + ":health-check")

    _wait_until(ready, f"a worker on {queue}", timeout=WORKER_START_TIMEOUT_S)


# --- The baseline: plain arq -------------------------------------------------------------------


async def noop_job(ctx: dict[str, Any]) -> None:
    """The baseline's job: nothing, like the ``noop`` task."""


def serve_arq_baseline() -> None:
    """The baseline's worker process: ``python -c ... <redis url> <max jobs>``. arq's defaults
    otherwise (0.5 s polling), as ``quire worker`` has them."""
    redis_url, max_jobs = sys.argv[1], int(sys.argv[2])
    worker = Worker(
        functions=[func(noop_job, name="noop_job")],
        redis_settings=ArqRedisSettings.from_dsn(redis_url),
        max_jobs=max_jobs,
    )
    worker.run()


async def _finished(pool: ArqRedis, jobs: list[Job]) -> bool:
    return int(await pool.exists(*(result_key_prefix + job.job_id for job in jobs))) == len(jobs)


async def _wait_for_jobs(pool: ArqRedis, jobs: list[Job]) -> None:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while not await _finished(pool, jobs):
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {RUN_TIMEOUT_S} s waiting for the arq jobs")
        await asyncio.sleep(POLL_S)


async def _enqueue_jobs(pool: ArqRedis, count: int) -> tuple[list[Job], datetime]:
    jobs: list[Job] = []
    first_enqueue: datetime | None = None
    for _ in range(count):
        job = await pool.enqueue_job("noop_job")
        assert job is not None  # a fresh random job id is never taken
        jobs.append(job)
        first_enqueue = first_enqueue or utcnow()
    assert first_enqueue is not None
    return jobs, first_enqueue


async def _measure_arq(redis_url: str) -> TaskFigures:
    pool = await create_pool(ArqRedisSettings.from_dsn(redis_url))
    try:
        warm_up, _ = await _enqueue_jobs(pool, 1)
        await _wait_for_jobs(pool, warm_up)
        jobs, first_enqueue = await _enqueue_jobs(pool, TASKS)
        await _wait_for_jobs(pool, jobs)
        timings = []
        for job in jobs:
            info = await job.result_info()
            if info is None or not info.success:
                raise RuntimeError(f"arq job {job.job_id} did not succeed: {info}")
            timings.append(Timing(info.enqueue_time, info.start_time, info.finish_time))
        return _figures("arq only", "-", first_enqueue, timings)
    finally:
        await pool.aclose()


def run_arq_baseline(workdir: Path, redis_url: str) -> TaskFigures:
    _flush(redis_url)
    code = "from benchmarks.tasks import serve_arq_baseline; serve_arq_baseline()"
    command = [sys.executable, "-c", code, redis_url, str(CONCURRENCY)]
    with _worker_process(command, _clean_env(), redis_url, default_queue_name, workdir):
        return asyncio.run(_measure_arq(redis_url))


def run_all(
    backends: list[str], workdir: Path, report: Callable[[str], None]
) -> tuple[list[TaskFigures], TaskFigures]:
    """Every mode on every database, then the arq baseline; everything started is stopped."""
    load_tasks()
    figures = []
    with private_redis(workdir) as redis_url:
        for backend in backends:
            report(f"running tasks benchmark: embedded on {backend} ...")
            figures.append(run_embedded(backend, workdir))
        for backend in backends:
            report(f"running tasks benchmark: distributed on {backend} ...")
            figures.append(run_distributed(backend, workdir, redis_url))
        report("running tasks benchmark: arq baseline ...")
        return figures, run_arq_baseline(workdir, redis_url)
