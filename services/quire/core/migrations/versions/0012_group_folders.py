"""group ownership: a group's home, inbox and trash, and the group that owns a node

Revision ID: 0012
Revises: 0011
Create Date: 2027-03-01 10:00:00.000000

``groups.home_folder_id``, ``inbox_folder_id`` and ``trash_folder_id`` are set for a group made
``with_special_folders``; ``nodes.group_id`` names the group that owns a node (every member owns
it, core/ownership.py). Existing groups get no folders: they ask for them with
``PATCH /api/groups/{id}`` ``{"with_special_folders": true}``. Downgrading gives each group-owned
node to the user whose account made it (``user_id``), so no document is lost, and drops the
group's special folders when they are empty.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOLDERS = ("home_folder_id", "inbox_folder_id", "trash_folder_id")
groups = sa.table("groups", *(sa.column(name, sa.Uuid()) for name in FOLDERS))
nodes = sa.table(
    "nodes",
    sa.column("id", sa.Uuid()),
    sa.column("parent_id", sa.Uuid()),
    sa.column("group_id", sa.Uuid()),
)


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    # Plain ALTER TABLEs, no batch copies on SQLite (as 0010): dropping the old table of a copy
    # would delete in cascade what points at its rows.
    if _is_sqlite():
        for name in FOLDERS:
            op.execute(
                f"ALTER TABLE groups ADD COLUMN {name} CHAR(32) "
                "REFERENCES nodes (id) ON DELETE SET NULL"
            )
        op.execute("ALTER TABLE nodes ADD COLUMN group_id CHAR(32) REFERENCES groups (id)")
        op.create_index("ix_nodes_group", "nodes", ["group_id"], unique=False)
    else:
        for name in FOLDERS:
            op.add_column("groups", sa.Column(name, sa.Uuid(), nullable=True))
            op.create_foreign_key(
                op.f(f"fk_groups_{name}_nodes"),
                "groups",
                "nodes",
                [name],
                ["id"],
                ondelete="SET NULL",
            )
        op.add_column("nodes", sa.Column("group_id", sa.Uuid(), nullable=True))
        # The index before the key: MariaDB would otherwise make one of its own for the key.
        op.create_index("ix_nodes_group", "nodes", ["group_id"], unique=False)
        op.create_foreign_key(
            op.f("fk_nodes_group_id_groups"), "nodes", "groups", ["group_id"], ["id"]
        )


def downgrade() -> None:
    connection = op.get_bind()
    folders = [
        folder_id
        for row in connection.execute(sa.select(*(groups.c[name] for name in FOLDERS)))
        for folder_id in row
        if folder_id is not None
    ]
    # The group's nodes become those of the accounts that made them (user_id).
    connection.execute(nodes.update().where(nodes.c.group_id.is_not(None)).values(group_id=None))
    if _is_sqlite():
        op.drop_index("ix_nodes_group", table_name="nodes")
        op.execute("ALTER TABLE nodes DROP COLUMN group_id")
        for name in FOLDERS:
            op.execute(f"ALTER TABLE groups DROP COLUMN {name}")
    else:
        # The key before its index: MariaDB needs an index for a key.
        op.drop_constraint(op.f("fk_nodes_group_id_groups"), "nodes", type_="foreignkey")
        op.drop_index("ix_nodes_group", table_name="nodes")
        op.drop_column("nodes", "group_id")
        for name in FOLDERS:
            op.drop_constraint(op.f(f"fk_groups_{name}_nodes"), "groups", type_="foreignkey")
            op.drop_column("groups", name)
    for folder_id in folders:
        # Asked first: MariaDB refuses a DELETE whose subquery reads the same table.
        child = connection.scalar(sa.select(nodes.c.id).where(nodes.c.parent_id == folder_id))
        if child is None:
            connection.execute(nodes.delete().where(nodes.c.id == folder_id))
