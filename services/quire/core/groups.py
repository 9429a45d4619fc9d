"""Groups: made (with a home, an inbox and a trash when asked), given or relieved of those
folders later, and deleted (API ``/api/groups``).

A group's folders are roots like a user's, with ``group_id`` set: everything in them is the
group's, and every member owns it (``core/ownership.py``). Their ``user_id`` is the account that
asked for them. A group that owns documents cannot be deleted, nor lose its folders, until its
members have moved or deleted what its home and inbox hold: nobody else can see those documents
to decide where they should go. What its trash holds was deleted already and goes with it.
"""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quire.core.models import Folder, Group, Node, Role
from quire.core.nodes import commit_then_discard, remove_subtrees
from quire.core.storage import Storage
from quire.core.users import HOME_TITLE, INBOX_TITLE, TRASH_TITLE

FOLDERS = (
    ("home_folder_id", HOME_TITLE),
    ("inbox_folder_id", INBOX_TITLE),
    ("trash_folder_id", TRASH_TITLE),
)


class GroupNameTaken(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"a group named {name!r} already exists")


class GroupOwnsNodes(ValueError):
    """The group's home or inbox still holds something: its members must move or delete it."""

    def __init__(self, group: Group, count: int) -> None:
        super().__init__(
            f"the group {group.name!r} still owns {count} node(s) in its home and inbox; "
            "its members must move them to their own folders or delete them first"
        )


def create_group(
    session: Session,
    *,
    name: str,
    roles: list[Role],
    with_special_folders: bool,
    by: uuid.UUID,
) -> Group:
    """A group, committed, with its home, inbox and trash if asked (``by``: who asks).
    Raises ``GroupNameTaken``."""
    group = Group(name=name, roles=roles)
    session.add(group)
    _write_name(session, name)
    if with_special_folders:
        add_special_folders(session, group, by)
    _write_name(session, name, commit=True)
    return group


def update_group(
    session: Session,
    storage: Storage,
    group: Group,
    *,
    name: str | None = None,
    roles: list[Role] | None = None,
    special_folders: bool | None = None,
    by: uuid.UUID,
) -> None:
    """Rename the group, set its roles, and with ``special_folders`` give it its folders (those
    missing: asking twice is harmless) or take them away (``GroupOwnsNodes`` while they hold
    anything), committed. Raises ``GroupNameTaken``."""
    if name is not None:
        group.name = name
    if roles is not None:
        group.roles = roles
    _write_name(session, group.name)
    keys: list[PurePosixPath] = []
    if special_folders:
        add_special_folders(session, group, by)
    elif special_folders is False:
        keys = _remove_special_folders(session, storage, group)
    try:
        commit_then_discard(session, storage, keys)
    except IntegrityError as exc:
        raise GroupNameTaken(group.name) from exc


def delete_group(session: Session, storage: Storage, group: Group) -> None:
    """Delete the group with its (empty) folders and its trash, committed; ``GroupOwnsNodes``
    while its home or inbox holds anything. Its memberships, roles and shares go by cascade."""
    keys = _remove_special_folders(session, storage, group)
    session.execute(delete(Group).where(Group.id == group.id))
    commit_then_discard(session, storage, keys)


def add_special_folders(session: Session, group: Group, user_id: uuid.UUID) -> None:
    """Those of the group's home, inbox and trash that it lacks, flushed."""
    session.flush()
    for column, title in FOLDERS:
        if getattr(group, column) is None:
            folder = Folder(title=title, user_id=user_id, group_id=group.id, parent_id=None)
            session.add(folder)
            session.flush()
            setattr(group, column, folder.id)
    session.flush()


def owned_count(session: Session, group: Group) -> int:
    """What the group's home and inbox hold (anything deeper is below one of those)."""
    folders = [group.home_folder_id, group.inbox_folder_id]
    parents = [folder for folder in folders if folder is not None]
    if not parents:
        return 0
    query = select(func.count()).select_from(Node).where(Node.parent_id.in_(parents))
    return session.scalar(query) or 0


def _remove_special_folders(
    session: Session, storage: Storage, group: Group
) -> list[PurePosixPath]:
    count = owned_count(session, group)
    if count:
        raise GroupOwnsNodes(group, count)
    roots = [getattr(group, column) for column, _ in FOLDERS if getattr(group, column)]
    # The group points at its folders and they at the group: cut that cycle first.
    session.execute(
        update(Group)
        .where(Group.id == group.id)
        .values(home_folder_id=None, inbox_folder_id=None, trash_folder_id=None)
    )
    return remove_subtrees(session, storage, roots) if roots else []


def _write_name(session: Session, name: str, *, commit: bool = False) -> None:
    """Flush (or commit) what is pending; a unique-name violation is ``GroupNameTaken``."""
    try:
        if commit:
            session.commit()
        else:
            session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise GroupNameTaken(name) from exc
