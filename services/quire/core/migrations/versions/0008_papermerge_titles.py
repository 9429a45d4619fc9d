"""upstream's titles: home and inbox folders named ``home``/``inbox``, one title per folder

Revision ID: 0008
Revises: 0007
Create Date: 2027-01-12 10:00:00.000000

Papermerge 3.5 names each user's special folders ``home`` and ``inbox`` (Quire named them
``.home`` and ``.inbox``) and refuses a second node of the same title in a folder. Existing
trees are made to fit: the roots are renamed, and where a folder holds several nodes of one
title the oldest keeps it and the others become ``title (2)``, ``title (3)``... (a document's
extension stays last: ``scan (2).pdf``). The renamed nodes are queued for the search indexer in
the same transaction. Titles then compare byte for byte on MariaDB too (a binary, no-pad
collation on ``nodes.title``), as they do on SQLite and PostgreSQL, and a unique index on
``(parent_id, title)`` keeps the rule. Downgrading gives the roots their old names back; the
numbered titles stay.
"""

import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MARIADB_TITLE = mysql.VARCHAR(255, charset="utf8mb4", collation="utf8mb4_nopad_bin")
ROOT_TITLES = {".home": "home", ".inbox": "inbox"}
MAX_TITLE = 255
# The indexer's task, as core.indexing queues it; ids in batches of this many.
INDEX_BATCH = 500

nodes = sa.table(
    "nodes",
    sa.column("id", sa.Uuid()),
    sa.column("parent_id", sa.Uuid()),
    sa.column("title", sa.String()),
    sa.column("ctype", sa.String()),
    sa.column("created_at", sa.DateTime()),
)
tasks = sa.table(
    "tasks",
    sa.column("id", sa.Uuid()),
    sa.column("name", sa.String()),
    sa.column("queue", sa.String()),
    sa.column("args", sa.JSON()),
    sa.column("state", sa.String()),
    sa.column("attempts", sa.Integer()),
    sa.column("created_at", sa.DateTime()),
    sa.column("available_at", sa.DateTime()),
)


def _is_mariadb() -> bool:
    return op.get_bind().dialect.name in {"mysql", "mariadb"}


def upgrade() -> None:
    if _is_mariadb():
        # First, so that the duplicates below are found exactly as the index will compare.
        op.alter_column(
            "nodes",
            "title",
            existing_type=sa.String(255),
            type_=MARIADB_TITLE,
            existing_nullable=False,
        )
    renamed = _rename_roots(ROOT_TITLES) + _number_duplicates()
    _reindex_later(renamed)
    op.create_index("uq_nodes_parent_title", "nodes", ["parent_id", "title"], unique=True)
    op.drop_index("ix_nodes_parent_title", table_name="nodes")


def downgrade() -> None:
    op.create_index("ix_nodes_parent_title", "nodes", ["parent_id", "title"], unique=False)
    op.drop_index("uq_nodes_parent_title", table_name="nodes")
    _reindex_later(_rename_roots({new: old for old, new in ROOT_TITLES.items()}))
    if _is_mariadb():
        op.alter_column(
            "nodes",
            "title",
            existing_type=MARIADB_TITLE,
            type_=sa.String(255),
            existing_nullable=False,
        )


def _rename_roots(renames: dict[str, str]) -> list[uuid.UUID]:
    bind = op.get_bind()
    renamed: list[uuid.UUID] = []
    for old, new in renames.items():
        where = (nodes.c.parent_id.is_(None), nodes.c.title == old)
        renamed.extend(bind.scalars(sa.select(nodes.c.id).where(*where)))
        bind.execute(sa.update(nodes).where(*where).values(title=new))
    return renamed


def _number_duplicates() -> list[uuid.UUID]:
    """All but the oldest node of each title in a folder get the first free numbered title."""
    bind = op.get_bind()
    clashes = bind.execute(
        sa.select(nodes.c.parent_id, nodes.c.title)
        .where(nodes.c.parent_id.is_not(None))
        .group_by(nodes.c.parent_id, nodes.c.title)
        .having(sa.func.count() > 1)
    ).all()
    renamed: list[uuid.UUID] = []
    for parent_id, title in clashes:
        taken = set(bind.scalars(sa.select(nodes.c.title).where(nodes.c.parent_id == parent_id)))
        holders = bind.execute(
            sa.select(nodes.c.id, nodes.c.ctype)
            .where(nodes.c.parent_id == parent_id, nodes.c.title == title)
            .order_by(nodes.c.created_at, nodes.c.id)
        ).all()
        for node_id, ctype in holders[1:]:
            new = next(name for name in _numbered(title, ctype == "document") if name not in taken)
            taken.add(new)
            bind.execute(sa.update(nodes).where(nodes.c.id == node_id).values(title=new))
            renamed.append(node_id)
    return renamed


def _numbered(title: str, keep_extension: bool) -> Iterator[str]:
    """``title (2)``, ``title (3)``... within the column's width; ``scan (2).pdf`` for a file."""
    stem, extension = title, ""
    head, dot, tail = title.rpartition(".")
    if keep_extension and dot and head and tail.isalnum() and len(tail) <= 10:
        stem, extension = head, dot + tail
    number = 2
    while True:
        suffix = f" ({number}){extension}"
        yield stem[: MAX_TITLE - len(suffix)] + suffix
        number += 1


def _reindex_later(node_ids: list[uuid.UUID]) -> None:
    """The indexer's task for these nodes, committed with their new titles (the outbox)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    ids = sorted(str(node_id) for node_id in node_ids)
    rows = [
        {
            "id": uuid.uuid4(),
            "name": "index",
            "queue": "index",
            "args": {"node_ids": ids[start : start + INDEX_BATCH], "descendants": False},
            "state": "pending",
            "attempts": 0,
            "created_at": now,
            "available_at": now,
        }
        for start in range(0, len(ids), INDEX_BATCH)
    ]
    if rows:
        op.bulk_insert(tasks, rows)
