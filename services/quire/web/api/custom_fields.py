"""``/api/custom-fields``: each user's custom fields (Papermerge 3.5 shapes).

Types are Papermerge 3.5.3's: ``text``, ``date``, ``boolean``, ``int``, ``float``, ``monetary``
and ``yearmonth``. ``extra_data`` is stored as given (a string, or a JSON object such as
``{"currency": "EUR"}`` for a monetary field, whose currency must then be an ISO 4217 code).

A custom field belongs to one user; another user's field answers the same 404 as an id that
does not exist. Names are unique per user regardless of case (409 otherwise). Differences from
upstream: a duplicate name is 409 (upstream 400), and a field's ``type`` cannot change while
documents hold values for it (409), because the values would no longer fit.
"""

from __future__ import annotations

import json
import uuid
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from quire.core import models, scopes
from quire.core.custom_fields import InvalidValue, check_extra_data
from quire.core.definitions import NameTaken
from quire.core.definitions import create_custom_field as create_field
from quire.core.definitions import delete_custom_field as delete_field
from quire.core.definitions import update_custom_field as update_field
from quire.core.models import CustomFieldType, CustomFieldValue
from quire.web.api.common import NoNul, PageParams, Paginated, page, page_params
from quire.web.deps import DbSession, require

router = APIRouter(prefix="/custom-fields", tags=["custom-fields"])

FieldName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul
]
# Upstream's is a free string; a JSON object is kept as an object.
ExtraData = str | dict[str, Any] | None
EXTRA_DATA_MAX_LENGTH = 4000


class CustomField(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    type: CustomFieldType
    extra_data: str | dict[str, Any] | None = None
    # Upstream's group-owned fields; every Quire field belongs to one user, so these stay null.
    group_id: uuid.UUID | None = None
    group_name: str | None = None


class _FieldInput(BaseModel):
    group_id: uuid.UUID | None = None

    @field_validator("group_id")
    @classmethod
    def _no_group_fields(cls, value: uuid.UUID | None) -> None:
        if value is not None:
            raise ValueError("group-owned custom fields are not supported; leave group_id empty")

    @field_validator("extra_data", check_fields=False)
    @classmethod
    def _extra_data(cls, value: ExtraData) -> ExtraData:
        if value is None:
            return None
        if isinstance(value, str):
            if len(value) > EXTRA_DATA_MAX_LENGTH:
                raise ValueError(f"must be at most {EXTRA_DATA_MAX_LENGTH} characters long")
            # Upstream's UI sends JSON as a string; an object is kept as an object.
            try:
                parsed = json.loads(value)
            except ValueError:
                return value
            return parsed if isinstance(parsed, dict) else value
        if len(json.dumps(value)) > EXTRA_DATA_MAX_LENGTH:
            raise ValueError(f"must be at most {EXTRA_DATA_MAX_LENGTH} characters long as JSON")
        return value


class CreateCustomField(_FieldInput):
    name: FieldName
    type: CustomFieldType
    extra_data: ExtraData = None


class UpdateCustomField(_FieldInput):
    """Fields left out stay as they are; ``extra_data: null`` clears it."""

    name: FieldName | None = None
    type: CustomFieldType | None = None
    extra_data: ExtraData = None


class FieldOrder(StrEnum):
    by_name = "name"
    by_name_desc = "-name"
    by_type = "type"
    by_type_desc = "-type"


_ORDER: dict[FieldOrder, tuple[ColumnElement[Any], ...]] = {
    FieldOrder.by_name: (models.CustomField.name_key.asc(),),
    FieldOrder.by_name_desc: (models.CustomField.name_key.desc(),),
    FieldOrder.by_type: (models.CustomField.type.asc(), models.CustomField.name_key.asc()),
    FieldOrder.by_type_desc: (models.CustomField.type.desc(), models.CustomField.name_key.asc()),
}


def own_fields(user: models.User) -> Select[models.CustomField]:
    return select(models.CustomField).where(models.CustomField.user_id == user.id)


def own_field(db: Session, user: models.User, field_id: uuid.UUID) -> models.CustomField:
    field = db.get(models.CustomField, field_id)
    if field is None or field.user_id != user.id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Custom field not found")
    return field


def duplicate(name: str) -> str:
    return f"you already have a custom field named {name!r}"


@router.get("/")
def list_custom_fields(
    user: Annotated[models.User, require(scopes.CUSTOM_FIELD_VIEW)],
    db: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    text: Annotated[str | None, Query(alias="filter", max_length=200), NoNul] = None,
    order_by: FieldOrder = FieldOrder.by_name,
) -> Paginated[CustomField]:
    query = own_fields(user)
    if text:
        query = query.where(models.CustomField.name.icontains(text, autoescape=True))
    query = query.order_by(*_ORDER[order_by], models.CustomField.id)
    return page(db, query, params, CustomField.model_validate)


@router.get("/all")
def all_custom_fields(
    user: Annotated[models.User, require(scopes.CUSTOM_FIELD_VIEW)],
    db: DbSession,
    group_id: uuid.UUID | None = None,
) -> list[CustomField]:
    if group_id is not None:
        # Upstream lists a group's fields here; there are no group-owned fields.
        return []
    rows = db.scalars(own_fields(user).order_by(*_ORDER[FieldOrder.by_name]))
    return [CustomField.model_validate(row) for row in rows]


@router.get("/{custom_field_id}")
def get_custom_field(
    custom_field_id: uuid.UUID,
    user: Annotated[models.User, require(scopes.CUSTOM_FIELD_VIEW)],
    db: DbSession,
) -> CustomField:
    return CustomField.model_validate(own_field(db, user, custom_field_id))


@router.post("/", status_code=status.HTTP_201_CREATED)
def create_custom_field(
    body: CreateCustomField,
    user: Annotated[models.User, require(scopes.CUSTOM_FIELD_CREATE)],
    db: DbSession,
) -> CustomField:
    _check_extra_data(body.type, body.extra_data)
    try:
        field = create_field(
            db, user.id, name=body.name, field_type=body.type.value, extra_data=body.extra_data
        )
    except NameTaken as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=duplicate(body.name)) from exc
    return CustomField.model_validate(field)


