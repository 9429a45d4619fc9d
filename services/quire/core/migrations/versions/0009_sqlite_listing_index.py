"""the folder listing's index sorts ``ctype`` descending again on SQLite

Revision ID: 0009
Revises: 0008
Create Date: 2027-01-20 10:00:00.000000

0004 widened ``nodes.lang`` with a batch operation, which on SQLite copies the table and makes
its indexes again from their reflection. SQLite's reflection carries no column direction, so
``ix_nodes_parent_listing`` came back as ``(parent_id, ctype, title, created_at, id)`` and every
page of a folder was sorted in a temporary B-tree: 12 of a listing's 15 ms of SQL at 10,000
documents. PostgreSQL and MariaDB kept ``ctype DESC``; the index is made again on SQLite only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LISTING_COLUMNS: list[str | sa.TextClause] = [
    "parent_id",
    sa.text("ctype DESC"),
    "title",
    "created_at",
    "id",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.drop_index("ix_nodes_parent_listing", table_name="nodes")
    op.create_index("ix_nodes_parent_listing", "nodes", LISTING_COLUMNS)


def downgrade() -> None:
    # Nothing to undo: the index is the one 0001 made.
    pass
