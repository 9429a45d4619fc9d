"""ocr: the task that made a version, and why a document's OCR failed

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 09:12:03.118204
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("document_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ocr_task_id", sa.Uuid(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_document_versions_ocr_task_id"), ["ocr_task_id"]
        )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ocr_error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("ocr_error")
    # The unique constraint goes with its column on every backend.
    with op.batch_alter_table("document_versions", schema=None) as batch_op:
        batch_op.drop_column("ocr_task_id")
