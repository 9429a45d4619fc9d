"""Page word boxes, for drawing search hits and selectable text over a page's preview.

Not in Papermerge 3.5. ``GET /api/pages/{page_id}/words`` answers the words of the page's text
layer with their boxes as fractions of the page (0..1 from the top left), so they fit a preview
of any size. A page whose version has no text layer, or whose words the previews task has not
written yet, answers 404 with a detail saying so.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from quire.core import scopes, words
from quire.core.models import Document, Page, User
from quire.web.api.common import accessible_node, not_found
from quire.web.deps import DbSession, Storage, require

router = APIRouter(tags=["pages"])

Viewer = Annotated[User, require(scopes.NODE_VIEW)]


class WordOut(BaseModel):
    text: str
    box: Annotated[list[float], Field(min_length=4, max_length=4)] = Field(
        description="x0, y0, x1, y1 as fractions of the page's width and height, from top left"
    )


class PageWordsOut(BaseModel):
    page_id: uuid.UUID
    number: int
    words: list[WordOut]


@router.get("/pages/{page_id}/words")
def get_page_words(
    page_id: uuid.UUID, user: Viewer, db: DbSession, storage: Storage
) -> PageWordsOut:
    page = db.get(Page, page_id)
    if page is None:
        raise not_found()
    accessible_node(db, user, page.version.document_id, Document)
    found = words.load_page(storage, page.document_version_id, page.number)
    if found is None:
        raise not_found("this page has no word boxes (no text layer, or not made yet)")
    return PageWordsOut(
        page_id=page.id,
        number=page.number,
        words=[WordOut(text=w.text, box=[w.x0, w.y0, w.x1, w.y1]) for w in found],
    )
