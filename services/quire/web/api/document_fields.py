"""A document's type and custom-field values (Papermerge 3.5 shapes).

- ``PATCH /api/documents/{id}/type`` ``{"document_type_id": UUID | null}`` -> 200 ``null``.
  Values of fields the new type does not have are dropped.
- ``GET /api/documents/{id}/custom-fields`` -> ``list[CFV]``: every field of the document's type,
  in the type's order, with its value or ``null`` (``[]`` for an untyped document).
- ``PATCH /api/documents/{id}/custom-fields`` with upstream's list
  ``[{"key": "<field name>", "value": ..., "custom_field_value_id": ...}]`` -> ``list[CFV]`` as
  GET answers. ``custom_field_id`` may name the field instead of ``key`` (names match without
  regard to case); ``custom_field_value_id`` is accepted and ignored. ``null`` or ``""`` clears a
  value. Values: text a string; int a whole number; float a number; monetary an amount with at
  most two decimals (answered as a JSON number, as upstream); date ``YYYY-MM-DD``; boolean
  ``true``/``false``; yearmonth ``YYYY-MM``. Numbers and booleans may also come as strings.
  Any bad item is a 422 listing every bad item (``loc``, ``msg``, ``custom_field``); then
  nothing is stored.
- ``GET /api/documents/type/{document_type_id}`` -> ``Paginated[DocumentCFV]``: the user's
  documents of that type with their values as ``[name, value, type]``, sorted by a custom
  field (``order_by``, its name) in ``order`` (``desc`` by default), compared by type, missing
  values last.

Scopes: reading needs ``node.view``. Changing the type needs ``node.update`` and
``document.update.document_type``; changing values ``node.update`` and
``document.update.custom_fields`` (upstream 3.5.3 asked ``node.view``, sic, resp. ``node.update``
only). Another user's document or type is a 404 like a missing one; another user's type given
as ``document_type_id`` is a 422 like an unknown id.
"""

from __future__ import annotations

import math
import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from quire.core import access, models, ownership, scopes
from quire.core.custom_fields import (
    FieldValue,
    InvalidValue,
    ValuesChanged,
    column_for,
    convert_value,
    document_fields,
    set_document_type,
    set_document_values,
)
from quire.core.models import CustomFieldType, Document, User
from quire.core.models.custom_fields import name_key
from quire.web.api.common import PageNumber, accessible_node
from quire.web.api.document_types import own_type
from quire.web.api.node_schemas import thumbnail_url
from quire.web.deps import DbSession, require

router = APIRouter(tags=["documents"])

CFValue = str | bool | int | float | date | None
MAX_ITEMS = 500


class DocumentTypeArg(BaseModel):
    document_type_id: uuid.UUID | None = None


class CFV(BaseModel):
    document_id: uuid.UUID
    document_type_id: uuid.UUID
    custom_field_id: uuid.UUID
    name: str
    type: CustomFieldType
    extra_data: str | dict[str, Any] | None
    custom_field_value_id: uuid.UUID | None = None
    value: CFValue = None


class CustomFieldUpdate(BaseModel):
    key: str | None = None
    custom_field_id: uuid.UUID | None = None
    custom_field_value_id: uuid.UUID | None = None
    value: Any = None

    @model_validator(mode="after")
    def _names_a_field(self) -> CustomFieldUpdate:
        if self.key is None and self.custom_field_id is None:
            raise ValueError("give the custom field's name as key, or its custom_field_id")
        return self


class DocumentCFV(BaseModel):
    id: uuid.UUID
    title: str
    document_type_id: uuid.UUID | None
    thumbnail_url: str | None
    custom_fields: list[tuple[str, CFValue, CustomFieldType]]


class DocumentsPage(BaseModel):
    page_size: int
    page_number: int
    num_pages: int
    items: list[DocumentCFV]


def json_value(value: object) -> CFValue:
    """A stored value as the API sends it: amounts as numbers, months as ``YYYY-MM``."""
    if isinstance(value, Decimal):
        return float(value)
    assert value is None or isinstance(value, str | bool | int | float | date)
    return value


def _cfv(document: Document, item: FieldValue) -> CFV:
    value = item.value
    if item.field.type == CustomFieldType.yearmonth and isinstance(value, date):
        value = value.strftime("%Y-%m")
    assert document.document_type_id is not None
    return CFV(
        document_id=document.id,
        document_type_id=document.document_type_id,
        custom_field_id=item.field.id,
        name=item.field.name,
        type=CustomFieldType(item.field.type),
        extra_data=item.field.extra_data,
        custom_field_value_id=None if item.row is None else item.row.id,
        value=json_value(value),
    )


def _values_out(db: Session, document: Document) -> list[CFV]:
    return [_cfv(document, item) for item in document_fields(db, document)]


def _unprocessable(errors: list[dict[str, Any]]) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=errors)


def _error(loc: list[str | int], msg: str, **extra: str) -> dict[str, Any]:
    """One item of a 422's detail, shaped like FastAPI's own validation errors."""
    return {"loc": loc, "msg": msg, "type": "value_error", **extra}


@router.patch("/documents/{document_id}/type")
def update_document_type(
    document_id: uuid.UUID,
    body: DocumentTypeArg,
    user: Annotated[User, require(scopes.NODE_UPDATE, scopes.DOCUMENT_UPDATE_DOCUMENT_TYPE)],
    db: DbSession,
) -> None:
    document = accessible_node(
        db, user, document_id, Document, scopes.DOCUMENT_UPDATE_DOCUMENT_TYPE
    )
    doc_type = None
    if body.document_type_id is not None:
        # The document's owner's types: a grantee works with the owner's, as with tags.
        doc_type = db.get(models.DocumentType, body.document_type_id)
        if doc_type is None or doc_type.user_id != document.user_id:
            msg = f"unknown document type id: {body.document_type_id}"
            raise _unprocessable([_error(["body", "document_type_id"], msg)])
    set_document_type(db, document, doc_type)


