"""The document viewer: page previews (lazy loaded), a thumbnails rail with the page operations,
versions with their downloads, OCR (its state, the text of each page, and a run on demand in
the languages this server offers), tags, and the document's type with its custom fields.

Read through the API's own functions (``document_details``, ``get_custom_field_values``,
``all_document_types``); every change is an ES module calling the API (``static/js/``).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from babel import Locale, UnknownLocaleError
from fastapi import APIRouter, Request
from starlette.responses import Response

from quire.core import ocr, scopes
from quire.core.config import OcrSettings
from quire.core.models import User
from quire.web.api.document_fields import get_custom_field_values
from quire.web.api.document_types import all_document_types
from quire.web.api.documents import document_details, ocr_status
from quire.web.deps import AppSettings, DbSession, require, user_scopes
from quire.web.ui.browse_pages import section_of
from quire.web.ui.i18n import request_language
from quire.web.ui.live import newest_event_id
from quire.web.ui.templating import render

router = APIRouter(include_in_schema=False)

Viewer = Annotated[User, require(scopes.NODE_VIEW)]

# A custom field's type -> the <input type> that edits it (booleans are a yes/no/unset select).
INPUT_TYPES = {
    "text": "text",
    "int": "number",
    "float": "number",
    "monetary": "number",
    "date": "date",
    "yearmonth": "month",
}
INPUT_STEPS = {"int": "1", "float": "any", "monetary": "0.01"}


def language_name(code: str, language: str) -> str:
    """Tesseract's ``deu`` as the reader calls it ("German", "Deutsch"), else the code."""
    try:
        name = Locale.parse(code).get_language_name(language)
    except (ValueError, UnknownLocaleError):
        return code
    return f"{name} ({code})" if name else code


def ocr_languages(settings: OcrSettings, language: str) -> list[tuple[str, str]]:
    """The languages OCR is offered in: ``OCR__LANG_CODES``, else Tesseract's installed ones
    (none if Tesseract cannot be asked: then the form is not shown)."""
    try:
        codes = ocr.offered_languages(settings)
    except ocr.OcrUnavailable:
        return []
    return [(code, language_name(code, language)) for code in codes]


def _allowed(granted: set[str], perms: list[str]) -> set[str]:
    """What the viewer's controls may offer: the user's scopes, and for a grantee (whose
    ``perms`` list what their share allows; an owner's is empty) only those. The API checks
    again; this only keeps buttons away that could only fail."""
    return granted if not perms else granted & set(perms)


@router.get("/documents/{document_id}")
def document(
    document_id: uuid.UUID,
    request: Request,
    user: Viewer,
    db: DbSession,
    settings: AppSettings,
) -> Response:
    details = document_details(db, user, document_id)
    versions = sorted(details.versions, key=lambda version: version.number)
    current = versions[-1] if versions else None
    granted = user_scopes(user)
    language = request_language(request)
    context = {
        "user": user,
        "document": details,
        "section": section_of(user, details.breadcrumb),
        "versions": versions,
        "current": current,
        "may": _allowed(granted, details.perms),
        "ocr_error": ocr_status(user, db, [document_id])[0].error,
        "ocr_languages": ocr_languages(settings.ocr, language),
        "ocr_chosen": set((current.lang if current else settings.ocr.default_lang_code).split("+")),
        "document_types": (
            all_document_types(user, db) if scopes.DOCUMENT_TYPE_SELECT in granted else []
        ),
        "fields": get_custom_field_values(document_id, user, db),
        "input_types": INPUT_TYPES,
        "input_steps": INPUT_STEPS,
        "folder_id": details.breadcrumb[-2][0] if len(details.breadcrumb) > 1 else None,
        "events_after": newest_event_id(db, user),
    }
    return render(request, "document.html", context)
