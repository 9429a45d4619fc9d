"""The trash: restoring deleted nodes, and emptying it (on request, and by a periodic task).

Deleting a node (``nodes.delete_nodes``) moves it into its owner's trash folder, a root beside
home and inbox (a group's node into the group's trash, which is each member's: every member
lists, restores and empties it), remembering when (``trashed_at``), from which folder
(``trashed_from_id``) and under which title (``trashed_title``). Being a folder of its own
keeps the one-title-per-folder rule whole: the title a deleted node leaves behind is free at
once.

In the trash, a node keeps its files and its index entries; the access rule shows it to its
owner only (a path through a trash folder is no grantee's), and the indexer gives its entries
no principal anyone searches with. Files and entries go when the trash is emptied: by the owner
(``empty_trash``) or by the ``empty_trash`` task, which runs every hour (``tasks.schedule``)
and removes what has been there longer than ``MAIN__TRASH_DAYS``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta
from pathlib import PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from quire.core import audit, events, ownership
from quire.core.db import chunked, utcnow
from quire.core.indexing import reindex_later
from quire.core.models import Node, User
from quire.core.nodes import commit_then_discard, in_trash, remove_subtrees
from quire.core.storage import Storage
from quire.core.tasks import TaskContext, enqueue, task
from quire.core.titles import free_title

# Trash items removed per transaction by the periodic task: a crash loses one batch's work.
EMPTY_BATCH = 100
DISCARD_TASK = "discard_files"


class NotInTrash(ValueError):
    """A node given to restore or to empty is not (directly) in the owner's trash."""

    def __init__(self, node_id: uuid.UUID) -> None:
        super().__init__(f"node {node_id} is not in the trash")
        self.node_id = node_id


def trash_items(session: Session, owner: User, node_ids: Iterable[uuid.UUID]) -> list[Node]:
    """The items of these ids in the trashes the owner owns (theirs, their groups'), in order;
    ``NotInTrash`` names the first that is not one (a node inside a trashed folder goes back
    or away with its folder)."""
    trashes = set(ownership.trash_folders(session, owner.id))
    items = []
    for node_id in node_ids:
        node = session.get(Node, node_id)
        if node is None or node.parent_id not in trashes:
            raise NotInTrash(node_id)
        items.append(node)
    return items


def restore_nodes(session: Session, owner: User, node_ids: list[uuid.UUID]) -> list[Node]:
    """Put the trash items back where they came from, under their old titles, and commit.

    A folder that is gone, in the trash itself, or now someone else's, gives way to the node's
    owner's home (a group's node to the group's); a title taken there meanwhile becomes
    ``name (2)`` rather than a refusal (as an import does)."""
    items = trash_items(session, owner, node_ids)
    for node in items:
        parent = session.get(Node, node.trashed_from_id) if node.trashed_from_id else None
        if parent is None or not ownership.same_owner(parent, node) or in_trash(session, parent):
            parent_id = ownership.special_folder(session, node, "home_folder_id")
        else:
            parent_id = parent.id
        assert parent_id is not None
        node.title = free_title(session, parent_id, node.trashed_title or node.title)
        audit.record(session, audit.Action.NODE_RESTORE, node, to_id=str(parent_id))
        node.parent_id = parent_id
        node.trashed_at = node.trashed_from_id = node.trashed_title = None
        events.node_event(session, events.NODE_RESTORED, node)
        # Each in turn, so that the next one's free title sees this one's.
        session.flush()
    reindex_later(session, [node.id for node in items], descendants=True)
    session.commit()
    return items


def empty_trash(
    session: Session, storage: Storage, owner: User, node_ids: list[uuid.UUID] | None
) -> int:
    """Delete these trash items for good (``None``: all of those in the trashes the owner owns,
    their groups' too); returns how many."""
    if node_ids is None:
        # Never "parent_id IS NULL" for a missing trash folder: those are the roots.
        trashes = ownership.trash_folders(session, owner.id)
        ids = [
            node_id
            for chunk in chunked(trashes)
            for node_id in session.scalars(select(Node.id).where(Node.parent_id.in_(chunk)))
        ]
    else:
        ids = [node.id for node in trash_items(session, owner, node_ids)]
    if ids:
        purge(session, storage, ids)
    return len(ids)


def purge(session: Session, storage: Storage, node_ids: list[uuid.UUID]) -> None:
    """Delete the subtrees for good and commit; their files go right after the commit, and
    again by a task committed with the rows, so that a crash in between leaves no orphan."""
    session.expunge_all()
    keys = remove_subtrees(session, storage, node_ids)
    for chunk in chunked(sorted({str(key) for key in keys})):
        enqueue(session, DISCARD_TASK, {"keys": chunk}, queue="index")
    commit_then_discard(session, storage, keys)


@task(DISCARD_TASK, queue="index")
def discard_files(ctx: TaskContext, keys: list[str]) -> None:
    """Remove files of rows deleted for good. Idempotent: a key of a deleted row is never used
    again (keys are made of the ids of versions, documents and pages)."""
    ctx.storage.discard([PurePosixPath(key) for key in keys])


@task("empty_trash", queue="index")
def empty_old_trash(ctx: TaskContext) -> None:
    """Delete for good what has been in any trash longer than ``MAIN__TRASH_DAYS``.

    A batch at a time, each committed: a run that dies part-way has done the batches before,
    and its next run (the same row, once its lease expires) finds only what is left."""
    cutoff = utcnow() - timedelta(days=ctx.settings.main.trash_days)
    while True:
        with ctx.db.session() as session:
            old = list(
                session.scalars(
                    select(Node.id)
                    # Only a trash folder's own items: a restored node has no trashed_at.
                    .where(Node.trashed_at < cutoff, ownership.is_trash_folder(Node.parent_id))
                    .order_by(Node.trashed_at)
                    .limit(EMPTY_BATCH)
                )
            )
            if not old:
                return
            purge(session, ctx.storage, old)
