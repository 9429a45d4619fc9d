"""Custom-field values: checking them, storing them by type, reading them back.

Invariant kept by every writer here: a document has values only for the custom fields of its
current document type. Changing a document's type drops the values of fields the new type does
not have; removing a field from a type drops that field's values on the type's documents.

Whatever changes where a document's path template would file it (its type, its values) queues
it for the path templates worker with ``file_if_templated`` (``core/filing.py``), likewise.

Whatever changes what search would answer about a document (its type, its values, the name of
one of its fields or of its type) queues the document for the indexer with ``reindex_later`` in
the same transaction; the functions here do so for the changes they make, and the ``affected_*``
helpers give the API the documents a rename or delete will touch.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quire.core.filing import file_if_templated
from quire.core.indexing import reindex_later
from quire.core.models import CustomField, CustomFieldValue, Document, DocumentType
from quire.core.models.custom_fields import MONETARY_PRECISION, MONETARY_SCALE, CustomFieldType

TEXT_MAX_LENGTH = 10_000
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
MONETARY_LIMIT = Decimal(10) ** (MONETARY_PRECISION - MONETARY_SCALE)
# Matched whole (``fullmatch``: ``$`` would let a final newline through). Digits are ASCII
# digits for every type (``re.ASCII``; ``int()`` and ``float()`` would also read "١٢"), and no
# type takes Python's ``_`` between digits.
CURRENCY_PATTERN = re.compile(r"[A-Z]{3}")
# Digits enough for any 64-bit number; Python refuses to parse very long ones anyway.
_INTEGER = re.compile(r"[+-]?\d{1,20}", re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_YEARMONTH = re.compile(r"(\d{4})-(\d{2})", re.ASCII)
_BOOLEANS = {"true": True, "false": False}
VALUE_COLUMNS = (
    "value_text",
    "value_int",
    "value_float",
    "value_monetary",
    "value_date",
    "value_bool",
)


class InvalidValue(ValueError):
    """A value that does not fit its custom field's type; the message says why."""


@dataclass(frozen=True)
class FieldValue:
    """One custom field of a document's type, with the document's value for it (or None)."""

    field: CustomField
    row: CustomFieldValue | None

    @property
    def value(self) -> object:
        return None if self.row is None else load_value(self.row, self.field.type)


# --- checking and converting incoming values ----------------------------------------------------


def _to_text(raw: object) -> str:
    if not isinstance(raw, str):
        raise InvalidValue("must be a string")
    if len(raw) > TEXT_MAX_LENGTH:
        raise InvalidValue(f"must be at most {TEXT_MAX_LENGTH} characters long")
    # PostgreSQL cannot store it in text (a 500 there); SQLite and MariaDB would.
    if "\x00" in raw:
        raise InvalidValue("must not contain the NUL character (U+0000)")
    return raw


def _to_int(raw: object) -> int:
    if isinstance(raw, str) and _INTEGER.fullmatch(raw.strip()):
        raw = int(raw.strip())
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    # bool is an int to Python, but true is no number to a user.
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise InvalidValue("must be a whole number")
    if not INT_MIN <= raw <= INT_MAX:
        raise InvalidValue("is out of range for a whole number (64 bits)")
    return raw


def _plain_number_text(raw: str) -> bool:
    """Text ``float()`` and ``Decimal()`` may read: ASCII, and no ``_`` between digits."""
    return raw.isascii() and "_" not in raw


def _to_float(raw: object) -> float:
    if isinstance(raw, str):
        text = raw.strip()
        if not _plain_number_text(text):
            raise InvalidValue("must be a number")
        try:
            raw = float(text)
        except ValueError:
            raise InvalidValue("must be a number") from None
    if not isinstance(raw, int | float) or isinstance(raw, bool):
        raise InvalidValue("must be a number")
    try:
        value = float(raw)
    except OverflowError:  # a JSON integer past a float's range, 1 and 400 zeros
        raise InvalidValue("must be a finite number") from None
    if not math.isfinite(value):
        raise InvalidValue("must be a finite number")
    return value


