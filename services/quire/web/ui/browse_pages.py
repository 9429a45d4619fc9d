"""The browser's pages: home, inbox, a folder, shared with me, the trash.

Each page reads through the API's own listing functions, called in-process (the same query, the
same access rule, the same paging), and renders the first screen on the server, so a folder of
any size opens with one request. New folder, rename, delete, restore and upload are ES modules
calling the API (``static/js/``).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from quire.core import scopes
from quire.core.models import Folder, User
from quire.web.api import shared_nodes as shared_api
from quire.web.api.common import accessible
from quire.web.api.node_views import children_page, full_out
from quire.web.api.trash import trash_page
from quire.web.deps import DbSession, require
from quire.web.ui.listing import SORT_KEYS, ListingState, page_links
from quire.web.ui.live import newest_event_id
from quire.web.ui.templating import render

router = APIRouter(include_in_schema=False)

Viewer = Annotated[User, require(scopes.NODE_VIEW)]


def section_of(user: User, breadcrumb: list[tuple[uuid.UUID, str]]) -> str:
    """Which entry of the main navigation a folder belongs to."""
    root = breadcrumb[0][0] if breadcrumb else None
    if root == user.inbox_folder_id:
        return "inbox"
    if root == user.home_folder_id:
        return "home"
    if root == user.trash_folder_id:
        return "trash"
    return "shared"


def listing_context(state: ListingState, listing: Any) -> dict[str, Any]:
    return {
        "state": state,
        "listing": listing,
        "pages": page_links(state, listing),
        "sort_keys": SORT_KEYS,
    }


def _folder_page(request: Request, user: User, db: DbSession, folder_id: uuid.UUID) -> Response:
    state = ListingState.of(request)
    folder, granted = accessible(db, user, folder_id, Folder)
    details = full_out(db, folder, granted, include_self=True)
    listing = children_page(db, user, folder_id, state.order, state.params)
    context = {
        "user": user,
        "folder": details,
        "section": section_of(user, details.breadcrumb),
        **listing_context(state, listing),
        # Live updates (live.js) redraw the listing on events after this one.
        "events_after": newest_event_id(db, user),
    }
    return render(request, "folder.html", context)


@router.get("/")
def home(request: Request, user: Viewer, db: DbSession) -> Response:
    assert user.home_folder_id is not None
    return _folder_page(request, user, db, user.home_folder_id)


@router.get("/inbox")
def inbox(request: Request, user: Viewer, db: DbSession) -> Response:
    assert user.inbox_folder_id is not None
    return _folder_page(request, user, db, user.inbox_folder_id)


@router.get("/folders/{folder_id}")
def folder(folder_id: uuid.UUID, request: Request, user: Viewer, db: DbSession) -> Response:
    return _folder_page(request, user, db, folder_id)


@router.get("/shared")
def shared(request: Request, user: Viewer, db: DbSession) -> Response:
    state = ListingState.of(request)
    listing = shared_api.list_shared_nodes(user, db, state.params, state.order, None)
    context = {"user": user, "section": "shared", **listing_context(state, listing)}
    return render(request, "shared.html", context)


@router.get("/trash")
def trash(request: Request, user: Viewer, db: DbSession) -> Response:
    state = ListingState.of(request, default_order="-updated_at")
    listing = trash_page(db, user, state.order, state.params)
    context = {"user": user, "section": "trash", **listing_context(state, listing)}
    return render(request, "trash.html", context)
