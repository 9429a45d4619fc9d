"""The one access rule for nodes: who may see a node, and what else they may do with it.

A user may see a node if they own it (alone, or as a member of the group owning it:
``core/ownership.py``), or if it or any folder above it is shared with them or
with a group they belong to, under a role granting ``node.view`` and it is not in its owner's
trash (its path does not run through a trash folder: ``core/trash.py``). What else a grantee
may do is the union of the node scopes of the roles of the shares on the node's path
(``node.update``, ``document.download``, ``shared_node.create``...); an owner may do everything.
Nothing else grants access to a node: not a scope, not being a superuser.

Everything that answers with nodes asks here, so that the API, the search indexer
(``node_principals``) and the search filter (``principals_for_user``) agree. Ancestors come from
one recursive CTE (trees are shallow); an owner's own nodes need no query beyond the node itself
(a group's, one for the user's groups).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import (
    CTE,
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    String,
    bindparam,
    cast,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session, lazyload

from quire.core import ownership, scopes
from quire.core.db import chunked
from quire.core.models import Node, RoleScope, SharedNode, User
from quire.core.models.users import users_groups
from quire.core.nodes import ancestors

NodeT = TypeVar("NodeT", bound=Node)

# The scopes that mean something on a node; a role's other scopes (user.create...) do not.
NODE_PERMS: frozenset[str] = frozenset(
    scope
    for scope in scopes.ALL_SCOPES
    if scope.startswith(("node.", "document.", "page.", "shared_node."))
) | {scopes.TASK_OCR}

# A guard against a corrupt tree with a cycle; real trees are a handful of levels deep.
MAX_DEPTH = 256
_nodes = Node.__table__


class NotVisible(LookupError):
    """The node does not exist, or the user may not see it; callers must answer both alike."""


class NotPermitted(PermissionError):
    """The user sees the node, but their role on it does not allow this."""

    def __init__(self, perm: str) -> None:
        super().__init__(f"your role on this node does not allow {perm}")
        self.perm = perm


@dataclass(frozen=True)
class NodeAccess:
    """What one user may do with one node.

    ``perms`` are a grantee's node scopes (empty for an owner, who may do everything).
    ``root_id`` is, for a grantee, the topmost node they see on the node's path: the share
    they see it through. Nothing above it may be shown to them, not even its id.
    """

    owned: bool
    perms: frozenset[str] = frozenset()
    root_id: uuid.UUID | None = None

    def allows(self, perm: str) -> bool:
        return self.owned or perm in self.perms

    def can_grant(self, role_scopes: Iterable[str]) -> bool:
        """Whether a role may be granted on this node by this user: nobody gives more than
        they have, so a grantee cannot raise anyone's access above their own."""
        return self.owned or (NODE_PERMS & set(role_scopes)) <= self.perms


OWNER = NodeAccess(owned=True)


def grantee_clause(user_id: uuid.UUID | BindParameter[Any]) -> ColumnElement[bool]:
    """Shares whose grantee is the user or one of their groups (membership as it is now)."""
    my_groups = select(users_groups.c.group_id).where(users_groups.c.user_id == user_id)
    return or_(SharedNode.user_id == user_id, SharedNode.group_id.in_(my_groups))


def shared_with(user_id: uuid.UUID) -> Select[uuid.UUID]:
    """Ids of the nodes shared directly with the user or their groups, for viewing; not those
    in their owner's trash (the share stays, for a restore, but shows nothing meanwhile)."""
    shared = (
        select(SharedNode.node_id)
        .join(RoleScope, RoleScope.role_id == SharedNode.role_id)
        .where(RoleScope.scope == scopes.NODE_VIEW, grantee_clause(user_id))
    )
    return shared.where(SharedNode.node_id.not_in(_in_trash(_paths(shared))))


def outside_trash(session: Session, user_id: uuid.UUID) -> ColumnElement[bool]:
    """A WHERE clause on ``Node``: not in a trash the user owns (for listings of their own
    nodes that are not a folder's children). Walks down the trashes: costs what they hold."""
    trashes = ownership.trash_folders(session, user_id) or [uuid.UUID(int=0)]
    top = (
        select(_nodes.c.id, literal_column("0", Integer).label("depth"))
        .where(_nodes.c.id.in_(trashes))
        .cte("trash_tree", recursive=True)
    )
    child = _nodes.alias("trashed_child")
    tree = top.union_all(
        select(child.c.id, top.c.depth + 1).where(
            child.c.parent_id == top.c.id, top.c.depth < MAX_DEPTH
        )
    )
    return Node.id.not_in(select(tree.c.id))


