"""Tree operations on nodes: creating, renaming, moving and deleting, ancestors and subtrees.

Each write commits the change with its work for the indexer (and, deleting, for the bucket):
the API's node routers, ``quire import`` and ``quire.core.users.delete_user`` call these after
their own access checks. ``delete_nodes`` moves nodes into their owner's trash folder
(``core/trash.py`` restores and empties it); what leaves the trash for good, and a deleted
user's trees, go through ``remove_subtrees``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import PurePosixPath

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quire.core import audit, events, ownership
from quire.core.db import chunked, utcnow
from quire.core.documents import new_document
from quire.core.indexing import reindex_later
from quire.core.mirroring import sync_later
from quire.core.models import Document, DocumentVersion, Folder, Node, Page, User
from quire.core.storage import Storage, docver_key, preview_key, thumbnail_key, words_key
from quire.core.titles import TitleTaken, check_move_titles, check_title_free, free_title

PREVIEW_SIZES = ("sm", "md", "lg", "xl")


class TreeError(ValueError):
    """A tree operation that would break the tree; the message says why."""


class NodeExists(ValueError):
    """A node with the id the caller chose exists already."""


def create_folder(
    session: Session, parent: Folder, title: str, *, node_id: uuid.UUID | None = None
) -> Folder:
    """A folder in ``parent``, committed. It belongs to the parent's owner, whoever makes it:
    each tree has one owner, and the shares of a folder cover everything in it
    (``ownership.new_node_owner``).

    Raises ``NodeExists`` for an id that is taken, ``TitleTaken`` for a title that is."""
    _check_new(session, parent, title, node_id)
    user_id, group_id = ownership.new_node_owner(session, parent)
    folder = Folder(
        id=node_id or uuid.uuid4(),
        title=title,
        user_id=user_id,
        group_id=group_id,
        parent_id=parent.id,
    )
    with _new_node(session, folder.id, title):
        session.add(folder)
        session.flush()
        _commit_new(session, folder)
    return folder


def create_document(
    session: Session,
    parent: Folder,
    title: str,
    *,
    lang: str,
    ocr: bool,
    node_id: uuid.UUID | None = None,
) -> Document:
    """A document without a file yet (upstream's first step), in ``parent``, committed.
    Raises as ``create_folder`` does."""
    _check_new(session, parent, title, node_id)
    document_id = node_id or uuid.uuid4()
    with _new_node(session, document_id, title):
        document = new_document(
            session,
            title=title,
            parent=parent,
            lang=lang,
            ocr=ocr,
            document_id=document_id,
        )
        _commit_new(session, document)
    return document


def _check_new(session: Session, parent: Folder, title: str, node_id: uuid.UUID | None) -> None:
    if node_id is not None and session.get(Node, node_id) is not None:
        raise NodeExists("a node with this id already exists")
    if in_trash(session, parent):
        raise TreeError("the folder is in the trash")
    check_title_free(session, parent.id, title)


def _commit_new(session: Session, node: Node) -> None:
    reindex_later(session, [node.id])
    audit.record(session, audit.Action.NODE_CREATE, node, parent_id=str(node.parent_id))
    events.node_event(session, events.NODE_CREATED, node)
    session.commit()


@contextmanager
def _new_node(session: Session, node_id: uuid.UUID, title: str) -> Iterator[None]:
    """A concurrent request took the id or the title first: the unique keys say so at the
    flush or the commit, and the caller hears which."""
    try:
        yield
    except IntegrityError as exc:
        session.rollback()
        if session.get(Node, node_id) is not None:
            raise NodeExists("a node with this id already exists") from exc
        raise TitleTaken(title) from exc


def _commit_titles(session: Session) -> None:
    """Commit a rename or move; a title taken meanwhile by a concurrent request is refused."""
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise TitleTaken(None) from exc


def update_node(
    session: Session,
    node: Node,
    *,
    title: str | None = None,
    target: Node | None = None,
    by: User | None = None,
) -> None:
    """Rename the node, or move it into ``target`` (as ``by``), or both: committed together, so
    a refused move renames nothing. Raises ``TreeError`` as ``move_nodes`` does, and
    ``TitleTaken`` when the folder it ends in holds its (new) title already."""
    new_title = node.title if title is None else title
    parent_id = node.parent_id if target is None else target.id
    if parent_id is not None:
        check_title_free(session, parent_id, new_title, ignore={node.id})
    if target is not None:
        _place(session, [node], target, by, check_titles=False)
    renamed = new_title != node.title
    if renamed:
        audit.record(session, audit.Action.NODE_UPDATE, node, title=new_title)
    node.title = new_title
    if renamed:
        events.node_event(session, events.NODE_UPDATED, node)
    reindex_later(session, [node.id])
    _commit_titles(session)


def move_nodes(
    session: Session, nodes: list[Node], target: Node, *, by: User | None = None
) -> None:
    """Move the nodes into ``target`` (as ``by``) and commit.

    A node stays in its owner's trees, unless ``by`` owns both it and the target: a member moves
    between their own folders and their groups', and the node, with its whole subtree, becomes
    the target's owner's (``hand_over``). Raises ``TreeError`` for a target that is no folder,
    lies inside a moved folder, or belongs to another owner (a node carried into another tree
    would escape the shares that cover it), and ``TitleTaken`` when a node's title is taken in
    the target (or by another moved node).
    """
    _place(session, nodes, target, by)
    _commit_titles(session)


def _place(
    session: Session,
    nodes: list[Node],
    target: Node,
    by: User | None,
    *,
    check_titles: bool = True,
) -> None:
    for node in nodes:
        if not ownership.same_owner(node, target) and not (
            by is not None
            and ownership.owns(session, by, node)
            and ownership.owns(session, by, target)
        ):
            raise TreeError("nodes can only be moved within the folders of their owner")
    check_move(session, [node.id for node in nodes], target)
    if check_titles:
        check_move_titles(session, nodes, target.id)
    for node in nodes:
        audit.record(
            session, audit.Action.NODE_MOVE, node, from_id=str(node.parent_id), to_id=str(target.id)
        )
        from_id = node.parent_id
        node.parent_id = target.id
        # Moved out of the trash by hand: it is an ordinary node again, not one to empty.
        node.trashed_at = node.trashed_from_id = node.trashed_title = None
        events.node_event(session, events.NODE_MOVED, node, from_id=str(from_id))
    hand_over(session, [node for node in nodes if not ownership.same_owner(node, target)], target)
    # Below a new parent, a node and its subtree have a new path and may have new grantees.
    reindex_later(session, [node.id for node in nodes], descendants=True)


def hand_over(session: Session, nodes: list[Node], target: Node) -> None:
    """Give the nodes, with everything below them, to the owner of ``target``: into a group's
    folder, the group's (their ``user_id`` stays, naming whose they were); into a user's, that
    user's alone. Uncommitted; the caller queues them for the indexer (new principals)."""
    if not nodes:
        return
    if target.group_id is not None:
        values: dict[str, object] = {"group_id": target.group_id}
    else:
        values = {"user_id": target.user_id, "group_id": None}
    for level in subtree_levels(session, [node.id for node in nodes]):
        for chunk in chunked(level):
            session.execute(
                update(Node).where(Node.id.in_(chunk)).values(**values),
                execution_options={"synchronize_session": "fetch"},
            )


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
        children = [
            child
            for chunk in chunked(levels[-1])
            for child in session.scalars(select(Node.id).where(Node.parent_id.in_(chunk)))
        ]
        if not children:
            return levels
        levels.append(children)


def check_move(session: Session, node_ids: list[uuid.UUID], target: Node) -> None:
    if target.ctype != "folder":
        raise TreeError("the target is not a folder")
    chain = ancestors(session, target, include_self=True)
    if {node_id for node_id, _ in chain} & set(node_ids):
        raise TreeError("a folder cannot be moved into itself or one of its subfolders")
    if _is_trash_folder(session, chain[0][0]):
        # Into the trash only by deleting: a node put there otherwise would never be emptied.
        raise TreeError("the target folder is in the trash")


def _is_trash_folder(session: Session, node_id: uuid.UUID) -> bool:
    return ownership.is_trash_folder_id(session, node_id)


def in_trash(session: Session, node: Node) -> bool:
    """Whether the node is a trash folder or lies in one: its path's root is a trash folder."""
    return _is_trash_folder(session, ancestors(session, node, include_self=True)[0][0])


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
        for chunk in chunked(level):
            session.execute(delete(Node).where(Node.id.in_(chunk)))
    return keys


def remove_subtrees(
    session: Session, storage: Storage, root_ids: list[uuid.UUID]
) -> list[PurePosixPath]:
    """Delete the subtrees and queue their work (index, bucket), uncommitted; returns the keys
    whose files go once the caller has committed (``commit_then_discard``)."""
    # Rows, not objects: the statements below delete them behind the ORM's back.
    rows = session.execute(
        select(Node.id, Node.title, Node.parent_id, Node.user_id).where(Node.id.in_(root_ids))
    )
    for node_id, title, parent_id, owner_id in rows:
        audit.record(session, audit.Action.NODE_PURGE, node_id=node_id, node_title=title)
        # Heard of by the viewers of the folder it was in (a trash: its owners).
        events.add(
            session,
            audit.actor_of(session).user_id or owner_id,
            events.NODE_PURGED,
            parent_id,
            {"node_id": str(node_id), "title": title, "parent_id": str(parent_id)},
        )
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
    """Delete the nodes: each goes with everything below it into its owner's trash, committed
    together. Nodes already in the trash are deleted for good (as a desktop's trash does):
    their files, index entries and (with a bucket) objects go, the files after the commit.

    The caller has checked access and that no node is a home, inbox or trash folder.
    """
    wanted = set(node_ids)
    # A node below another one deleted with it goes along inside it, and comes back with it.
    nodes = [
        node
        for node in (session.get_one(Node, node_id) for node_id in node_ids)
        if not {ancestor for ancestor, _ in ancestors(session, node, include_self=False)} & wanted
    ]
    purged = [node.id for node in nodes if in_trash(session, node)]
    trash_nodes(session, [node for node in nodes if node.id not in purged])
    if not purged:
        session.commit()
        return
    session.flush()
    # The statements delete rows behind the ORM's back: objects loaded earlier (the caller's
    # access checks) must not be flushed or refreshed against rows that are gone.
    session.expunge_all()
    keys = remove_subtrees(session, storage, purged)
    commit_then_discard(session, storage, keys)


def trash_nodes(session: Session, nodes: list[Node]) -> None:
    """Move the nodes into their owners' trash folders (a group's node into the group's trash,
    which every member sees), uncommitted: each remembers when, from where and under which
    title (the trash takes ``name (2)`` when it holds ``name``). The nodes are none of home,
    inbox and trash folders, and not in the trash already."""
    now = utcnow()
    for node in nodes:
        trash_id = ownership.special_folder(session, node, "trash_folder_id")
        if trash_id is None:
            raise TreeError("the owner of this node has no trash folder")
        audit.record(session, audit.Action.NODE_DELETE, node, from_id=str(node.parent_id))
        title = node.title
        node.title = free_title(session, trash_id, title)
        node.trashed_at, node.trashed_from_id, node.trashed_title = now, node.parent_id, title
        node.parent_id = trash_id
        # Heard of by whoever saw it in the folder it leaves (its grantees see no trash).
        events.node_event(
            session,
            events.NODE_DELETED,
            node,
            deliver_to=node.trashed_from_id,
            trash_id=str(trash_id),
        )
        # Each in turn, so that the next one's free title sees this one's.
        session.flush()
    # In the trash, a node and its subtree leave search and their grantees' view.
    reindex_later(session, [node.id for node in nodes], descendants=True)


def _file_keys(session: Session, node_ids: list[uuid.UUID]) -> list[PurePosixPath]:
    keys: list[PurePosixPath] = []
    for chunk in chunked(node_ids):
        documents = session.scalars(select(Document.id).where(Document.id.in_(chunk)))
        keys.extend(thumbnail_key(document_id) for document_id in documents)
        versions = session.execute(
            select(DocumentVersion.id, DocumentVersion.file_name).where(
                DocumentVersion.document_id.in_(chunk), DocumentVersion.file_name.is_not(None)
            )
        ).all()
        keys.extend(docver_key(version_id, name) for version_id, name in versions if name)
        keys.extend(words_key(version_id) for version_id, _ in versions)
        page_ids = session.scalars(
            select(Page.id)
            .join(DocumentVersion, Page.document_version_id == DocumentVersion.id)
            .where(DocumentVersion.document_id.in_(chunk))
        )
        keys.extend(preview_key(page_id, size) for page_id in page_ids for size in PREVIEW_SIZES)
    return keys
