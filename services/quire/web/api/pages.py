"""A page's image and its words: what ``page.view`` guards.

``GET /api/pages/{page_id}/jpg`` is a page's preview at one of four widths, drawn on first
request if the previews task has not yet. ``GET /api/pages/{page_id}/words`` (not in Papermerge
3.5) answers the words of the page's text layer with their boxes as fractions of the page
(0..1 from the top left), so they fit a preview of any size, for drawing search hits and
selectable text; a page with no text layer, or whose words are not written yet, answers 404
with a detail saying so.

Both need the ``page.view`` scope and, on a shared document, a share whose role grants
``page.view``: a role without it shows the document in listings, not its pages.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from quire.core import scopes, words
from quire.core.files import Limits
from quire.core.models import Document, Page, User
from quire.core.previews import page_preview
from quire.web.api.common import accessible_node, not_found
from quire.web.deps import AppSettings, DbSession, Storage, require
from quire.web.files import file_response

router = APIRouter(tags=["pages"])

PageViewer = Annotated[User, require(scopes.NODE_VIEW, scopes.PAGE_VIEW)]


class WordOut(BaseModel):
    text: str
    box: Annotated[list[float], Field(min_length=4, max_length=4)] = Field(
        description="x0, y0, x1, y1 as fractions of the page's width and height, from top left"
    )


class PageWordsOut(BaseModel):
    page_id: uuid.UUID
    number: int
    words: list[WordOut]


def _page(db: Session, user: User, page_id: uuid.UUID) -> Page:
    """A page of a document the user may see, if their access to it allows ``page.view``."""
    page = db.get(Page, page_id)
    if page is None:
        raise not_found()
    accessible_node(db, user, page.version.document_id, Document, scopes.PAGE_VIEW)
    return page


@router.get("/pages/{page_id}/jpg", response_class=FileResponse)
def get_page_preview(
    page_id: uuid.UUID,
    request: Request,
    user: PageViewer,
    db: DbSession,
    storage: Storage,
    settings: AppSettings,
    size: Literal["sm", "md", "lg", "xl"] = "md",
) -> Response:
    page = _page(db, user, page_id)
    limits = Limits.from_settings(settings)
    key = page_preview(db, storage, page, size, settings.preview.width(size), limits)
    if key is None:
        raise not_found("this page has no image")
    return file_response(request, storage, key, media_type="image/jpeg")


@router.get("/pages/{page_id}/words")
def get_page_words(
    page_id: uuid.UUID, user: PageViewer, db: DbSession, storage: Storage
) -> PageWordsOut:
    page = _page(db, user, page_id)
    found = words.load_page(storage, page.document_version_id, page.number)
    if found is None:
        raise not_found("this page has no word boxes (no text layer, or not made yet)")
    return PageWordsOut(
        page_id=page.id,
        number=page.number,
        words=[WordOut(text=w.text, box=[w.x0, w.y0, w.x1, w.y1]) for w in found],
    )