def _in_trash(paths: CTE) -> Select[uuid.UUID]:
    """The origins of these paths that run through a trash folder: nobody's but the owners'."""
    return select(paths.c.origin).where(ownership.is_trash_folder(paths.c.id))


def visible_clause(user_id: uuid.UUID) -> ColumnElement[bool]:
    """A WHERE clause on ``Node`` for the nodes the user may see: their own (or their groups'),
    or below a share.

    For filtering many nodes in one statement (search hits, reports). The shared part walks
    down from each share the user has, so it costs about as much as what is shared with them;
    a single node is cheaper through ``find`` or ``node_access``.
    """
    roots = (
        select(_nodes.c.id, literal_column("0", Integer).label("depth"))
        .where(_nodes.c.id.in_(shared_with(user_id)))
        .cte("shared_trees", recursive=True)
    )
    child = _nodes.alias("child")
    trees = roots.union_all(
        select(child.c.id, roots.c.depth + 1).where(
            child.c.parent_id == roots.c.id, roots.c.depth < MAX_DEPTH
        )
    )
    return or_(ownership.owned_clause(user_id), Node.id.in_(select(trees.c.id)))


def _paths(node_ids: Sequence[uuid.UUID] | Select[uuid.UUID] | BindParameter[Any]) -> CTE:
    """Each node and its ancestors: ``(origin, id, depth)``, depth 0 being the node itself."""
    # 0 is written into the SQL rather than bound: a recursive CTE takes its column types from
    # the anchor, which should not depend on how a driver types a parameter.
    anchor = (
        select(
            _nodes.c.id.label("origin"),
            _nodes.c.id,
            _nodes.c.parent_id,
            literal_column("0", Integer).label("depth"),
        )
        .where(_nodes.c.id.in_(node_ids))
        .cte("node_paths", recursive=True)
    )
    parent = _nodes.alias("parent")
    return anchor.union_all(
        select(anchor.c.origin, parent.c.id, parent.c.parent_id, anchor.c.depth + 1).where(
            parent.c.id == anchor.c.parent_id, anchor.c.depth < MAX_DEPTH
        )
    )


# The statements below walk paths with a recursive CTE whose construction costs more than
# running it (column proxies, aliases): built once, with the ids and the grantee bound.
_ORIGINS: BindParameter[Any] = bindparam("origins", expanding=True)
_GRANTEE: BindParameter[Any] = bindparam("grantee")


@cache
def _granted_statement() -> Select[uuid.UUID, uuid.UUID, int, str]:
    paths = _paths(_ORIGINS)
    return (
        select(paths.c.origin, paths.c.id, paths.c.depth, RoleScope.scope)
        .select_from(paths)
        .join(SharedNode, SharedNode.node_id == paths.c.id)
        .join(RoleScope, RoleScope.role_id == SharedNode.role_id)
        .where(grantee_clause(_GRANTEE), paths.c.origin.not_in(_in_trash(paths)))
    )


@cache
def _trashed_statement() -> Select[uuid.UUID]:
    return _in_trash(_paths(_ORIGINS))


def _granted(
    session: Session, user_id: uuid.UUID, node_ids: list[uuid.UUID]
) -> dict[uuid.UUID, NodeAccess]:
    """A grantee's access to each of these nodes that they may see: none in a trash."""
    rows = session.execute(_granted_statement(), {"origins": node_ids, "grantee": user_id})
    return _grantee_accesses(rows.tuples())


Grant = tuple[uuid.UUID, uuid.UUID, int, str]  # (origin, shared node on its path, depth, scope)


def _grantee_accesses(grants: Iterable[Grant]) -> dict[uuid.UUID, NodeAccess]:
    """Each origin's access from the shares on its path: those its grantee may see (a share
    granting ``node.view``), through the topmost such share."""
    perms: dict[uuid.UUID, set[str]] = defaultdict(set)
    roots: dict[uuid.UUID, tuple[int, uuid.UUID]] = {}
    for origin, node_id, depth, scope in grants:
        perms[origin].add(scope)
        if scope == scopes.NODE_VIEW and depth >= roots.get(origin, (-1, node_id))[0]:
            roots[origin] = (depth, node_id)
    return {
        origin: NodeAccess(owned=False, perms=frozenset(perms[origin] & NODE_PERMS), root_id=root)
        for origin, (_, root) in roots.items()
    }


def node_accesses(
    session: Session, user: User, nodes: Iterable[Node]
) -> dict[uuid.UUID, NodeAccess]:
    """The user's access to each node they may see; the others are left out."""
    return owned_accesses(session, user, ((node.id, node.user_id, node.group_id) for node in nodes))


Owners = Iterable[tuple[uuid.UUID, uuid.UUID | None, uuid.UUID | None]]