@router.get("/documents/{document_id}/custom-fields")
def get_custom_field_values(
    document_id: uuid.UUID,
    user: Annotated[User, require(scopes.NODE_VIEW)],
    db: DbSession,
) -> list[CFV]:
    return _values_out(db, accessible_node(db, user, document_id, Document))


def _resolve(
    items: list[CustomFieldUpdate], fields: list[FieldValue]
) -> tuple[dict[models.CustomField, object], list[dict[str, Any]]]:
    """Each item's field and converted value, or the errors that refuse the whole request."""
    by_id = {item.field.id: item.field for item in fields}
    by_name = {name_key(item.field.name): item.field for item in fields}
    values: dict[models.CustomField, object] = {}
    errors: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        if item.custom_field_id is not None:
            field, where = by_id.get(item.custom_field_id), "custom_field_id"
        else:
            field, where = by_name.get(name_key(item.key or "")), "key"
        if field is None:
            wanted = item.custom_field_id or item.key
            msg = f"{wanted} is not a custom field of the document's type"
            errors.append(_error(["body", index, where], msg))
            continue
        loc: list[str | int] = ["body", index, "value"]
        if field in values:
            msg = f"custom field {field.name!r} is given twice"
            errors.append(_error(loc, msg, custom_field=field.name))
            continue
        try:
            values[field] = convert_value(field.type, item.value)
        except InvalidValue as exc:
            msg = f"custom field {field.name!r} ({field.type}) {exc}"
            errors.append(_error(loc, msg, custom_field=field.name))
    return values, errors


@router.patch("/documents/{document_id}/custom-fields")
def update_custom_field_values(
    document_id: uuid.UUID,
    body: Annotated[list[CustomFieldUpdate], Field(max_length=MAX_ITEMS)],
    user: Annotated[User, require(scopes.NODE_UPDATE, scopes.DOCUMENT_UPDATE_CUSTOM_FIELDS)],
    db: DbSession,
) -> list[CFV]:
    document = accessible_node(
        db, user, document_id, Document, scopes.DOCUMENT_UPDATE_CUSTOM_FIELDS
    )
    fields = document_fields(db, document)
    if document.document_type_id is None and body:
        msg = (
            "the document has no document type; give it one first "
            f"(PATCH /api/documents/{document.id}/type)"
        )
        raise _unprocessable([_error(["body"], msg)])
    values, errors = _resolve(body, fields)
    if errors:
        raise _unprocessable(errors)
    try:
        set_document_values(db, document, values)
    except ValuesChanged as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
    return _values_out(db, document)


def _sort_field(doc_type: models.DocumentType, order_by: str | None) -> models.CustomField | None:
    if order_by is None:
        return None
    field = next(
        (f for f in doc_type.custom_fields if name_key(f.name) == name_key(order_by)), None
    )
    if field is None:
        msg = f"{order_by!r} is not a custom field of this document type"
        raise _unprocessable([_error(["query", "order_by"], msg)])
    return field


@router.get("/documents/type/{document_type_id}")
def documents_by_type(
    document_type_id: uuid.UUID,
    user: Annotated[User, require(scopes.NODE_VIEW)],
    db: DbSession,
    page_size: Annotated[int, Query(ge=1, lt=100)] = 5,
    page_number: PageNumber = 1,
    order_by: Annotated[str | None, Query(max_length=200)] = None,
    order: Literal["asc", "desc"] = "desc",
) -> DocumentsPage:
    doc_type = own_type(db, user, document_type_id)
    field = _sort_field(doc_type, order_by)
    query = select(Document).where(
        ownership.owned_clause(user.id),
        Document.document_type_id == doc_type.id,
        access.outside_trash(db, user.id),
    )
    if field is not None:
        value = aliased(models.CustomFieldValue)
        query = query.outerjoin(
            value, (value.document_id == Document.id) & (value.field_id == field.id)
        )
        column = getattr(value, column_for(field.type))
        # Missing values last in either direction, on every backend.
        query = query.order_by(column.is_(None), column.desc() if order == "desc" else column.asc())
    query = query.order_by(Document.title, Document.id)
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    documents = list(db.scalars(query.limit(page_size).offset((page_number - 1) * page_size)))
    return DocumentsPage(
        page_size=page_size,
        page_number=page_number,
        num_pages=math.ceil(total / page_size),
        items=_documents_cfv(db, doc_type, documents),
    )


def _documents_cfv(
    db: Session, doc_type: models.DocumentType, documents: list[Document]
) -> list[DocumentCFV]:
    """One page's documents with their values, read in one query."""
    rows: dict[tuple[uuid.UUID, uuid.UUID], models.CustomFieldValue] = {
        (row.document_id, row.field_id): row
        for row in db.scalars(
            select(models.CustomFieldValue).where(
                models.CustomFieldValue.document_id.in_([d.id for d in documents])
            )
        )
    }
    items = []
    for document in documents:
        cfvs = [
            _cfv(document, FieldValue(field, rows.get((document.id, field.id))))
            for field in doc_type.custom_fields
        ]
        items.append(
            DocumentCFV(
                id=document.id,
                title=document.title,
                document_type_id=document.document_type_id,
                thumbnail_url=thumbnail_url(document.id),
                custom_fields=[(cfv.name, cfv.value, cfv.type) for cfv in cfvs],
            )
        )
    return items
