"""the trash: each user's trash folder, and where a trashed node came from

Revision ID: 0010
Revises: 0009
Create Date: 2027-02-01 10:00:00.000000

Deleting a node moves it into its owner's trash folder, a root beside home and inbox
(``users.trash_folder_id``); ``nodes.trashed_at``, ``trashed_from_id`` and ``trashed_title``
say when, from which folder and under which title, for restoring and for the scheduled
emptying (core/trash.py). Every existing user gets a trash folder here. Downgrading drops the
columns and the empty trash folders; a trash folder still holding nodes stays as a plain root,
so that no document is lost by a downgrade.
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As the models type them (core.db.UTCDateTime, models.nodes.TITLE).
DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
TITLE = sa.String(255).with_variant(
    mysql.VARCHAR(255, charset="utf8mb4", collation="utf8mb4_nopad_bin"), "mysql", "mariadb"
)
TRASH_TITLE = "trash"

users = sa.table("users", sa.column("id", sa.Uuid()), sa.column("trash_folder_id", sa.Uuid()))
nodes = sa.table(
    "nodes",
    sa.column("id", sa.Uuid()),
    sa.column("title", sa.String()),
    sa.column("ctype", sa.String()),
    sa.column("lang", sa.String()),
    sa.column("user_id", sa.Uuid()),
    sa.column("parent_id", sa.Uuid()),
    sa.column("created_at", DATETIME),
    sa.column("updated_at", DATETIME),
)


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    # Plain ALTER TABLEs, no batch copies on SQLite: with foreign keys on, dropping the old
    # table of a copy would delete in cascade what points at its rows (documents, nodes).
    op.add_column("nodes", sa.Column("trashed_at", DATETIME, nullable=True))
    op.add_column("nodes", sa.Column("trashed_from_id", sa.Uuid(), nullable=True))
    op.add_column("nodes", sa.Column("trashed_title", TITLE, nullable=True))
    op.create_index("ix_nodes_trashed_at", "nodes", ["trashed_at"], unique=False)
    if _is_sqlite():
        op.execute(
            "ALTER TABLE users ADD COLUMN trash_folder_id CHAR(32) "
            "REFERENCES nodes (id) ON DELETE SET NULL"
        )
    else:
        op.add_column("users", sa.Column("trash_folder_id", sa.Uuid(), nullable=True))
        op.create_foreign_key(
            op.f("fk_users_trash_folder_id_nodes"),
            "users",
            "nodes",
            ["trash_folder_id"],
            ["id"],
            ondelete="SET NULL",
        )
    _trash_folders()


def _trash_folders() -> None:
    """A trash folder for every user, as ``create_user`` makes one for a new user."""
    connection = op.get_bind()
    user_ids = list(connection.scalars(sa.select(users.c.id)))
    # Naive UTC, as UTCDateTime stores it on every backend.
    now = datetime.now(UTC).replace(tzinfo=None)
    for user_id in user_ids:
        folder_id = uuid.uuid4()
        connection.execute(
            nodes.insert().values(
                id=folder_id,
                title=TRASH_TITLE,
                ctype="folder",
                lang="eng",
                user_id=user_id,
                parent_id=None,
                created_at=now,
                updated_at=now,
            )
        )
        connection.execute(
            users.update().where(users.c.id == user_id).values(trash_folder_id=folder_id)
        )


def downgrade() -> None:
    connection = op.get_bind()
    trash_ids = [i for i in connection.scalars(sa.select(users.c.trash_folder_id)) if i]
    if _is_sqlite():
        op.execute("ALTER TABLE users DROP COLUMN trash_folder_id")
    else:
        op.drop_constraint(op.f("fk_users_trash_folder_id_nodes"), "users", type_="foreignkey")
        op.drop_column("users", "trash_folder_id")
    for trash_id in trash_ids:
        # Asked first: MariaDB refuses a DELETE whose subquery reads the same table.
        child = connection.scalar(sa.select(nodes.c.id).where(nodes.c.parent_id == trash_id))
        if child is None:
            connection.execute(nodes.delete().where(nodes.c.id == trash_id))
    op.drop_index("ix_nodes_trashed_at", table_name="nodes")
    for column in ("trashed_title", "trashed_from_id", "trashed_at"):
        if _is_sqlite():
            op.execute(f"ALTER TABLE nodes DROP COLUMN {column}")
        else:
            op.drop_column("nodes", column)