def owned_accesses(session: Session, user: User, owners: Owners) -> dict[uuid.UUID, NodeAccess]:
    """``node_accesses`` for nodes given as ``(id, user_id, group_id)``, as a listing reads
    them. Group-owned nodes cost one query for the user's groups; their own, none."""
    result: dict[uuid.UUID, NodeAccess] = {}
    others: list[uuid.UUID] = []
    owners = list(owners)
    groups = _groups_if_needed(session, user.id, owners)
    for node_id, owner_id, group_id in owners:
        if ownership.owned_by(user.id, groups, owner_id, group_id):
            result[node_id] = OWNER
        else:
            others.append(node_id)
    for chunk in chunked(others):
        result.update(_granted(session, user.id, chunk))
    return result


def node_access(session: Session, user: User, node: Node) -> NodeAccess | None:
    """The user's access to the node, or None if they may not see it."""
    return node_accesses(session, user, [node]).get(node.id)


def find(
    session: Session,
    user: User,
    node_id: uuid.UUID,
    kind: type[NodeT],
    perm: str = scopes.NODE_VIEW,
) -> tuple[NodeT, NodeAccess]:
    """The node, if the user may see it and do ``perm`` with it.

    Raises ``NotVisible`` for a node that is missing, of another kind, or not visible, and
    ``NotPermitted`` only for a node the user sees: so a refusal never reveals a node.
    """
    # The tags only where a caller reads them: every request finds a node, few show its tags.
    node = session.get(kind, node_id, options=[lazyload(Node.tags)])
    access = None if node is None else node_access(session, user, node)
    if node is None or access is None:
        raise NotVisible(node_id)
    if not access.allows(perm):
        raise NotPermitted(perm)
    return node, access


@cache
def _owner_statement() -> Select[str, uuid.UUID, uuid.UUID | None]:
    owner = (_nodes.c.ctype, _nodes.c.user_id, _nodes.c.group_id)
    return select(*owner).where(_nodes.c.id == bindparam("node_id"))


def find_access(
    session: Session, user: User, node_id: uuid.UUID, ctype: str, perm: str = scopes.NODE_VIEW
) -> NodeAccess:
    """``find`` for a caller that needs the access, not the node (a folder's listing): one
    row read, no object loaded. Raises as ``find`` does."""
    row = session.execute(_owner_statement(), {"node_id": node_id}).first()
    granted = None
    if row is not None and row.ctype == ctype:
        owner = [(node_id, row.user_id, row.group_id)]
        granted = owned_accesses(session, user, owner).get(node_id)
    if granted is None:
        raise NotVisible(node_id)
    if not granted.allows(perm):
        raise NotPermitted(perm)
    return granted


