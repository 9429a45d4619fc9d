"""lang: room for several OCR languages at once (deu+eng+fra)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 12:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("nodes", "document_versions", "pages")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "lang", existing_type=sa.String(8), type_=sa.String(64), existing_nullable=False
            )


def downgrade() -> None:
    # Longer combinations do not fit back: they become the first language.
    for table in TABLES:
        rows = sa.table(table, sa.column("lang"))
        op.execute(
            rows.update()
            .where(sa.func.length(rows.c.lang) > 8)
            .values(lang=sa.func.substr(rows.c.lang, 1, 3))
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "lang", existing_type=sa.String(64), type_=sa.String(8), existing_nullable=False
            )
