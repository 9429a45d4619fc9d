"""The document viewer: page previews (lazy loaded), a thumbnails rail, versions with their
downloads, tags. Read through the API's ``get_document``; tags are changed by an ES module
calling the API."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request
from starlette.responses import Response

from quire.core import scopes
from quire.core.models import User
from quire.web.api.documents import document_details
from quire.web.deps import DbSession, require
from quire.web.ui.browse_pages import section_of
from quire.web.ui.templating import render

router = APIRouter(include_in_schema=False)

Viewer = Annotated[User, require(scopes.NODE_VIEW)]


@router.get("/documents/{document_id}")
def document(document_id: uuid.UUID, request: Request, user: Viewer, db: DbSession) -> Response:
    details = document_details(db, user, document_id)
    versions = sorted(details.versions, key=lambda version: version.number)
    context = {
        "user": user,
        "document": details,
        "section": section_of(user, details.breadcrumb),
        "versions": versions,
        "current": versions[-1] if versions else None,
    }
    return render(request, "document.html", context)
