"""Tag writes: creating, changing and deleting a tag, and the tags on a node.

Search indexes the names of a node's tags, so each write queues the nodes it changes for the
indexer in its own transaction and commits both together (``reindex_later``). The API's tag and
node routers call these; they check access first.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quire.core import events
from quire.core.indexing import reindex_later
from quire.core.models import Node, Tag, nodes_tags


class TagNameTaken(ValueError):
    """A tag of the same owner is spelled alike (names compare without case, and on MariaDB
    without accents too); the message names it."""


class TagChange(StrEnum):
    """What ``set_node_tags`` does with the names: replace the node's tags, add, or remove."""

    assign = "assign"
    add = "add"
    remove = "remove"


def create_tag(
    session: Session,
    owner_id: uuid.UUID,
    *,
    name: str,
    bg_color: str,
    fg_color: str,
    description: str | None = None,
    pinned: bool = False,
) -> Tag:
    """A new tag of the owner, committed; ``TagNameTaken`` if the name is."""
    tag = Tag(
        user_id=owner_id,
        name=name,
        bg_color=bg_color,
        fg_color=fg_color,
        description=description,
        pinned=pinned,
    )
    session.add(tag)
    _written(session.commit, session, f"you already have a tag named {name!r}")
    return tag


def update_tag(session: Session, tag: Tag, changes: dict[str, object]) -> None:
    """Apply the changes (a None means "unchanged", but for the description) and commit."""
    if changes.get("name") is not None:  # before the rename: the query would flush it too early
        reindex_later(session, tagged(session, tag.id))
    for field, value in changes.items():
        if value is not None or field == "description":
            setattr(tag, field, value)
    _written(session.commit, session, f"you already have a tag named {tag.name!r}")


def delete_tag(session: Session, tag: Tag) -> None:
    """Delete the tag; the database takes it off its nodes (ON DELETE CASCADE)."""
    reindex_later(session, tagged(session, tag.id))
    session.delete(tag)
    session.commit()


def set_node_tags(
    session: Session, node: Node, names: list[str], change: TagChange, *, commit: bool = True
) -> None:
    """Change the node's tags by name (the node owner's tags, created as needed) and commit
    (``commit=False``: flushed only, for a caller changing many nodes in one transaction).

    A grantee tagging a shared node uses (and adds to) the owner's tags, as upstream: the tags
    on a node are its owner's, whoever put them there.
    """
    if change is TagChange.remove:
        drop = {name.lower() for name in names}
        node.tags = [tag for tag in node.tags if tag.name.lower() not in drop]
    else:
        current = list(node.tags) if change is TagChange.add else []
        named = tags_by_name(session, node.user_id, names)
        node.tags = current + [tag for tag in named if tag not in current]
    reindex_later(session, [node.id])
    events.node_event(session, events.NODE_TAGGED, node, tags=[tag.name for tag in node.tags])
    if commit:
        session.commit()
    else:
        session.flush()


def tags_by_name(session: Session, owner_id: uuid.UUID, names: list[str]) -> list[Tag]:
    """The owner's tags with these names, created (and flushed) as needed."""
    # Names compare without case on every backend, as MariaDB's collation does anyway. In
    # Python, not SQL: SQLite's lower() folds ASCII only, so asking it for "ärger" missed the
    # tag "Ärger" and inserted it a second time (a 500 from the unique constraint).
    wanted: dict[str, str] = {}
    for name in names:
        wanted.setdefault(name.lower(), name)
    by_name = {
        tag.name.lower(): tag for tag in session.scalars(select(Tag).where(Tag.user_id == owner_id))
    }
    tags = []
    for key, name in wanted.items():
        tag = by_name.get(key)
        if tag is None:
            tag = Tag(name=name, user_id=owner_id)
            session.add(tag)
        tags.append(tag)
    new = [tag.name for tag in tags if tag not in by_name.values()]
    # MariaDB's collation also ignores accents: "é" is taken where there is an "e".
    _written(
        session.flush,
        session,
        "a tag spelled alike exists already: " + ", ".join(map(repr, new)),
    )
    return tags


def tagged(session: Session, tag_id: uuid.UUID) -> list[uuid.UUID]:
    """The nodes carrying a tag: search must learn when it is renamed or deleted."""
    rows = select(nodes_tags.c.node_id).where(nodes_tags.c.tag_id == tag_id)
    return list(session.scalars(rows))


def _written(write: Callable[[], None], session: Session, conflict: str) -> None:
    """``write`` (the session's commit or flush); a name taken meanwhile, even by a concurrent
    request, is ``TagNameTaken``."""
    try:
        write()
    except IntegrityError as exc:
        session.rollback()
        raise TagNameTaken(conflict) from exc
