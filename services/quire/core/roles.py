"""Role writes: creating, changing and deleting a role (a named set of permission scopes).

A role that gains or loses ``node.view`` changes who may find the nodes shared under it, so
those writes queue the nodes for the indexer and commit with that work
(``sharing.role_changed``). The API's roles router calls these; the CLI's ``quire users``
commands give roles to users but do not change them.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quire.core.models import Role, RoleScope
from quire.core.sharing import role_changed


class RoleNameTaken(ValueError):
    """Another role has this name (maybe committed just now by a concurrent request)."""


def create_role(session: Session, name: str, scopes: list[str]) -> Role:
    """A new role with these scopes (the caller checked they exist), committed."""
    role = Role(name=name)
    _set_scopes(role, scopes)
    session.add(role)
    _commit_named(session, name)
    return role


def update_role(
    session: Session, role: Role, *, name: str | None = None, scopes: list[str] | None = None
) -> None:
    """Rename the role or replace its scopes, and commit."""
    if scopes is not None:
        role_changed(session, role.id, set(role.scopes), set(scopes))
        _set_scopes(role, scopes)
    # Renamed after role_changed's query: its autoflush would write a name already taken
    # outside _commit_named, an IntegrityError nobody turns into RoleNameTaken.
    if name is not None:
        role.name = name
    _commit_named(session, role.name)


def delete_role(session: Session, role: Role) -> None:
    """Delete the role; the database drops it from its users, groups and shares (ON DELETE
    CASCADE)."""
    role_changed(session, role.id, set(role.scopes), set())
    session.delete(role)
    session.commit()


def _set_scopes(role: Role, names: list[str]) -> None:
    # Rows that stay are kept rather than deleted and re-inserted with the same primary key.
    keep = [row for row in role.scope_rows if row.scope in names]
    kept = {row.scope for row in keep}
    role.scope_rows = keep + [RoleScope(scope=name) for name in names if name not in kept]


def _commit_named(session: Session, name: str) -> None:
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise RoleNameTaken(f"a role named {name!r} already exists") from exc
