"""shared nodes: a node shared with a user or a group under a role

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Microseconds on MariaDB too: its DATETIME keeps whole seconds unless told otherwise.
DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "shared_nodes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("node_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("group_id", sa.Uuid(), nullable=True),
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", DATETIME, nullable=False),
        sa.CheckConstraint(
            "(user_id IS NULL) <> (group_id IS NULL)",
            name=op.f("ck_shared_nodes_one_grantee"),
        ),
        sa.ForeignKeyConstraint(
            ["node_id"],
            ["nodes.id"],
            name=op.f("fk_shared_nodes_node_id_nodes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_shared_nodes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_shared_nodes_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["roles.id"],
            name=op.f("fk_shared_nodes_role_id_roles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_shared_nodes_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_nodes")),
        sa.UniqueConstraint(
            "node_id", "user_id", "role_id", name=op.f("uq_shared_nodes_node_id_user_id_role_id")
        ),
        sa.UniqueConstraint(
            "node_id", "group_id", "role_id", name=op.f("uq_shared_nodes_node_id_group_id_role_id")
        ),
    )
    with op.batch_alter_table("shared_nodes", schema=None) as batch_op:
        batch_op.create_index("ix_shared_nodes_user", ["user_id"], unique=False)
        batch_op.create_index("ix_shared_nodes_group", ["group_id"], unique=False)
        batch_op.create_index("ix_shared_nodes_role", ["role_id"], unique=False)


def downgrade() -> None:
    # Indexes go with their table (MariaDB refuses to drop one a foreign key uses).
    op.drop_table("shared_nodes")