def _to_monetary(raw: object) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise InvalidValue("must be an amount such as 12.50")
    if isinstance(raw, str) and not _plain_number_text(raw.strip()):
        raise InvalidValue("must be an amount such as 12.50")
    try:
        # str() of a float is its shortest round-trip form: 12.5, not 12.4999999...
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise InvalidValue("must be an amount such as 12.50") from None
    if not value.is_finite():
        raise InvalidValue("must be a finite amount")
    # The limit first: quantizing 1e999999 would overflow.
    if abs(value) >= MONETARY_LIMIT:
        raise InvalidValue(f"must be less than {MONETARY_LIMIT:,} in absolute value")
    cents = Decimal(1).scaleb(-MONETARY_SCALE)
    if value != value.quantize(cents, rounding=ROUND_DOWN):
        raise InvalidValue(f"must have at most {MONETARY_SCALE} decimal places")
    # -0 is 0: no amount is stored, shown or compared as -0.00.
    return value.quantize(cents).copy_abs() if value.is_zero() else value.quantize(cents)


def _to_date(raw: object) -> date:
    if not isinstance(raw, str) or not _DATE.fullmatch(raw.strip()):
        raise InvalidValue("must be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidValue("is not a valid date") from None


def _to_bool(raw: object) -> bool:
    if isinstance(raw, str) and raw.strip().lower() in _BOOLEANS:
        return _BOOLEANS[raw.strip().lower()]
    if not isinstance(raw, bool):
        raise InvalidValue("must be true or false")
    return raw


def _to_yearmonth(raw: object) -> date:
    match = _YEARMONTH.fullmatch(raw.strip()) if isinstance(raw, str) else None
    if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
        raise InvalidValue("must be a month as YYYY-MM")
    return date(int(match[1]), int(match[2]), 1)


_CONVERTERS: dict[str, Any] = {
    CustomFieldType.text: _to_text,
    CustomFieldType.int: _to_int,
    CustomFieldType.float: _to_float,
    CustomFieldType.monetary: _to_monetary,
    CustomFieldType.date: _to_date,
    CustomFieldType.boolean: _to_bool,
    CustomFieldType.yearmonth: _to_yearmonth,
}

# Where each type's value lives; yearmonth is the first day of its month, compared as a date.
_COLUMN: dict[str, str] = {
    CustomFieldType.text: "value_text",
    CustomFieldType.int: "value_int",
    CustomFieldType.float: "value_float",
    CustomFieldType.monetary: "value_monetary",
    CustomFieldType.date: "value_date",
    CustomFieldType.boolean: "value_bool",
    CustomFieldType.yearmonth: "value_date",
}


def convert_value(field_type: str, raw: object) -> object:
    """The typed value of ``raw`` for a field of ``field_type``; None means "no value".

    JSON null and the empty string both clear a value. Numbers may come as JSON numbers or as
    strings (forms send strings); dates as ``YYYY-MM-DD``, months as ``YYYY-MM``. Raises
    ``InvalidValue`` saying what was expected.
    """
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    converted: object = _CONVERTERS[CustomFieldType(field_type)](raw)
    return converted


def check_extra_data(field_type: str, extra_data: object) -> None:
    """A monetary field's ``currency``, if given, is an ISO 4217 code such as EUR."""
    if field_type == CustomFieldType.monetary and isinstance(extra_data, dict):
        currency = extra_data.get("currency")
        if currency is not None and not (
            isinstance(currency, str) and CURRENCY_PATTERN.fullmatch(currency)
        ):
            raise InvalidValue("currency must be a three-letter ISO 4217 code such as EUR")


def column_for(field_type: str) -> str:
    """The ``CustomFieldValue`` column holding values of this type (for filters and sorts)."""
    return _COLUMN[CustomFieldType(field_type)]


def load_value(row: CustomFieldValue, field_type: str) -> object:
    value = getattr(row, column_for(field_type))
    if field_type == CustomFieldType.monetary and value is not None:
        value = Decimal(value).quantize(Decimal(1).scaleb(-MONETARY_SCALE))
    return value


def _store(row: CustomFieldValue, field_type: str, value: object) -> None:
    for column in VALUE_COLUMNS:
        setattr(row, column, None)
    setattr(row, column_for(field_type), value)


# --- reading ------------------------------------------------------------------------------------


def document_fields(
    session: Session, document: Document, doc_type: DocumentType | None = None
) -> list[FieldValue]:
    """The custom fields of the document's type, in the type's order, with their values
    (``doc_type``: the document's type, when the caller has it at hand)."""
    if document.document_type_id is None:
        return []
    doc_type = doc_type or session.get(DocumentType, document.document_type_id)
    if doc_type is None:
        return []
    rows = {
        row.field_id: row
        for row in session.scalars(
            select(CustomFieldValue).where(CustomFieldValue.document_id == document.id)
        )
    }
    return [FieldValue(field, rows.get(field.id)) for field in doc_type.custom_fields]


def custom_field_values(session: Session, document: Document) -> dict[str, object]:
    """Field name -> typed value for the document; fields without a value are left out.

    Types: text -> str, int -> int, float -> float, monetary -> Decimal (2 places),
    date -> datetime.date, boolean -> bool, yearmonth -> datetime.date (the month's first day).
    """
    return {item.field.name: item.value for item in document_fields(session, document) if item.row}


# --- writing ------------------------------------------------------------------------------------


class ValuesChanged(RuntimeError):
    """A concurrent request stored a value of the same field first; trying again works."""


def set_document_values(
    session: Session, document: Document, values: Mapping[CustomField, object]
) -> None:
    """Store already converted values (None deletes) and commit them with their reindex.

    The fields must be fields of the document's type: callers check that first, so that a
    rejected request changes nothing.
    """
    rows = {
        row.field_id: row
        for row in session.scalars(
            select(CustomFieldValue).where(CustomFieldValue.document_id == document.id)
        )
    }
    changed = False
    for field, value in values.items():
        row = rows.get(field.id)
        if value is None:
            if row is not None:
                session.delete(row)
                changed = True
            continue
        if row is None:
            row = CustomFieldValue(document_id=document.id, field_id=field.id)
            session.add(row)
        elif load_value(row, field.type) == value:
            continue
        _store(row, field.type, value)
        changed = True
    if not changed:
        return
    reindex_later(session, [document.id], user_id=document.user_id)
    file_if_templated(session, document)
    try:
        session.commit()
    except IntegrityError as exc:  # the unique (document, field): a value inserted meanwhile
        session.rollback()
        raise ValuesChanged("the values changed meanwhile; try again") from exc


def set_document_type(
    session: Session, document: Document, doc_type: DocumentType | None, *, commit: bool = True
) -> None:
    """Give the document this type (or none) and commit (``commit=False``: for a caller
    changing many in one transaction); values of fields it loses go."""
    new_id = None if doc_type is None else doc_type.id
    if document.document_type_id == new_id:
        return
    keep = [] if doc_type is None else [field.id for field in doc_type.custom_fields]
    session.execute(
        delete(CustomFieldValue)
        .where(CustomFieldValue.document_id == document.id)
        .where(CustomFieldValue.field_id.not_in(keep))
    )
    document.document_type_id = new_id
    reindex_later(session, [document.id], user_id=document.user_id)
    file_if_templated(session, document)
    if commit:
        session.commit()


def drop_values_outside_type(session: Session, doc_type: DocumentType) -> None:
    """After a type loses fields: its documents' values for other fields go, and they reindex."""
    keep = [field.id for field in doc_type.custom_fields]
    documents = select(Document.id).where(Document.document_type_id == doc_type.id)
    stale = list(
        session.scalars(
            select(CustomFieldValue.document_id)
            .where(CustomFieldValue.document_id.in_(documents))
            .where(CustomFieldValue.field_id.not_in(keep))
            .distinct()
        )
    )
    if stale:
        session.execute(
            delete(CustomFieldValue)
            .where(CustomFieldValue.document_id.in_(stale))
            .where(CustomFieldValue.field_id.not_in(keep))
        )
        reindex_later(session, stale, user_id=doc_type.user_id)


def documents_with_values(session: Session, field_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """Documents holding a value for any of these fields: a rename or delete changes them."""
    return list(
        session.scalars(
            select(CustomFieldValue.document_id)
            .where(CustomFieldValue.field_id.in_(list(field_ids)))
            .distinct()
        )
    )


def documents_of_type(session: Session, type_id: uuid.UUID) -> list[uuid.UUID]:
    return list(session.scalars(select(Document.id).where(Document.document_type_id == type_id)))


def clear_type_values(session: Session, document_ids: Sequence[uuid.UUID]) -> None:
    """Before a type is deleted: its documents become untyped, so their values go."""
    if document_ids:
        session.execute(
            delete(CustomFieldValue).where(CustomFieldValue.document_id.in_(list(document_ids)))
        )
