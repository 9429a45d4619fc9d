"""The commander (upstream's dual panel): two folders side by side, for moving things between
them. Each panel is read like a folder page (``children_page``, the access rule); a row dragged
onto the other panel, or onto a folder, is moved by ``commander.js`` with ``POST /api/nodes/move``,
whose refusal (a title taken there, a move into itself) is shown as the API words it.

The state is the URL: ``left`` and ``right`` folder ids and each panel's page (``lpage``,
``rpage``), read leniently like every listing's: a bad value falls back to the home and inbox.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from quire.core import scopes
from quire.core.models import Folder, User
from quire.web.api.common import MAX_PAGE_NUMBER, PageParams, accessible
from quire.web.api.node_views import children_page, full_out
from quire.web.deps import DbSession, require
from quire.web.ui.browse_pages import folder_roots, root_labels
from quire.web.ui.listing import lenient_int, lenient_uuid
from quire.web.ui.templating import render

router = APIRouter(include_in_schema=False)

Viewer = Annotated[User, require(scopes.NODE_VIEW)]
PANEL_PAGE_SIZE = 100


@dataclass(frozen=True)
class CommanderState:
    left: uuid.UUID
    right: uuid.UUID
    lpage: int
    rpage: int

    def url(self, **changes: object) -> str:
        values: dict[str, Any] = {
            "left": self.left,
            "right": self.right,
            "lpage": self.lpage,
            "rpage": self.rpage,
        }
        values.update(changes)
        # A panel shown another folder starts at its first page.
        if "left" in changes and "lpage" not in changes:
            values["lpage"] = 1
        if "right" in changes and "rpage" not in changes:
            values["rpage"] = 1
        shown = {key: value for key, value in values.items() if value != 1}
        return "/commander?" + urlencode(shown)


def _panel(db: Session, user: User, side: str, folder_id: uuid.UUID, page: int) -> dict[str, Any]:
    folder, granted = accessible(db, user, folder_id, Folder)
    params = PageParams(page_size=PANEL_PAGE_SIZE, page_number=page)
    return {
        "side": side,
        "folder": full_out(db, folder, granted, include_self=True),
        "listing": children_page(db, user, folder_id, None, params),
        "page": page,
        "page_key": "lpage" if side == "left" else "rpage",
    }


@router.get("/commander")
def commander(request: Request, user: Viewer, db: DbSession) -> Response:
    assert user.home_folder_id is not None
    assert user.inbox_folder_id is not None
    query = request.query_params
    state = CommanderState(
        left=lenient_uuid(query.get("left")) or user.home_folder_id,
        right=lenient_uuid(query.get("right")) or user.inbox_folder_id,
        lpage=lenient_int(query.get("lpage"), 1, 1, MAX_PAGE_NUMBER),
        rpage=lenient_int(query.get("rpage"), 1, 1, MAX_PAGE_NUMBER),
    )
    panels = [
        _panel(db, user, "left", state.left, state.lpage),
        _panel(db, user, "right", state.right, state.rpage),
    ]
    context = {
        "user": user,
        "section": "commander",
        "state": state,
        "panels": panels,
        "root_labels": root_labels(folder_roots(user, db)),
    }
    return render(request, "commander.html", context)