def visible_ids(session: Session, user: User, node_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Those of the ids that exist and that the user may see."""
    visible: set[uuid.UUID] = set()
    for chunk in chunked(node_ids):
        rows = session.execute(
            select(_nodes.c.id, _nodes.c.user_id, _nodes.c.group_id).where(_nodes.c.id.in_(chunk))
        )
        visible.update(owned_accesses(session, user, [(i, u, g) for i, u, g in rows]))
    return visible


def _groups_if_needed(session: Session, user_id: uuid.UUID, owners: Owners) -> frozenset[uuid.UUID]:
    if any(group_id is not None for _, _, group_id in owners):
        return ownership.group_ids(session, user_id)
    return frozenset()


def access_columns(
    node_ids: BindParameter[Any], grantee: BindParameter[Any]
) -> tuple[ColumnElement[bool], ColumnElement[str | None]]:
    """For a statement that reads ``nodes`` rows among ``node_ids`` anyway: whether each is in
    a trash, and the grantee's shares on its path, as two columns for ``access_from_columns``
    (the round trips of ``trashed_ids`` and ``owned_accesses`` saved)."""
    paths = _paths(node_ids)
    grant = cast(paths.c.depth, String) + " " + cast(paths.c.id, String) + " " + RoleScope.scope
    grants = (
        select(func.aggregate_strings(grant, ","))
        .select_from(paths)
        .join(SharedNode, SharedNode.node_id == paths.c.id)
        .join(RoleScope, RoleScope.role_id == SharedNode.role_id)
        .where(paths.c.origin == _nodes.c.id, grantee_clause(grantee))
        .scalar_subquery()
    )
    return _nodes.c.id.in_(_in_trash(paths)), grants


def access_from_columns(
    user: User,
    groups: frozenset[uuid.UUID],
    node: tuple[uuid.UUID, uuid.UUID | None, uuid.UUID | None],
    in_trash: bool,
    grants: str | None,
) -> NodeAccess | None:
    """The user's access to a node ``(id, user_id, group_id)`` from ``access_columns``, as
    ``owned_accesses`` would answer, except that nothing in a trash is found, not even by its
    owner (search). ``groups``: the user's (``user_group_ids``) if the node is a group's."""
    node_id, owner_id, group_id = node
    if in_trash:
        return None
    if ownership.owned_by(user.id, groups, owner_id, group_id):
        return OWNER
    rows = (grant.split(" ") for grant in (grants or "").split(",") if grant)
    found = _grantee_accesses(
        (node_id, uuid.UUID(shared), int(depth), scope) for depth, shared, scope in rows
    )
    return found.get(node_id)


def user_group_ids(session: Session, user: User) -> frozenset[uuid.UUID]:
    """The user's groups: as loaded with it when a request authenticated it
    (``User.granted_group_ids``), else read now."""
    if user.granted_group_ids is not None:
        return frozenset(uuid.UUID(text) for text in user.granted_group_ids.split())
    return ownership.group_ids(session, user.id)


def trashed_ids(session: Session, node_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Those of the nodes that are in a trash (a trash folder or below one)."""
    found: set[uuid.UUID] = set()
    for chunk in chunked(node_ids):
        found.update(session.scalars(_trashed_statement(), {"origins": chunk}))
    return found


def shared_node_ids(session: Session, node_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Those of the nodes that are themselves shared with someone (upstream's ``is_shared``)."""
    found: set[uuid.UUID] = set()
    for chunk in chunked(node_ids):
        found.update(
            session.scalars(select(SharedNode.node_id).where(SharedNode.node_id.in_(chunk)))
        )
    return found


def breadcrumb(
    session: Session, node: Node, access: NodeAccess, *, include_self: bool
) -> list[tuple[uuid.UUID, str]]:
    """``(id, title)`` from the topmost node the user sees down to the node (or its parent).

    For an owner that is their home or inbox; for a grantee it starts at the share they see the
    node through, so the titles of the owner's folders above it stay unknown to them.
    """
    chain = ancestors(session, node, include_self=True)
    if access.root_id is not None:
        ids = [node_id for node_id, _ in chain]
        chain = chain[ids.index(access.root_id) :] if access.root_id in ids else chain[-1:]
    return chain if include_self else chain[:-1]


# --- for the search index -----------------------------------------------------------------------


def principals_for_user(session: Session, user: User | uuid.UUID) -> list[str]:
    """Who the user counts as for access: ``["u:<user id>", "g:<group id>", ...]``.

    A node is the user's to find if one of these is among ``node_principals`` of that node.
    Read from the database on each call, so a user removed from a group loses its shares at
    once: here, or with the user when a request authenticated it (``User.granted_group_ids``).
    """
    if isinstance(user, User):
        user_id, group_ids = user.id, user_group_ids(session, user)
    else:
        user_id, group_ids = user, ownership.group_ids(session, user)
    return [f"u:{user_id}", *(f"g:{group_id}" for group_id in sorted(group_ids))]


def nodes_principals(session: Session, node_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, set[str]]:
    """``node_principals`` for many nodes at once (missing nodes are left out)."""
    result: dict[uuid.UUID, set[str]] = {}
    for chunk in chunked(node_ids):
        owners = session.execute(
            select(_nodes.c.id, _nodes.c.user_id, _nodes.c.group_id).where(_nodes.c.id.in_(chunk))
        )
        found = {
            node_id: {ownership.principal(owner_id, group_id)}
            for node_id, owner_id, group_id in owners
        }
        if found:
            paths = _paths(list(found))
            grantees = session.execute(
                select(paths.c.origin, SharedNode.user_id, SharedNode.group_id)
                .select_from(paths)
                .join(SharedNode, SharedNode.node_id == paths.c.id)
                .join(RoleScope, RoleScope.role_id == SharedNode.role_id)
                .where(RoleScope.scope == scopes.NODE_VIEW)
                .distinct()
            )
            for origin, user_id, group_id in grantees:
                found[origin].add(f"u:{user_id}" if user_id is not None else f"g:{group_id}")
        result.update(found)
    return result


def node_principals(session: Session, node: Node | uuid.UUID) -> set[str]:
    """Who may see the node: ``{"u:<owner id>", "u:<user id>", "g:<group id>", ...}``.

    The owner (``g:<group>`` for a group-owned node: its members), and every user and group
    the node or one of its ancestors is shared with under a role granting ``node.view``. Empty
    for a node that does not exist (any more).
    """
    node_id = node.id if isinstance(node, Node) else node
    return nodes_principals(session, [node_id]).get(node_id, set())
