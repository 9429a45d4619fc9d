"""``quire worker`` (serve arq queues) and ``quire tasks`` (see and retry background work)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated

import typer
from rich.table import Table

from quire.cli.common import console, fail, open_database
from quire.core.config import QUEUES, Settings, get_settings
from quire.core.redis_queues import check_health

# The database layer, the task modules and the search engine are imported inside the commands
# that use them: ``quire worker --check``, every health check, needs none of them.

tasks_app = typer.Typer(help="See and retry background work.", invoke_without_command=True)


def worker(
    queues: Annotated[list[str], typer.Argument(help=f"Queues to serve: {', '.join(QUEUES)}.")],
    check: Annotated[
        bool, typer.Option("--check", help="Exit 0 if the queues' workers are alive, else 1.")
    ] = False,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Run background tasks from arq queues on Redis (needs REDIS__URL)."""
    unknown = sorted(set(queues) - set(QUEUES))
    if unknown:
        fail(f"unknown queue(s): {', '.join(unknown)}; the queues are {', '.join(QUEUES)}")
    settings = get_settings()
    if not settings.redis.url:
        fail("REDIS__URL is not set: without Redis, `quire serve` runs the tasks itself")
    if check:
        _check(settings, queues)
    _serve_queues(settings, queues, log_level)


def _check(settings: Settings, queues: list[str]) -> None:
    """Exit 0 if every queue has a live worker, else 1 (a health check's answer)."""
    from redis.exceptions import RedisError

    try:
        health = asyncio.run(check_health(settings, queues))
    except (RedisError, OSError) as exc:
        fail(f"cannot reach Redis: {exc}")
    for queue, record in health.items():
        console.print(f"{queue}: {record or 'no live worker'}")
    raise typer.Exit(0 if all(health.values()) else 1)


def _serve_queues(settings: Settings, queues: list[str], log_level: str) -> None:
    from quire.core.logs import setup_logging
    from quire.core.tasks.distributed import QueueWorkers
    from quire.features import register_features
    from quire.search.indexer import prepare_at_start

    register_features()
    setup_logging(log_level.upper())
    if "index" in queues:
        database = open_database(settings)
        prepare_at_start(database, settings)
        database.dispose()
    asyncio.run(QueueWorkers(settings, queues).run())


@tasks_app.callback()
def list_tasks(
    ctx: typer.Context,
    state: Annotated[
        str | None, typer.Option(help="pending, running, succeeded or failed.")
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 50,
) -> None:
    """Counts per state, and the newest tasks (all of them, or those in STATE)."""
    from sqlalchemy import func, select

    from quire.core.models import TaskRecord, TaskState

    if ctx.invoked_subcommand is not None:
        return
    if state is not None and state not in set(TaskState):
        fail(f"unknown state {state!r}; use one of {', '.join(TaskState)}")
    database = open_database()
    with database.session() as session:
        counts = dict(
            session.execute(select(TaskRecord.state, func.count()).group_by(TaskRecord.state)).all()
        )
        console.print("  ".join(f"{s}: {counts.get(s.value, 0)}" for s in TaskState))
        query = select(TaskRecord).order_by(TaskRecord.created_at.desc()).limit(limit)
        if state:
            query = query.where(TaskRecord.state == state)
        table = Table("id", "task", "queue", "state", "attempts", "created", "last error")
        for record in session.scalars(query):
            table.add_row(
                str(record.id),
                record.name,
                record.queue,
                record.state,
                str(record.attempts),
                record.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                (record.last_error or "")[:60],
            )
    database.dispose()
    console.print(table)


@tasks_app.command("retry")
def retry(
    task_ids: Annotated[list[str] | None, typer.Argument(help="Ids of failed tasks.")] = None,
    all_failed: Annotated[bool, typer.Option("--all-failed", help="Every failed task.")] = False,
) -> None:
    """Run failed tasks again."""
    from sqlalchemy import select

    from quire.core.models import TaskRecord, TaskState
    from quire.core.tasks import outbox

    if not task_ids and not all_failed:
        fail("name task ids, or pass --all-failed")
    database = open_database()
    with database.session() as session:
        query = select(TaskRecord).where(TaskRecord.state == TaskState.failed.value)
        if task_ids:
            try:
                ids = [uuid.UUID(task_id) for task_id in task_ids]
            except ValueError:
                fail("task ids are UUIDs")
            query = query.where(TaskRecord.id.in_(ids))
        records = list(session.scalars(query))
        if task_ids and len(records) != len(task_ids):
            fail("some of these tasks do not exist or have not failed")
        for record in records:
            outbox.retry(session, record)
    database.dispose()
    console.print(f"{len(records)} task(s) will run again")
