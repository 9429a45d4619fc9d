"""Creating users (each with a home, an inbox and a trash folder), deleting them with everything
they own, and the superuser from the settings.

A deleted user's own trees go with them; their groups' nodes do not (a group's node is each
member's: ``core/ownership.py``). Those their account made pass to an heir's account
(``user_id``): the user deleting them, else the oldest other superuser, else the oldest other
user. The tags and custom-field values of the deleted account go with it.
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from quire.core import audit
from quire.core.config import AuthSettings
from quire.core.indexing import reindex_later
from quire.core.models import Folder, Node, SharedNode, User
from quire.core.nodes import commit_then_discard, remove_subtrees
from quire.core.security import hash_password, needs_rehash, verify_password
from quire.core.storage import Storage

HOME_TITLE = "home"
INBOX_TITLE = "inbox"
# Like home and inbox a root, so its titles are its own: deleting "report.pdf" from two
# folders keeps both, as "report.pdf" and "report (2).pdf" (core/trash.py).
TRASH_TITLE = "trash"


class UsernameTaken(ValueError):
    pass


class NoHeir(ValueError):
    """The last user's account made group nodes that nobody else's could take over."""


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    is_superuser: bool = False,
    is_active: bool = True,
) -> User:
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UsernameTaken(f"username {username!r} is already taken")
    user = User(
        id=uuid.uuid4(),
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        password=hash_password(password),
        is_superuser=is_superuser,
        is_active=is_active,
    )
    session.add(user)
    session.flush()
    home = Folder(title=HOME_TITLE, user_id=user.id, parent_id=None)
    inbox = Folder(title=INBOX_TITLE, user_id=user.id, parent_id=None)
    trash = Folder(title=TRASH_TITLE, user_id=user.id, parent_id=None)
    session.add_all([home, inbox, trash])
    session.flush()
    user.home_folder_id = home.id
    user.inbox_folder_id = inbox.id
    user.trash_folder_id = trash.id
    session.flush()
    return user


def delete_user(session: Session, storage: Storage, user_id: uuid.UUID) -> None:
    """Delete the user with every node they own, as ``delete_nodes`` deletes nodes: their files
    (versions, thumbnails, previews, word boxes), their index entries and bucket objects, all
    committed with the user's row and removed from disk after the commit.

    Letting the database cascade from the user row would drop the rows alone: the files, the
    index entries and the objects would stay forever, unreachable. The caller has checked
    that this user may be deleted (not oneself, not the last superuser).
    """
    _pass_on_group_nodes(session, user_id)
    roots = _owned_roots(session, user_id)
    # Nodes of others shared with this user: their entries list the user among who may see them.
    shared = session.scalars(select(SharedNode.node_id).where(SharedNode.user_id == user_id))
    shared_ids = set(shared)
    session.expunge_all()
    # Folders point at the user and the user at three folders: cut that cycle first.
    session.execute(
        update(User)
        .where(User.id == user_id)
        .values(home_folder_id=None, inbox_folder_id=None, trash_folder_id=None)
    )
    keys = remove_subtrees(session, storage, roots)
    reindex_later(session, shared_ids, descendants=True)
    # What is left (tags, tokens, shares, custom fields, events, tasks) goes by ON DELETE CASCADE.
    session.execute(delete(User).where(User.id == user_id))
    commit_then_discard(session, storage, keys)


def _owned_roots(session: Session, user_id: uuid.UUID) -> list[uuid.UUID]:
    """The tops of the user's trees: their nodes without a parent of their own (home, inbox,
    trash, and any node whose parent is someone else's, which the access rule never makes)."""
    owned = select(Node.id).where(Node.user_id == user_id, Node.group_id.is_(None))
    query = owned.where(or_(Node.parent_id.is_(None), Node.parent_id.not_in(owned)))
    return list(session.scalars(query))


def _pass_on_group_nodes(session: Session, user_id: uuid.UUID) -> None:
    """The group nodes the user's account made stay their group's, under an heir's account:
    their rows would otherwise go with the user's (``ON DELETE CASCADE``)."""
    made = select(Node.id).where(Node.user_id == user_id, Node.group_id.is_not(None))
    if session.scalar(made.limit(1)) is None:
        return
    heir = _heir(session, user_id)
    if heir is None:
        raise NoHeir("the last user cannot be deleted while groups own what they made")
    session.execute(
        update(Node)
        .where(Node.user_id == user_id, Node.group_id.is_not(None))
        .values(user_id=heir),
        execution_options={"synchronize_session": False},
    )


def _heir(session: Session, user_id: uuid.UUID) -> uuid.UUID | None:
    actor = audit.actor_of(session).user_id
    if actor is not None and actor != user_id:
        return actor
    others = select(User.id).where(User.id != user_id)
    oldest = others.order_by(User.is_superuser.desc(), User.created_at, User.id).limit(1)
    return session.scalar(oldest)


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username))
    if not verify_password(user.password if user else None, password):
        return None
    assert user is not None
    if not user.is_active:
        return None
    if needs_rehash(user.password):
        user.password = hash_password(password)
    return user


def ensure_superuser(session: Session, auth: AuthSettings) -> User | None:
    """Create or update the configured superuser; idempotent, run at every start."""
    if auth.password is None:
        return None
    password = auth.password.get_secret_value()
    user = session.scalar(select(User).where(User.username == auth.username))
    if user is None:
        user = create_user(
            session,
            username=auth.username,
            password=password,
            email=auth.email,
            is_superuser=True,
        )
    else:
        if not verify_password(user.password, password):
            user.password = hash_password(password)
        user.email = auth.email
        user.is_superuser = True
        user.is_active = True
    session.commit()
    return user
