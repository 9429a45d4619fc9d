"""``/admin/users``: the accounts (``user.view``), a new one (``user.create``), one to edit,
deactivate or delete (``user.update``, ``user.delete``), with its groups and roles. Read through
the users router's own functions; written by ``admin.js`` through ``/api/users``."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from starlette.responses import Response

from quire.core import scopes
from quire.web.api.groups import all_groups
from quire.web.api.roles import all_roles
from quire.web.api.users import get_user, list_users
from quire.web.deps import CurrentUser, DbSession
from quire.web.ui.admin.common import check, page_params, render_admin

router = APIRouter(prefix="/admin/users", include_in_schema=False)


@router.get("")
def users_page(request: Request, user: CurrentUser, db: DbSession) -> Response:
    check(user, scopes.USER_VIEW)
    listing = list_users(user, db, page_params(request))
    return render_admin(request, user, "admin/users.html", "users", {"listing": listing})


def _choices(user: CurrentUser, db: DbSession) -> dict[str, object]:
    return {"groups": all_groups(user, db), "roles": all_roles(user, db)}


@router.get("/new")
def new_user_page(request: Request, user: CurrentUser, db: DbSession) -> Response:
    check(user, scopes.USER_CREATE)
    context = {"account": None, **_choices(user, db)}
    return render_admin(request, user, "admin/user.html", "users", context)


@router.get("/{user_id}")
def user_page(user_id: uuid.UUID, request: Request, user: CurrentUser, db: DbSession) -> Response:
    check(user, scopes.USER_VIEW)
    context = {"account": get_user(user_id, user, db), **_choices(user, db)}
    return render_admin(request, user, "admin/user.html", "users", context)
