"""Periodic tasks: work that no change implies, due every so often (emptying old trash).

Each period has one outbox row with an id derived from the task's name and the period's number
(``uuid5``), added by whichever runner sweeps first (the embedded runner, every dispatcher):
however many processes sweep, a period's task exists once, and the primary key refuses the
others. From there it is an ordinary task: claimed, retried, run again if its runner died.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quire.core.db import utcnow
from quire.core.models import TaskRecord
from quire.core.tasks.outbox import enqueue

_NAMESPACE = uuid.UUID("6f1e3c52-8f6a-4f0e-9a51-2d0c7b1e9a10")


@dataclass(frozen=True)
class Periodic:
    name: str
    # Any queue every deployment serves: the index queue, which search needs anyway.
    queue: str
    every_seconds: int


# Declared here rather than found by importing the task modules: a web process that only
# dispatches (to arq) should not import OCRmyPDF to learn what is periodic.
PERIODIC: tuple[Periodic, ...] = (
    Periodic("empty_trash", "index", 3600),
    Periodic("prune_audit_log", "index", 86400),
    Periodic("prune_events", "index", 3600),
)


def period_task_id(periodic: Periodic, now: datetime) -> uuid.UUID:
    period = int(now.timestamp()) // periodic.every_seconds
    return uuid.uuid5(_NAMESPACE, f"{periodic.name}:{period}")


def schedule_due(session: Session, now: datetime | None = None) -> list[uuid.UUID]:
    """Add this period's row of each periodic task unless it exists; returns those added."""
    now = now or utcnow()
    wanted = {period_task_id(periodic, now): periodic for periodic in PERIODIC}
    present = set(session.scalars(select(TaskRecord.id).where(TaskRecord.id.in_(wanted))))
    added = []
    for task_id, periodic in wanted.items():
        if task_id in present:
            continue
        enqueue(session, periodic.name, {}, queue=periodic.queue, task_id=task_id)
        try:
            session.commit()
        except IntegrityError:  # another process added it a moment ago
            session.rollback()
        else:
            added.append(task_id)
    return added
