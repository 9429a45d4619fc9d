"""``/api/document-types``: each user's document types (Papermerge 3.5 shapes).

A document type has a name (unique per user regardless of case), an optional ``path_template``
(docs/path-templates.md: checked when saved, a 422 giving the line of a syntax error or of an
unknown field; the type's documents are filed by it in the background) and an ordered list of
custom fields, given as ``custom_field_ids`` and answered as full ``custom_fields``. The fields
must be the user's own; an id of another user's field is refused exactly like an unknown one
(422).

Another user's type answers the same 404 as an id that does not exist. Differences from
upstream: a duplicate name is 409 (upstream 400); removing a field from a type drops that
field's values on the type's documents; deleting a type leaves its documents untyped and drops
their custom-field values (upstream left them in the database, unreachable).
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, Field, StringConstraints, field_validator
from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from quire.core import models, scopes
from quire.core.definitions import NameTaken
from quire.core.definitions import create_document_type as create_type
from quire.core.definitions import delete_document_type as delete_type
from quire.core.definitions import update_document_type as update_type
from quire.core.models.custom_fields import PATH_TEMPLATE_WIDTH
from quire.path_templates.sandbox import TemplateProblem, check_template
from quire.web.api.common import NoNul, PageParams, Paginated, page, page_params
from quire.web.api.custom_fields import CustomField
from quire.web.deps import DbSession, require

router = APIRouter(prefix="/document-types", tags=["document-types"])

TypeName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul
]
PathTemplate = Annotated[
    str,
    StringConstraints(max_length=PATH_TEMPLATE_WIDTH),
    NoNul,
    Field(
        description=(
            "Where the type's documents are filed, a sandboxed Jinja2 template such as "
            "`/home/Invoices/{{ document.cf['Company'] }}/{{ document.title }}`: see "
            "docs/path-templates.md for what a template sees, its filters and its fallbacks."
        )
    ),
]
FieldIds = Annotated[list[uuid.UUID], Field(max_length=200)]


class DocumentType(BaseModel):
    id: uuid.UUID
    name: str
    path_template: str | None = None
    custom_fields: list[CustomField]
    # Upstream's group-owned types; every Quire type belongs to one user, so these stay null.
    group_id: uuid.UUID | None = None
    group_name: str | None = None


class _TypeInput(BaseModel):
    group_id: uuid.UUID | None = None

    @field_validator("group_id")
    @classmethod
    def _no_group_types(cls, value: uuid.UUID | None) -> None:
        if value is not None:
            raise ValueError("group-owned document types are not supported; leave group_id empty")

    @field_validator("custom_field_ids", check_fields=False)
    @classmethod
    def _distinct(cls, value: list[uuid.UUID] | None) -> list[uuid.UUID] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("lists a custom field more than once")
        return value


class CreateDocumentType(_TypeInput):
    name: TypeName
    path_template: PathTemplate | None = None
    custom_field_ids: FieldIds = []


class UpdateDocumentType(_TypeInput):
    """Fields left out stay as they are; ``path_template: null`` clears it."""

    name: TypeName | None = None
    path_template: PathTemplate | None = None
    custom_field_ids: FieldIds | None = None


class GroupedDocumentTypeItem(BaseModel):
    id: uuid.UUID
    name: str


class GroupedDocumentType(BaseModel):
    """Upstream's types of one owner: ``My`` for the caller's own, else a group's name."""

    name: str
    items: list[GroupedDocumentTypeItem]


# Upstream's name for the caller's own types in ``/all-grouped``.
OWN_TYPES_GROUP = "My"


class TypeOrder(StrEnum):
    by_name = "name"
    by_name_desc = "-name"


_ORDER: dict[TypeOrder, tuple[ColumnElement[Any], ...]] = {
    TypeOrder.by_name: (models.DocumentType.name_key.asc(),),
    TypeOrder.by_name_desc: (models.DocumentType.name_key.desc(),),
}


def type_out(doc_type: models.DocumentType) -> DocumentType:
    return DocumentType(
        id=doc_type.id,
        name=doc_type.name,
        path_template=doc_type.path_template,
        custom_fields=[CustomField.model_validate(field) for field in doc_type.custom_fields],
    )


def own_types(user: models.User) -> Select[models.DocumentType]:
    return select(models.DocumentType).where(models.DocumentType.user_id == user.id)


def own_type(db: Session, user: models.User, type_id: uuid.UUID) -> models.DocumentType:
    doc_type = db.get(models.DocumentType, type_id)
    if doc_type is None or doc_type.user_id != user.id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Document type not found")
    return doc_type


