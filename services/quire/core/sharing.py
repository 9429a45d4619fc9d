"""Sharing nodes with users and groups under roles, and taking shares back.

Who may share is the access rule's business: the caller passes each node with the sharer's
``NodeAccess`` on it, and nobody grants or takes back a role that gives more than their own
access (an owner may do anything). Every change queues the nodes, with everything below them,
for the search index and commits with that work: who may find them has changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from quire.core import audit, scopes
from quire.core.access import NodeAccess, NotPermitted
from quire.core.indexing import reindex_later
from quire.core.models import Node, Role, SharedNode, User

# (user id, group id, role id): exactly one of the first two is set.
ShareKey = tuple[uuid.UUID | None, uuid.UUID | None, uuid.UUID]


class SharingError(ValueError):
    """A share that makes no sense (with the node's own owner); the message says why."""


class ShareConflict(RuntimeError):
    """A concurrent request added the same share first; trying again works."""


def _commit(session: Session) -> None:
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise ShareConflict("someone changed these shares at the same moment; try again") from exc


def _key(row: SharedNode) -> ShareKey:
    return (row.user_id, row.group_id, row.role_id)


def _check_grantable(access: NodeAccess, roles: Iterable[Role]) -> None:
    for role in roles:
        if not access.can_grant(role.scopes):
            raise NotPermitted(f"granting or revoking the role {role.name!r}")


def _check_not_owner(node: Node, user_ids: Iterable[uuid.UUID]) -> None:
    # A group's node may be shared with anyone: its user_id names its maker, not its owner.
    if node.group_id is None and node.user_id in set(user_ids):
        raise SharingError(f"{node.title!r} cannot be shared with its own owner")


def _record(session: Session, action: audit.Action, node: Node, keys: list[ShareKey]) -> None:
    """One entry per node whose shares changed, naming the grantees and roles."""
    if keys:
        grants = [
            {"user_id": str(u) if u else None, "group_id": str(g) if g else None, "role_id": str(r)}
            for u, g, r in keys
        ]
        audit.record(session, action, node, grants=grants)


def shares_on(session: Session, node_ids: Iterable[uuid.UUID]) -> list[SharedNode]:
    """The shares made directly on these nodes (not those inherited from folders above)."""
    return list(
        session.scalars(
            select(SharedNode)
            .where(SharedNode.node_id.in_(list(node_ids)))
            .options(
                selectinload(SharedNode.role),
                selectinload(SharedNode.user),
                selectinload(SharedNode.group),
            )
        )
    )


def share(
    session: Session,
    by: User,
    nodes: Sequence[tuple[Node, NodeAccess]],
    roles: Sequence[Role],
    user_ids: Sequence[uuid.UUID],
    group_ids: Sequence[uuid.UUID],
) -> int:
    """Share each node with each user and group under each role, and commit; returns the
    shares added.

    Shares that exist already are left as they are, so sharing twice changes nothing.
    """
    for node, access in nodes:
        _check_not_owner(node, user_ids)
        _check_grantable(access, roles)
    existing = {(row.node_id, *_key(row)) for row in shares_on(session, [n.id for n, _ in nodes])}
    wanted: list[ShareKey] = [(u, None, r.id) for u in user_ids for r in roles]
    wanted += [(None, g, r.id) for g in group_ids for r in roles]
    added = [
        SharedNode(node_id=node.id, user_id=u, group_id=g, role_id=r, created_by_id=by.id)
        for node, _ in nodes
        for (u, g, r) in dict.fromkeys(wanted)
        if (node.id, u, g, r) not in existing
    ]
    session.add_all(added)
    reindex_later(session, {row.node_id for row in added}, descendants=True)
    for node, _ in nodes:
        _record(
            session,
            audit.Action.NODE_SHARE,
            node,
            [_key(row) for row in added if row.node_id == node.id],
        )
    _commit(session)
    return len(added)


def unshare(
    session: Session,
    nodes: Sequence[tuple[Node, NodeAccess]],
    user_ids: Sequence[uuid.UUID],
    group_ids: Sequence[uuid.UUID],
    role_ids: Sequence[uuid.UUID] = (),
) -> int:
    """Take back the shares of these nodes with these users and groups (under these roles, or
    under any role if none are given), and commit; returns how many were taken back."""
    access_of = {node.id: access for node, access in nodes}
    rows = [
        row
        for row in shares_on(session, access_of)
        if (row.user_id in user_ids or row.group_id in group_ids)
        and (not role_ids or row.role_id in role_ids)
    ]
    for row in rows:
        _check_grantable(access_of[row.node_id], [row.role])
    for row in rows:
        session.delete(row)
    reindex_later(session, {row.node_id for row in rows}, descendants=True)
    for node, _ in nodes:
        _record(
            session,
            audit.Action.NODE_UNSHARE,
            node,
            [_key(r) for r in rows if r.node_id == node.id],
        )
    session.commit()
    return len(rows)


def replace_access(
    session: Session,
    by: User,
    node: Node,
    access: NodeAccess,
    users: Mapping[uuid.UUID, Iterable[uuid.UUID]],
    groups: Mapping[uuid.UUID, Iterable[uuid.UUID]],
    roles: Mapping[uuid.UUID, Role],
) -> bool:
    """Make the node's own shares exactly these (user or group id -> role ids); upstream's
    "sync". Commits; returns whether anything changed."""
    _check_not_owner(node, users)
    current = {_key(row): row for row in shares_on(session, [node.id])}
    wanted: set[ShareKey] = {(u, None, r) for u, role_ids in users.items() for r in role_ids}
    wanted |= {(None, g, r) for g, role_ids in groups.items() for r in role_ids}
    removed = [row for key, row in current.items() if key not in wanted]
    added = [key for key in wanted if key not in current]
    _check_grantable(access, [row.role for row in removed] + [roles[r] for _, _, r in added])
    for row in removed:
        session.delete(row)
    session.add_all(
        SharedNode(node_id=node.id, user_id=u, group_id=g, role_id=r, created_by_id=by.id)
        for u, g, r in added
    )
    if removed or added:
        reindex_later(session, [node.id], descendants=True)
    _record(session, audit.Action.NODE_UNSHARE, node, [_key(row) for row in removed])
    _record(session, audit.Action.NODE_SHARE, node, added)
    _commit(session)
    return bool(removed or added)


def role_changed(session: Session, role_id: uuid.UUID, before: set[str], after: set[str]) -> None:
    """A role gained or lost ``node.view`` (or is going away): whoever holds it on a share
    gained or lost sight of those nodes, so the search index must hear of them."""
    if (scopes.NODE_VIEW in before) == (scopes.NODE_VIEW in after):
        return
    node_ids = session.scalars(
        select(SharedNode.node_id).where(SharedNode.role_id == role_id).distinct()
    )
    reindex_later(session, list(node_ids), descendants=True)
