"""events name their node: whoever may see it hears of them (the notifications service)

Revision ID: 0013
Revises: 0012
Create Date: 2027-03-10 10:00:00.000000

``events.node_id`` (no foreign key: an event outlives its node), indexed for the polling
endpoint's visibility filter; ``created_at`` indexed for the hourly pruning by age. Existing
events keep no node: they stay their user's alone, as they were. On SQLite the table is copied
once to get AUTOINCREMENT: without it, pruning the newest events would let their ids be given
again, and a client resuming "after" such an id would miss events (nothing refers to the
table, so the copy deletes nothing in cascade).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(
            "events", recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ) as batch:
            batch.add_column(sa.Column("node_id", sa.Uuid(), nullable=True))
    else:
        op.add_column("events", sa.Column("node_id", sa.Uuid(), nullable=True))
    op.create_index("ix_events_node_id", "events", ["node_id"], unique=False)
    op.create_index("ix_events_created_at", "events", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_events_created_at", table_name="events")
    op.drop_index("ix_events_node_id", table_name="events")
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("events", recreate="always") as batch:
            batch.drop_column("node_id")
    else:
        op.drop_column("events", "node_id")