def _own_fields(db: Session, user: models.User, ids: list[uuid.UUID]) -> list[models.CustomField]:
    """The user's fields with these ids, in this order; any other id is a 422 naming it."""
    found = {
        field.id: field
        for field in db.scalars(
            select(models.CustomField)
            .where(models.CustomField.user_id == user.id)
            .where(models.CustomField.id.in_(ids))
        )
    }
    missing = [str(field_id) for field_id in ids if field_id not in found]
    if missing:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=[
                {
                    "loc": ["body", "custom_field_ids"],
                    "msg": f"unknown custom field ids: {', '.join(missing)}",
                    "type": "value_error",
                }
            ],
        )
    return [found[field_id] for field_id in ids]


def _check_template(template: str | None, fields: list[models.CustomField]) -> None:
    """A template that cannot render for this type is a 422 saying what and where."""
    if template is None:
        return
    try:
        check_template(template, [field.name for field in fields])
    except TemplateProblem as exc:
        error: dict[str, Any] = {
            "loc": ["body", "path_template"],
            "msg": str(exc),
            "type": "value_error",
        }
        error.update(line=exc.line, column=exc.column)
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=[error]) from None


def duplicate(name: str) -> str:
    return f"you already have a document type named {name!r}"


@router.get("/")
def list_document_types(
    user: Annotated[models.User, require(scopes.DOCUMENT_TYPE_VIEW)],
    db: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    text: Annotated[str | None, Query(alias="filter", max_length=200), NoNul] = None,
    order_by: TypeOrder = TypeOrder.by_name,
) -> Paginated[DocumentType]:
    query = own_types(user)
    if text:
        query = query.where(models.DocumentType.name.icontains(text, autoescape=True))
    query = query.order_by(*_ORDER[order_by], models.DocumentType.id)
    return page(db, query, params, type_out)


@router.get("/all")
def all_document_types(
    user: Annotated[models.User, require(scopes.DOCUMENT_TYPE_SELECT)],
    db: DbSession,
    group_id: uuid.UUID | None = None,
) -> list[DocumentType]:
    if group_id is not None:
        # Upstream lists a group's types here; there are no group-owned types.
        return []
    rows = db.scalars(own_types(user).order_by(*_ORDER[TypeOrder.by_name]))
    return [type_out(row) for row in rows]


@router.get("/all-grouped")
def all_document_types_grouped(
    user: Annotated[models.User, require(scopes.DOCUMENT_TYPE_VIEW)], db: DbSession
) -> list[GroupedDocumentType]:
    """Every type the caller may use, grouped by owner, unpaginated: their own, as ``My`` (no
    group owns types in Quire, so no other group follows). Empty without types."""
    rows = db.execute(
        select(models.DocumentType.id, models.DocumentType.name)
        .where(models.DocumentType.user_id == user.id)
        .order_by(*_ORDER[TypeOrder.by_name])
    ).all()
    if not rows:
        return []
    items = [GroupedDocumentTypeItem(id=type_id, name=name) for type_id, name in rows]
    return [GroupedDocumentType(name=OWN_TYPES_GROUP, items=items)]


@router.get("/{document_type_id}")
def get_document_type(
    document_type_id: uuid.UUID,
    user: Annotated[models.User, require(scopes.DOCUMENT_TYPE_VIEW)],
    db: DbSession,
) -> DocumentType:
    return type_out(own_type(db, user, document_type_id))


@router.post("/", status_code=status.HTTP_201_CREATED)
def create_document_type(
    body: CreateDocumentType,
    user: Annotated[models.User, require(scopes.DOCUMENT_TYPE_CREATE)],
    db: DbSession,
) -> DocumentType:
    fields = _own_fields(db, user, body.custom_field_ids)
    _check_template(body.path_template, fields)
    try:
        doc_type = create_type(
            db, user.id, name=body.name, fields=fields, path_template=body.path_template
        )
    except NameTaken as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=duplicate(body.name)) from exc
    return type_out(doc_type)


@router.patch("/{document_type_id}")
def update_document_type(
    document_type_id: uuid.UUID,
    body: UpdateDocumentType,
    user: Annotated[models.User, require(scopes.DOCUMENT_TYPE_UPDATE)],
    db: DbSession,
) -> DocumentType:
    doc_type = own_type(db, user, document_type_id)
    changes = body.model_dump(exclude_unset=True, exclude={"group_id"})
    fields = None
    if changes.get("custom_field_ids") is not None:
        fields = _own_fields(db, user, changes["custom_field_ids"])
    template = {"value": changes["path_template"]} if "path_template" in changes else None
    if template is not None or fields is not None:
        # The template as it will be, against the fields as they will be.
        _check_template(
            template["value"] if template is not None else doc_type.path_template,
            fields if fields is not None else doc_type.custom_fields,
        )
    try:
        update_type(db, doc_type, name=changes.get("name"), fields=fields, path_template=template)
    except NameTaken as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=duplicate(body.name or "")) from exc
    return type_out(doc_type)


@router.delete("/{document_type_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_document_type(
    document_type_id: uuid.UUID,
    user: Annotated[models.User, require(scopes.DOCUMENT_TYPE_DELETE)],
    db: DbSession,
) -> None:
    delete_type(db, own_type(db, user, document_type_id))
