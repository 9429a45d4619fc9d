"""Tree operations on nodes: ancestors, subtrees, moving and deleting.

``delete_nodes`` is the one node deletion: the API's ``DELETE /api/nodes/`` and
``quire.core.users.delete_user`` both go through ``remove_subtrees``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from pathlib import PurePosixPath

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from quire.core.indexing import reindex_later
from quire.core.mirroring import sync_later
from quire.core.models import DocumentVersion, Node, Page
from quire.core.storage import Storage, docver_key, preview_key, thumbnail_key, words_key

PREVIEW_SIZES = ("sm", "md", "lg", "xl")


class TreeError(ValueError):
    """A tree operation that would break the tree; the message says why."""


def ancestors(session: Session, node: Node, *, include_self: bool) -> list[tuple[uuid.UUID, str]]:
    """``(id, title)`` from the root down to the node's parent (or the node itself)."""
    chain: list[tuple[uuid.UUID, str]] = [(node.id, node.title)] if include_self else []
    parent_id = node.parent_id
    while parent_id is not None:
        parent = session.get(Node, parent_id)
        if parent is None:
            break
        chain.append((parent.id, parent.title))
        parent_id = parent.parent_id
    chain.reverse()
    return chain


def subtree_levels(session: Session, root_ids: Iterable[uuid.UUID]) -> list[list[uuid.UUID]]:
    """The given nodes, then their children, grandchildren, ... one list per level."""
    levels = [list(root_ids)]
    while True:
        children = list(session.scalars(select(Node.id).where(Node.parent_id.in_(levels[-1]))))
        if not children:
            return levels
        levels.append(children)


def check_move(session: Session, node_ids: list[uuid.UUID], target: Node) -> None:
    if target.ctype != "folder":
        raise TreeError("the target is not a folder")
    ancestry = {node_id for node_id, _ in ancestors(session, target, include_self=True)}
    if ancestry & set(node_ids):
        raise TreeError("a folder cannot be moved into itself or one of its subfolders")


def delete_subtrees(session: Session, root_ids: list[uuid.UUID]) -> list[PurePosixPath]:
    """Delete the nodes and everything below them; returns the file keys to remove after commit.

    Deepest level first, so each statement's cascades stay shallow (MariaDB refuses cascades
    deeper than 15 levels on a self-referencing key). The search index hears of every deleted
    node by id: once they are gone, nobody could find what was below the roots.
    """
    levels = subtree_levels(session, root_ids)
    all_ids = [node_id for level in levels for node_id in level]
    keys = _file_keys(session, all_ids)
    reindex_later(session, all_ids)
    for level in reversed(levels):
        session.execute(delete(Node).where(Node.id.in_(level)))
    return keys


def remove_subtrees(
    session: Session, storage: Storage, root_ids: list[uuid.UUID]
) -> list[PurePosixPath]:
    """Delete the subtrees and queue their work (index, bucket), uncommitted; returns the keys
    whose files go once the caller has committed (``commit_then_discard``)."""
    keys = delete_subtrees(session, root_ids)
    sync_later(session, storage, keys, removed=True)
    return keys


def commit_then_discard(session: Session, storage: Storage, keys: list[PurePosixPath]) -> None:
    """Commit a deletion, then remove its files: rows before deletes. A failed commit leaves
    every document whole (its rows and its files); a crash after it, at worst orphan files."""
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise
    storage.discard(keys)


def delete_nodes(session: Session, storage: Storage, node_ids: list[uuid.UUID]) -> None:
    """Delete the nodes with everything below them, their files, index entries and (with a
    bucket) objects: all committed together, the files removed after the commit.

    The caller has checked access and that no node is a home or inbox folder.
    """
    # The statements delete rows behind the ORM's back: objects loaded earlier (the caller's
    # access checks) must not be flushed or refreshed against rows that are gone.
    session.expunge_all()
    keys = remove_subtrees(session, storage, node_ids)
    commit_then_discard(session, storage, keys)


def _file_keys(session: Session, node_ids: list[uuid.UUID]) -> list[PurePosixPath]:
    keys: list[PurePosixPath] = [thumbnail_key(node_id) for node_id in node_ids]
    versions = session.execute(
        select(DocumentVersion.id, DocumentVersion.file_name).where(
            DocumentVersion.document_id.in_(node_ids), DocumentVersion.file_name.is_not(None)
        )
    ).all()
    keys.extend(docver_key(version_id, name) for version_id, name in versions if name)
    keys.extend(words_key(version_id) for version_id, _ in versions)
    page_ids = session.scalars(
        select(Page.id)
        .join(DocumentVersion, Page.document_version_id == DocumentVersion.id)
        .where(DocumentVersion.document_id.in_(node_ids))
    )
    keys.extend(preview_key(page_id, size) for page_id in page_ids for size in PREVIEW_SIZES)
    return keys
