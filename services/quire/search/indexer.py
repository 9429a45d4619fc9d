"""The indexer: keeps the search engine in step with the database.

- the ``index`` task (queued by ``quire.core.indexing.reindex_later`` with every change) reads
  the nodes as they are now and writes them, or removes them (and what was below them) if they
  are gone; so a late, repeated or reordered task leaves the index right;
- ``rebuild`` writes every node in batches of ``SEARCH__BATCH_SIZE``, each read in its own
  session so memory stays flat, keyed by node id so that an interrupted run resumes after the
  last batch it wrote;
- ``check`` compares each node's fingerprint in the index with the database, and ``repair``
  rewrites what differs.
- ``prepare`` makes the schema when a process starts; a new or changed schema queues a rebuild.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quire.core import events
from quire.core.config import Settings
from quire.core.db import Database
from quire.core.models import Node
from quire.core.tasks import TaskContext, enqueue, task
from quire.search import model
from quire.search.backend import SearchBackend
from quire.search.engines import engine_for

log = logging.getLogger("quire.search")

REBUILD_TASK = "reindex"


def merge_index_runs(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Index runs merged: their nodes written together (one commit of the engine instead of
    one each), those whose descendants go too apart from the others."""
    asked: dict[bool, set[str]] = {False: set(), True: set()}
    for args in runs:
        asked[bool(args.get("descendants", False))].update(args["node_ids"])
    return [
        {"node_ids": sorted(ids), "descendants": descendants}
        for descendants, ids in asked.items()
        if ids
    ]


@task("index", queue="index", merge=merge_index_runs)
def index_nodes(ctx: TaskContext, node_ids: list[str], descendants: bool = False) -> None:
    """Write the nodes (and with ``descendants`` everything below them) as they are now."""
    backend = engine_for(ctx.settings)
    ids = [uuid.UUID(node_id) for node_id in node_ids]
    asked = set(ids)
    with ctx.db.session() as session:
        if descendants:
            ids = model.with_descendants(session, ids)
        for start in range(0, len(ids), ctx.settings.search.batch_size):
            chunk = ids[start : start + ctx.settings.search.batch_size]
            nodes = model.load(session, chunk)
            present = {node.id for node in nodes}
            backend.write(nodes, [node_id for node_id in chunk if node_id not in present])
            _announce_indexed(session, [node for node in nodes if node.id in asked])
            session.expunge_all()


def _announce_indexed(session: Session, nodes: list[model.IndexedNode]) -> None:
    """``document.indexed`` for the documents the task was asked for (not every one below a
    moved folder: that would be an event per document of a whole tree)."""
    for node in nodes:
        if node.ctype == "document":
            events.add(
                session,
                node.owner_id,
                events.DOCUMENT_INDEXED,
                node.id,
                {"node_id": str(node.id), "title": node.title, "ctype": node.ctype},
            )
    session.commit()


@task(REBUILD_TASK, queue="index")
def rebuild_index(ctx: TaskContext) -> None:
    """The whole index from the database (after a schema change, or asked for)."""
    rebuild(ctx.db, engine_for(ctx.settings), ctx.settings.search.batch_size)


def prepare(db: Database, backend: SearchBackend) -> None:
    """Make the schema; if it was new or changed and there are nodes, queue a rebuild."""
    if backend.ensure_schema():
        prepare_rebuild(db)


def prepare_at_start(db: Database, settings: Settings) -> None:
    """``prepare`` for a starting web process or index worker. A search engine that is down is
    no reason not to start: uploads go on and the index catches up through the outbox."""
    try:
        prepare(db, engine_for(settings))
    except Exception:
        log.exception("the search engine is not ready; search answers 503 until it is")


def prepare_rebuild(db: Database) -> None:
    """Queue a rebuild through the outbox, unless there is nothing to index."""
    with db.session() as session:
        if session.scalar(
            select(func.count()).select_from(Node).where(Node.parent_id.is_not(None))
        ):
            enqueue(session, REBUILD_TASK)
            session.commit()
            log.info("search schema created or changed: the index will be rebuilt")


def node_id_batches(
    db: Database, batch_size: int, after: uuid.UUID | None = None
) -> Iterator[list[uuid.UUID]]:
    """Every node id in order, in batches, starting after ``after`` (keyset pagination)."""
    while True:
        with db.session() as session:
            query = select(Node.id).order_by(Node.id).limit(batch_size)
            if after is not None:
                query = query.where(Node.id > after)
            batch = list(session.scalars(query))
        if not batch:
            return
        yield batch
        after = batch[-1]


def count_nodes(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Node)) or 0


def rebuild(
    db: Database,
    backend: SearchBackend,
    batch_size: int,
    *,
    after: uuid.UUID | None = None,
    progress: Callable[[list[uuid.UUID]], None] | None = None,
    checkpoint: Callable[[uuid.UUID], None] | None = None,
) -> int:
    """Write every node (after ``after``, to resume); returns how many were written.

    ``progress`` hears of each batch read; ``checkpoint`` of the last node id of what is
    durable in the index, whence a later run may resume.
    """
    written = 0
    with backend.bulk() as sink:
        for batch in node_id_batches(db, batch_size, after):
            with db.session() as session:
                nodes = model.load(session, batch)
            durable = sink.add(nodes)
            written += len(nodes)
            if progress is not None:
                progress(batch)
            if durable and checkpoint is not None:
                checkpoint(batch[-1])
    return written


@dataclass
class Drift:
    missing: list[uuid.UUID] = field(default_factory=list)
    stale: list[uuid.UUID] = field(default_factory=list)
    orphaned: list[uuid.UUID] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.missing) + len(self.stale) + len(self.orphaned)


def check(
    db: Database,
    backend: SearchBackend,
    batch_size: int,
    *,
    repair: bool = False,
    progress: Callable[[Sequence[uuid.UUID]], None] | None = None,
) -> Drift:
    """What differs between the database and the index; with ``repair``, fix it."""
    indexed = dict(backend.fingerprints())
    drift = Drift()
    for batch in node_id_batches(db, batch_size):
        with db.session() as session:
            nodes = model.load(session, batch)
        wrong = []
        for node in nodes:
            fingerprint = indexed.pop(node.id, None)
            if fingerprint != node.fingerprint:
                (drift.missing if fingerprint is None else drift.stale).append(node.id)
                wrong.append(node)
        if repair and wrong:
            backend.write(wrong, [])
        if progress is not None:
            progress(batch)
    drift.orphaned = sorted(indexed)
    if repair and drift.orphaned:
        backend.write([], drift.orphaned)
    return drift
