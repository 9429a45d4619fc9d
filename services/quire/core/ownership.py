"""Who owns a node: one user, or one group whose members all own it. Decided here, nowhere else.

A node with ``group_id`` set belongs to that group: each member is its owner, through the access
rule (``core/access.py``), search (the principal ``g:<group>``) and the group's trash, and a
member removed from the group loses it at the next request. Its ``user_id`` then grants nothing:
it names the account that made it or brought it in (attribution; the tags and document types it
uses are that account's, and so are its OCR events). A node without ``group_id`` belongs to
``user_id``.

Ownership follows the tree, whoever acts: what is created, uploaded or moved into a folder takes
that folder's owner, a moved node with its whole subtree (``nodes.move_nodes``). So everything
in a group's home or inbox is the group's, and what a member moves from there into their own home
is theirs again.
"""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from quire.core import audit
from quire.core.models import Group, Node, User
from quire.core.models.users import users_groups

SpecialFolder = Literal["home_folder_id", "inbox_folder_id", "trash_folder_id"]


def member_groups(user_id: uuid.UUID) -> Select[tuple[uuid.UUID]]:
    """The ids of the user's groups (membership as it is now), as a subquery."""
    return select(users_groups.c.group_id).where(users_groups.c.user_id == user_id)


def group_ids(session: Session, user_id: uuid.UUID) -> frozenset[uuid.UUID]:
    """The ids of the user's groups, read now: one query."""
    return frozenset(session.scalars(member_groups(user_id)))


def owned_by(
    user_id: uuid.UUID,
    groups: frozenset[uuid.UUID],
    owner_user_id: uuid.UUID | None,
    owner_group_id: uuid.UUID | None,
) -> bool:
    """Whether a node of these owner columns is owned by the user, a member of ``groups``."""
    if owner_group_id is not None:
        return owner_group_id in groups
    return owner_user_id == user_id


def owns(session: Session, user: User, node: Node) -> bool:
    """Whether the user owns the node (alone, or as a member of the group that owns it)."""
    if node.group_id is None:
        return node.user_id == user.id
    return node.group_id in group_ids(session, user.id)


def owned_clause(user_id: uuid.UUID) -> ColumnElement[bool]:
    """A WHERE clause on ``Node``: the nodes the user owns."""
    return or_(
        and_(Node.group_id.is_(None), Node.user_id == user_id),
        Node.group_id.in_(member_groups(user_id)),
    )


def not_owned_clause(user_id: uuid.UUID) -> ColumnElement[bool]:
    """A WHERE clause on ``Node``: the nodes the user does not own (``owned_clause``'s
    negation, written out: NOT of a NULL group's ``IN`` would be NULL, not true)."""
    return or_(
        and_(Node.group_id.is_(None), Node.user_id != user_id),
        and_(Node.group_id.is_not(None), Node.group_id.not_in(member_groups(user_id))),
    )


def same_owner(node: Node, other: Node) -> bool:
    if node.group_id is not None or other.group_id is not None:
        return node.group_id == other.group_id
    return node.user_id == other.user_id


def principal(owner_user_id: uuid.UUID, owner_group_id: uuid.UUID | None) -> str:
    """The search principal of a node's owner: its members search with ``g:<group>``."""
    return f"g:{owner_group_id}" if owner_group_id is not None else f"u:{owner_user_id}"


def new_node_owner(session: Session, parent: Node) -> tuple[uuid.UUID, uuid.UUID | None]:
    """``(user_id, group_id)`` of a node made in ``parent``: the parent's owner. In a group's
    folder, ``user_id`` is the account acting (the session's actor), else the parent's."""
    if parent.group_id is None:
        return parent.user_id, None
    return audit.actor_of(session).user_id or parent.user_id, parent.group_id


def special_folder(session: Session, node: Node, which: SpecialFolder) -> uuid.UUID | None:
    """The home, inbox or trash folder of the node's owner (a group's, or a user's)."""
    if node.group_id is not None:
        return session.scalar(select(getattr(Group, which)).where(Group.id == node.group_id))
    return session.scalar(select(getattr(User, which)).where(User.id == node.user_id))


def trash_folders(session: Session, user_id: uuid.UUID) -> list[uuid.UUID]:
    """The trash folders the user owns: their own, and those of their groups."""
    own = select(User.trash_folder_id).where(User.id == user_id)
    groups = select(Group.trash_folder_id).where(Group.id.in_(member_groups(user_id)))
    return [folder for folder in session.scalars(own.union_all(groups)) if folder is not None]


def is_trash_folder(
    node_id: ColumnElement[uuid.UUID] | InstrumentedAttribute[uuid.UUID | None],
) -> ColumnElement[bool]:
    """A clause: this id is a trash folder (a user's or a group's)."""
    return or_(
        select(User.id).where(User.trash_folder_id == node_id).exists(),
        select(Group.id).where(Group.trash_folder_id == node_id).exists(),
    )


def is_trash_folder_id(session: Session, node_id: uuid.UUID) -> bool:
    user = select(User.id).where(User.trash_folder_id == node_id)
    group = select(Group.id).where(Group.trash_folder_id == node_id)
    return session.scalar(user.union_all(group).limit(1)) is not None
