"""Task functions by name. The same functions run in-process or in ``quire worker``."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from quire.core.config import QUEUES, Settings
from quire.core.db import Database
from quire.core.storage import Storage


@dataclass(frozen=True)
class TaskContext:
    """What a task function gets besides its arguments."""

    db: Database
    storage: Storage
    settings: Settings
    task_id: uuid.UUID
    attempt: int


TaskFunction = Callable[..., None]
# Several runs' arguments -> the calls that do the same work together (see ``task``).
TaskArgsMerge = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


class PermanentFailure(Exception):
    """Raised by a task for an error no retry can fix (a corrupt file): it ends ``failed`` now."""


@dataclass(frozen=True)
class TaskSpec:
    name: str
    queue: str
    function: TaskFunction
    # Runs before it ends failed; None: TASKS__MAX_ATTEMPTS.
    max_attempts: int | None = None
    merge: TaskArgsMerge | None = None


TASKS: dict[str, TaskSpec] = {}
# Every module that defines tasks, imported when a task is first looked up (not at start-up:
# a command that runs no task does not pay for OCRmyPDF or a search engine). Core's own are
# here; a feature package adds its own with ``register_task_module`` at start-up, so core never
# names a package above it.
_TASK_MODULES: list[str] = [
    "quire.core.tasks.builtin",
    "quire.core.previews",
    "quire.core.ocr",
    "quire.core.trash",
    "quire.core.audit",
    "quire.core.event_reading",
]


def register_task_module(module: str) -> None:
    """Have ``load_tasks`` import ``module`` (dotted name), whose ``@task`` functions then
    register themselves. Registering a module again does nothing."""
    if module not in _TASK_MODULES:
        _TASK_MODULES.append(module)


def task_modules() -> tuple[str, ...]:
    return tuple(_TASK_MODULES)


def task(
    name: str,
    queue: str,
    *,
    max_attempts: int | None = None,
    merge: TaskArgsMerge | None = None,
) -> Callable[[TaskFunction], TaskFunction]:
    """Register ``function(ctx, **args)`` as the task ``name`` on ``queue``.

    Tasks must be idempotent: any of them may run more than once (a runner died after doing
    the work but before recording it).

    ``merge``, for a task whose runs cost more apart than together (the index's: a commit of
    the search engine each): the runner that claims one also claims the others of that name
    that are due and have not run yet, and calls the function with what ``merge`` makes of
    all their arguments; their outcome is recorded for each. A retry runs alone, so one run
    that fails cannot keep failing the others.
    """
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")

    def register(function: TaskFunction) -> TaskFunction:
        if name in TASKS:
            raise ValueError(f"task {name!r} is registered twice")
        TASKS[name] = TaskSpec(name, queue, function, max_attempts, merge)
        return function

    return register


def load_tasks() -> dict[str, TaskSpec]:
    """Import every module that defines tasks, so that the registry is complete."""
    for module in task_modules():
        importlib.import_module(module)
    return TASKS


def spec(name: str) -> TaskSpec:
    try:
        return load_tasks()[name]
    except KeyError:
        raise LookupError(
            f"no task named {name!r}; known: {', '.join(sorted(TASKS))} (a feature package's "
            "tasks are known once it is registered at start-up)"
        ) from None
