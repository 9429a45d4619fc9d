"""Users an authenticating proxy vouches for (``AUTH__REMOTE``: oauth2-proxy, Authelia, a
Keycloak gateway): found by username, made on first sight, their email and groups kept as the
proxy says.

The web layer decides whether to believe the proxy (``web/trusted_headers.py``: only from
``SECURITY__TRUSTED_PROXIES``); this module only acts on what it was told:

- A username nobody has yet becomes an active, ordinary user with a home and an inbox, like
  any other (``users.create_user``), and a random password nobody knows: they sign in through
  the proxy. A username that exists is that account: the proxy speaks for it.
- ``email``, when the proxy sends one, replaces the stored one.
- ``group_names``, when the proxy sends them, make the user a member of exactly the Quire
  groups of those names (compared ignoring case); names without a group are ignored, nothing
  is created. A group's roles are what give its members scopes, so an administrator maps an
  identity provider's groups to permissions by naming Quire groups alike.

Rows are written only when something changed, so a request through the proxy costs a read.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from quire.core.models import Group, User
from quire.core.users import UsernameTaken, create_user


def proxy_user(
    session: Session,
    username: str,
    *,
    email: str | None = None,
    group_names: list[str] | None = None,
) -> User:
    """The user the proxy names, brought up to date with what it says of them (committed)."""
    user = _find(session, username) or _create(session, username, email or "")
    changed = False
    if email is not None and user.email != email:
        user.email = email
        changed = True
    if group_names is not None:
        wanted = _groups_named(session, group_names)
        if {group.id for group in wanted} != {group.id for group in user.groups}:
            user.groups = wanted
            changed = True
    if changed:
        session.commit()
    return user


def _find(session: Session, username: str) -> User | None:
    query = (
        select(User)
        .where(User.username == username)
        .options(selectinload(User.roles), selectinload(User.groups).selectinload(Group.roles))
    )
    return session.scalar(query)


def _create(session: Session, username: str, email: str) -> User:
    try:
        create_user(session, username=username, password=secrets.token_urlsafe(32), email=email)
        session.commit()
    except (UsernameTaken, IntegrityError):
        # A concurrent first request through the proxy made the same user first.
        session.rollback()
    user = _find(session, username)
    if user is None:  # pragma: no cover - made by one of the two requests, or refused above
        raise LookupError(f"user {username!r} could not be created")
    return user


def _groups_named(session: Session, names: list[str]) -> list[Group]:
    wanted = {name.casefold() for name in names}
    # In Python: SQLite's lower() folds ASCII only.
    return [group for group in session.scalars(select(Group)) if group.name.casefold() in wanted]
