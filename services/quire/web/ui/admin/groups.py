"""``/admin/groups``: groups (``group.view``), a new one with or without its special folders
(home, inbox, trash), one to edit (name, roles, special folders) or delete, with its members.
Membership is a user's (``/admin/users/{id}``, ``PATCH /api/users/{id}`` ``group_ids``): the
group's page lists the members and links to them."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import Response

from quire.core import models, scopes
from quire.web.api.groups import get_group, list_groups
from quire.web.api.roles import all_roles
from quire.web.deps import CurrentUser, DbSession
from quire.web.ui.admin.common import check, page_params, render_admin

router = APIRouter(prefix="/admin/groups", include_in_schema=False)


@router.get("")
def groups_page(request: Request, user: CurrentUser, db: DbSession) -> Response:
    check(user, scopes.GROUP_VIEW)
    listing = list_groups(user, db, page_params(request))
    return render_admin(request, user, "admin/groups.html", "groups", {"listing": listing})


@router.get("/new")
def new_group_page(request: Request, user: CurrentUser, db: DbSession) -> Response:
    check(user, scopes.GROUP_CREATE)
    context = {"group": None, "roles": all_roles(user, db), "members": []}
    return render_admin(request, user, "admin/group.html", "groups", context)


@router.get("/{group_id}")
def group_page(group_id: uuid.UUID, request: Request, user: CurrentUser, db: DbSession) -> Response:
    check(user, scopes.GROUP_VIEW)
    group = get_group(group_id, user, db)
    members = db.execute(
        select(models.User.id, models.User.username)
        .where(models.User.groups.any(models.Group.id == group_id))
        .order_by(models.User.username)
    ).all()
    context = {"group": group, "roles": all_roles(user, db), "members": members}
    return render_admin(request, user, "admin/group.html", "groups", context)
