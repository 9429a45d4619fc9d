"""The audit log: who did what to which node and when, in the same transaction as the change.

Every write operation of core calls ``record`` before it commits, so an entry exists exactly
when its change was committed: a refused or rolled-back change leaves none, and no change goes
unrecorded. Reading (downloads) and signing in are recorded by the entry points that do them.

Who did it is the session's actor: the web layer names the user a request authenticated
(``set_actor`` in ``web/deps.py``), the CLI the user it acts for. A session without one is the
system itself (background tasks, the scheduled emptying of the trash), recorded as no user.
SQLAlchemy's ``Session.info`` carries it, so the operations keep their signatures and no entry
point can forget to pass it.

Entries older than ``AUDIT__RETENTION_DAYS`` are deleted by ``prune``.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from quire.core.db import utcnow
from quire.core.models import AuditEntry, DocumentVersion, Node, User
from quire.core.tasks.registry import TaskContext, task

_ACTOR = "quire.audit.actor"
PRUNE_TASK = "prune_audit_log"
log = logging.getLogger(__name__)


class Action(StrEnum):
    NODE_CREATE = "node.create"
    NODE_UPDATE = "node.update"
    NODE_MOVE = "node.move"
    # Into the trash; a purge is for good (emptying the trash, or deleting what is in it).
    NODE_DELETE = "node.delete"
    NODE_RESTORE = "node.restore"
    NODE_PURGE = "node.purge"
    NODE_SHARE = "node.share"
    NODE_UNSHARE = "node.unshare"
    DOCUMENT_UPLOAD = "document.upload"
    DOCUMENT_DOWNLOAD = "document.download"
    PAGE_UPDATE = "page.update"
    PAGE_MOVE = "page.move"
    PAGE_EXTRACT = "page.extract"
    # A path template's target was refused (the document stayed); details say why.
    FILING_REFUSED = "document.filing_refused"
    LOGIN = "auth.login"
    LOGIN_FAILED = "auth.login_failed"


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID | None
    username: str | None


SYSTEM = Actor(None, None)


def set_actor(session: Session, user: User | None) -> None:
    """Name who the session's changes are made by (None: the system)."""
    session.info[_ACTOR] = SYSTEM if user is None else Actor(user.id, user.username)


def actor_of(session: Session) -> Actor:
    actor: Actor = session.info.get(_ACTOR, SYSTEM)
    return actor


def record(
    session: Session,
    action: Action,
    node: Node | None = None,
    *,
    node_id: uuid.UUID | None = None,
    node_title: str | None = None,
    actor: Actor | None = None,
    client: str | None = None,
    **details: Any,
) -> None:
    """Add an entry to the session's transaction: it exists once, and only if, it commits.

    The node is given as an object, or by ``node_id`` and ``node_title`` once its row is gone.
    """
    who = actor or actor_of(session)
    session.add(
        AuditEntry(
            created_at=utcnow(),
            user_id=who.user_id,
            username=who.username,
            action=action.value,
            node_id=node_id if node is None else node.id,
            node_title=node_title if node is None else node.title,
            client=client,
            details=details,
        )
    )


def record_download(session: Session, version: DocumentVersion) -> None:
    """A download handed out (the file itself, or a signed URL to it), committed at once."""
    record(session, Action.DOCUMENT_DOWNLOAD, version.document, version=version.number)
    session.commit()


@dataclass(frozen=True)
class Filters:
    user_id: uuid.UUID | None = None
    node_id: uuid.UUID | None = None
    action: Action | None = None
    since: datetime | None = None
    until: datetime | None = None


def entries(filters: Filters) -> Select[AuditEntry]:
    """The entries matching the filters, newest first (a statement, for paging)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if filters.user_id is not None:
        query = query.where(AuditEntry.user_id == filters.user_id)
    if filters.node_id is not None:
        query = query.where(AuditEntry.node_id == filters.node_id)
    if filters.action is not None:
        query = query.where(AuditEntry.action == filters.action.value)
    if filters.since is not None:
        query = query.where(AuditEntry.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEntry.created_at < filters.until)
    return query


def prune(session: Session, retention_days: int, *, now: datetime | None = None) -> int:
    """Delete the entries older than ``retention_days`` and commit; how many went."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    result = session.execute(delete(AuditEntry).where(AuditEntry.created_at < cutoff))
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@task(PRUNE_TASK, queue="index")
def prune_old_entries(ctx: TaskContext) -> None:
    """The daily pruning (``tasks.schedule``); idempotent: a second run finds nothing older."""
    if ctx.settings.audit.retention_days == 0:
        return
    with ctx.db.session() as session:
        pruned = prune(session, ctx.settings.audit.retention_days)
    log.info("audit log pruned", extra={"entries": pruned})
