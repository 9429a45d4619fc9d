"""``/admin/document-types`` and ``/admin/custom-fields``: the caller's own document types
(name, path template, their fields in order) and custom fields (name, type, extra data), as
``/api/document-types`` and ``/api/custom-fields`` keep them: each user's, by their scopes."""

from __future__ import annotations

import json
import uuid

from fastapi import APIRouter, Request
from starlette.responses import Response

from quire.core import scopes
from quire.core.models import CustomFieldType
from quire.web.api.custom_fields import (
    FieldOrder,
    all_custom_fields,
    get_custom_field,
    list_custom_fields,
)
from quire.web.api.document_types import TypeOrder, get_document_type, list_document_types
from quire.web.deps import CurrentUser, DbSession
from quire.web.ui.admin.common import check, page_params, render_admin
from quire.web.ui.admin.sections import may

router = APIRouter(prefix="/admin", include_in_schema=False)
FIELD_TYPES = [kind.value for kind in CustomFieldType]


@router.get("/document-types")
def types_page(request: Request, user: CurrentUser, db: DbSession) -> Response:
    check(user, scopes.DOCUMENT_TYPE_VIEW)
    listing = list_document_types(user, db, page_params(request), None, TypeOrder.by_name)
    context = {"listing": listing}
    return render_admin(request, user, "admin/document_types.html", "document-types", context)


def _type_form(
    request: Request, user: CurrentUser, db: DbSession, type_id: uuid.UUID | None
) -> Response:
    doc_type = None if type_id is None else get_document_type(type_id, user, db)
    fields = all_custom_fields(user, db, None) if may(user, scopes.CUSTOM_FIELD_VIEW) else []
    if doc_type is not None:
        # The type's fields first, in their order; then the others.
        chosen = [field.id for field in doc_type.custom_fields]
        fields = sorted(fields, key=lambda f: chosen.index(f.id) if f.id in chosen else len(chosen))
    context = {"doc_type": doc_type, "fields": fields}
    return render_admin(request, user, "admin/document_type.html", "document-types", context)


@router.get("/document-types/new")
def new_type_page(request: Request, user: CurrentUser, db: DbSession) -> Response:
    check(user, scopes.DOCUMENT_TYPE_CREATE)
    return _type_form(request, user, db, None)


@router.get("/document-types/{type_id}")
def type_page(type_id: uuid.UUID, request: Request, user: CurrentUser, db: DbSession) -> Response:
    check(user, scopes.DOCUMENT_TYPE_VIEW)
    return _type_form(request, user, db, type_id)


@router.get("/custom-fields")
def fields_page(request: Request, user: CurrentUser, db: DbSession) -> Response:
    check(user, scopes.CUSTOM_FIELD_VIEW)
    listing = list_custom_fields(user, db, page_params(request), None, FieldOrder.by_name)
    context = {"listing": listing}
    return render_admin(request, user, "admin/custom_fields.html", "custom-fields", context)


def _extra_data_text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


@router.get("/custom-fields/new")
def new_field_page(request: Request, user: CurrentUser) -> Response:
    check(user, scopes.CUSTOM_FIELD_CREATE)
    context = {"field": None, "field_types": FIELD_TYPES, "extra_data": ""}
    return render_admin(request, user, "admin/custom_field.html", "custom-fields", context)


@router.get("/custom-fields/{field_id}")
def field_page(field_id: uuid.UUID, request: Request, user: CurrentUser, db: DbSession) -> Response:
    check(user, scopes.CUSTOM_FIELD_VIEW)
    field = get_custom_field(field_id, user, db)
    context = {
        "field": field,
        "field_types": FIELD_TYPES,
        "extra_data": _extra_data_text(field.extra_data),
    }
    return render_admin(request, user, "admin/custom_field.html", "custom-fields", context)
