"""The browser's pages: home, inbox, a folder, shared with me, the trash.

Each page reads through the API's own listing functions, called in-process (the same query, the
same access rule, the same paging), and renders the first screen on the server, so a folder of
any size opens with one request. New folder, rename, delete, restore and upload are ES modules
calling the API (``static/js/``).

Beside a folder, a sidebar: the user's home and inbox and their groups' (read by
``group_folders``, as the API's ``/users/group-homes`` and ``/group-inboxes`` are), each the
root of a folder tree that ``tree.js`` expands lazily from ``GET /api/nodes/{id}``. The commander
(upstream's dual panel, ``commander_pages.py``) shows two folders side by side; dragging a row
onto the other panel moves it with ``POST /api/nodes/move`` (``commander.js``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from quire.core import scopes
from quire.core.models import Folder, User
from quire.web.api import shared_nodes as shared_api
from quire.web.api.common import accessible
from quire.web.api.node_views import children_page, full_out
from quire.web.api.trash import trash_page
from quire.web.api.users import group_folders
from quire.web.deps import DbSession, require
from quire.web.ui.listing import SORT_KEYS, ListingState, page_links
from quire.web.ui.live import newest_event_id
from quire.web.ui.templating import render

router = APIRouter(include_in_schema=False)

Viewer = Annotated[User, require(scopes.NODE_VIEW)]


@dataclass(frozen=True)
class FolderRoot:
    """A root of the sidebar's tree: the user's home or inbox, or one of their groups'."""

    id: uuid.UUID
    kind: str  # home, inbox, group-home, group-inbox
    group: str | None = None


def folder_roots(user: User, db: Session) -> list[FolderRoot]:
    assert user.home_folder_id is not None
    assert user.inbox_folder_id is not None
    roots = [FolderRoot(user.home_folder_id, "home"), FolderRoot(user.inbox_folder_id, "inbox")]
    groups = group_folders(db, user)
    roots += [FolderRoot(g.home_id, "group-home", g.group_name) for g in groups if g.home_id]
    roots += [FolderRoot(g.inbox_id, "group-inbox", g.group_name) for g in groups if g.inbox_id]
    return roots


def section_of(
    user: User, breadcrumb: list[tuple[uuid.UUID, str]], group_roots: Iterable[uuid.UUID] = ()
) -> str:
    """Which entry of the main navigation a folder belongs to."""
    root = breadcrumb[0][0] if breadcrumb else None
    if root in set(group_roots):
        return "groups"
    if root == user.inbox_folder_id:
        return "inbox"
    if root == user.home_folder_id:
        return "home"
    if root == user.trash_folder_id:
        return "trash"
    return "shared"


def root_labels(roots: list[FolderRoot]) -> dict[uuid.UUID, tuple[str, str | None]]:
    """The group roots' kinds and group names, for breadcrumbs (the template words them)."""
    return {root.id: (root.kind, root.group) for root in roots if root.group}


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
    roots = folder_roots(user, db)
    group_roots = [root.id for root in roots if root.group]
    context = {
        "user": user,
        "folder": details,
        "roots": roots,
        "root_labels": root_labels(roots),
        "section": section_of(user, details.breadcrumb, group_roots),
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
