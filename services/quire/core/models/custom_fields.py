"""Custom fields, document types and documents' typed custom-field values.

A custom field (a name and a type) and a document type (a name and an ordered list of custom
fields) belong to one user. A document has at most one type; it holds a value for some of its
type's fields, one row per document and field. Each value is kept in the column of its type, so
that a filter such as ``amount > 100`` or a date range compares numbers and dates, not text.

Names are unique per user without regard to case on every backend: ``name_key`` holds the
case-folded name and carries the unique constraint. On MariaDB it uses a binary collation so
that it compares exactly like Python's ``casefold`` (its default collation would also ignore
accents).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    Double,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quire.core.db import Base, UTCDateTime, utcnow

NAME_WIDTH = 200
PATH_TEMPLATE_WIDTH = 2000
# Monetary amounts: two decimal places below 10**13, so that a JSON number (a double) carries
# every amount exactly, as upstream sends them.
MONETARY_PRECISION = 15
MONETARY_SCALE = 2

NameKey = String(NAME_WIDTH).with_variant(
    mysql.VARCHAR(NAME_WIDTH, collation="utf8mb4_bin"), "mysql", "mariadb"
)


def name_key(name: str) -> str:
    """What two names must differ in to be distinct: anything but case."""
    return name.casefold()


class CustomFieldType(StrEnum):
    """Papermerge 3.5.3's types (3.6 added select, url, email and others)."""

    text = "text"
    date = "date"
    boolean = "boolean"
    int = "int"
    float = "float"
    monetary = "monetary"
    # A month of a year ("2023-02"), e.g. the month a payslip is for.
    yearmonth = "yearmonth"


class CustomField(Base):
    __tablename__ = "custom_fields"
    __table_args__ = (UniqueConstraint("user_id", "name_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(NAME_WIDTH))
    name_key: Mapped[str] = mapped_column(NameKey)
    type: Mapped[str] = mapped_column(String(16))
    # Upstream's free-form settings, e.g. ``{"currency": "EUR"}`` for a monetary field.
    extra_data: Mapped[Any] = mapped_column(JSON, nullable=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def rename(self, name: str) -> None:
        self.name = name
        self.name_key = name_key(name)


class DocumentTypeField(Base):
    """A custom field of a document type, at its position in the type's list."""

    __tablename__ = "document_type_fields"

    document_type_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("document_types.id", ondelete="CASCADE"), primary_key=True
    )
    custom_field_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("custom_fields.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int]

    custom_field: Mapped[CustomField] = relationship(lazy="joined")


class DocumentType(Base):
    __tablename__ = "document_types"
    __table_args__ = (UniqueConstraint("user_id", "name_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(NAME_WIDTH))
    name_key: Mapped[str] = mapped_column(NameKey)
    # Where its documents are filed (quire.path_templates, docs/path-templates.md).
    path_template: Mapped[str | None] = mapped_column(String(PATH_TEMPLATE_WIDTH))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    field_links: Mapped[list[DocumentTypeField]] = relationship(
        order_by=DocumentTypeField.position,
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
    )

    @property
    def custom_fields(self) -> list[CustomField]:
        return [link.custom_field for link in self.field_links]

    def rename(self, name: str) -> None:
        self.name = name
        self.name_key = name_key(name)


class CustomFieldValue(Base):
    """One document's value for one custom field, in the column of the field's type.

    ``yearmonth`` values are stored in ``value_date`` as the first day of their month, so that
    they sort and compare like dates.
    """

    __tablename__ = "custom_field_values"
    __table_args__ = (
        UniqueConstraint("document_id", "field_id"),
        # "Documents whose <field> is between ..." for each comparable type.
        Index("ix_custom_field_values_field_int", "field_id", "value_int"),
        Index("ix_custom_field_values_field_float", "field_id", "value_float"),
        Index("ix_custom_field_values_field_monetary", "field_id", "value_monetary"),
        Index("ix_custom_field_values_field_date", "field_id", "value_date"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    field_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("custom_fields.id", ondelete="CASCADE"))
    value_text: Mapped[str | None] = mapped_column(Text)
    value_int: Mapped[int | None] = mapped_column(BigInteger)
    value_float: Mapped[float | None] = mapped_column(Double)
    value_monetary: Mapped[Decimal | None] = mapped_column(
        Numeric(MONETARY_PRECISION, MONETARY_SCALE)
    )
    value_date: Mapped[date | None] = mapped_column(Date)
    value_bool: Mapped[bool | None]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    field: Mapped[CustomField] = relationship(lazy="joined")