def _check_type_change(db: Session, field: models.CustomField, new_type: str) -> None:
    if new_type == field.type:
        return
    count = db.scalar(select(func.count()).where(CustomFieldValue.field_id == field.id))
    if count:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail=f"custom field {field.name!r} has values on {count} document(s); "
            "its type cannot change",
        )


@router.patch("/{custom_field_id}")
def update_custom_field(
    custom_field_id: uuid.UUID,
    body: UpdateCustomField,
    user: Annotated[models.User, require(scopes.CUSTOM_FIELD_UPDATE)],
    db: DbSession,
) -> CustomField:
    field = own_field(db, user, custom_field_id)
    changes = body.model_dump(exclude_unset=True, exclude={"group_id"})
    new_type = changes.get("type") or field.type
    _check_extra_data(new_type, changes.get("extra_data", field.extra_data))
    _check_type_change(db, field, new_type)
    extra = {"value": changes["extra_data"]} if "extra_data" in changes else None
    try:
        update_field(db, field, name=changes.get("name"), field_type=new_type, extra_data=extra)
    except NameTaken as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=duplicate(body.name or "")) from exc
    return CustomField.model_validate(field)


@router.delete("/{custom_field_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_custom_field(
    custom_field_id: uuid.UUID,
    user: Annotated[models.User, require(scopes.CUSTOM_FIELD_DELETE)],
    db: DbSession,
) -> None:
    delete_field(db, own_field(db, user, custom_field_id))


def _check_extra_data(field_type: str, extra_data: object) -> None:
    try:
        check_extra_data(field_type, extra_data)
    except InvalidValue as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=[{"loc": ["body", "extra_data"], "msg": str(exc), "type": "value_error"}],
        ) from None
