"""Durable background work.

A change and the work it implies are committed together: ``enqueue`` adds a row to the
``tasks`` table (the outbox) in the caller's transaction. Then either the embedded runner
(no Redis: ``quire serve`` runs the tasks itself) or the arq dispatcher (``REDIS__URL`` set:
``quire worker`` processes run them) takes it from there. Either way a task runs through
``execute``, which claims the row first, so a task handed out twice still runs once at a time,
and a task whose runner died runs again once its lease expires.
"""

from quire.core.tasks.outbox import enqueue
from quire.core.tasks.registry import PermanentFailure, TaskContext, task

__all__ = ["PermanentFailure", "TaskContext", "enqueue", "task"]
