"""Creating users (each with a home and an inbox folder) and the superuser from the settings."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from quire.core.config import AuthSettings
from quire.core.models import Folder, User
from quire.core.security import hash_password, needs_rehash, verify_password

HOME_TITLE = ".home"
INBOX_TITLE = ".inbox"


class UsernameTaken(ValueError):
    pass


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
    session.add_all([home, inbox])
    session.flush()
    user.home_folder_id = home.id
    user.inbox_folder_id = inbox.id
    session.flush()
    return user


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
