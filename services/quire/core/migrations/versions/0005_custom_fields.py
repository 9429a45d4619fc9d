"""custom fields, document types and documents' typed custom-field values

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Microseconds on MariaDB too: its DATETIME keeps whole seconds unless told otherwise.
DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
# Case-folded names compare byte for byte on MariaDB too (its default collation ignores accents).
NAME_KEY = sa.String(length=200).with_variant(
    mysql.VARCHAR(200, collation="utf8mb4_bin"), "mysql", "mariadb"
)


def upgrade() -> None:
    op.create_table(
        "custom_fields",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", NAME_KEY, nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("extra_data", sa.JSON(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_custom_fields_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_fields")),
        sa.UniqueConstraint("user_id", "name_key", name=op.f("uq_custom_fields_user_id_name_key")),
    )
    op.create_table(
        "document_types",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", NAME_KEY, nullable=False),
        sa.Column("path_template", sa.String(length=2000), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_document_types_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_types")),
        sa.UniqueConstraint("user_id", "name_key", name=op.f("uq_document_types_user_id_name_key")),
    )
    op.create_table(
        "document_type_fields",
        sa.Column("document_type_id", sa.Uuid(), nullable=False),
        sa.Column("custom_field_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["custom_field_id"],
            ["custom_fields.id"],
            name=op.f("fk_document_type_fields_custom_field_id_custom_fields"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["document_type_id"],
            ["document_types.id"],
            name=op.f("fk_document_type_fields_document_type_id_document_types"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "document_type_id", "custom_field_id", name=op.f("pk_document_type_fields")
        ),
    )
    with op.batch_alter_table("document_type_fields", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_document_type_fields_custom_field_id"), ["custom_field_id"], unique=False
        )

    op.create_table(
        "custom_field_values",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("field_id", sa.Uuid(), nullable=False),
        sa.Column("value_text", sa.Text(), nullable=True),
        sa.Column("value_int", sa.BigInteger(), nullable=True),
        sa.Column("value_float", sa.Double(), nullable=True),
        sa.Column("value_monetary", sa.Numeric(precision=15, scale=2), nullable=True),
        sa.Column("value_date", sa.Date(), nullable=True),
        sa.Column("value_bool", sa.Boolean(), nullable=True),
        sa.Column("updated_at", DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_custom_field_values_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["field_id"],
            ["custom_fields.id"],
            name=op.f("fk_custom_field_values_field_id_custom_fields"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_field_values")),
        sa.UniqueConstraint(
            "document_id", "field_id", name=op.f("uq_custom_field_values_document_id_field_id")
        ),
    )
    with op.batch_alter_table("custom_field_values", schema=None) as batch_op:
        for column in ("int", "float", "monetary", "date"):
            batch_op.create_index(
                f"ix_custom_field_values_field_{column}",
                ["field_id", f"value_{column}"],
                unique=False,
            )

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document_type_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_documents_document_type_id"), ["document_type_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_documents_document_type_id_document_types"),
            "document_types",
            ["document_type_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    # The foreign key goes before its column and index (MariaDB refuses otherwise).
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_documents_document_type_id_document_types"), type_="foreignkey"
        )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_document_type_id"))
        batch_op.drop_column("document_type_id")
    # Indexes go with their tables (MariaDB refuses to drop one a foreign key uses).
    op.drop_table("custom_field_values")
    op.drop_table("document_type_fields")
    op.drop_table("document_types")
    op.drop_table("custom_fields")
