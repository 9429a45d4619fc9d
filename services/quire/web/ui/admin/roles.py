"""``/admin/roles``: roles (``role.view``), each a name and its scopes, chosen from
``core/scopes.py``'s, grouped by what they are about (the part before the dot)."""

from __future__ import annotations

import uuid
from itertools import groupby

from fastapi import APIRouter, Request
from starlette.responses import Response

from quire.core import scopes
from quire.web.api.roles import get_role, list_roles
from quire.web.deps import CurrentUser, DbSession
from quire.web.ui.admin.common import check, page_params, render_admin

router = APIRouter(prefix="/admin/roles", include_in_schema=False)


def scope_groups() -> list[tuple[str, list[str]]]:
    """Every scope, by subject: ``[("node", ["node.create", ...]), ...]``."""
    ordered = sorted(scopes.ALL_SCOPES)
    return [
        (subject, list(names))
        for subject, names in groupby(ordered, key=lambda name: name.split(".")[0])
    ]


@router.get("")
def roles_page(request: Request, user: CurrentUser, db: DbSession) -> Response:
    check(user, scopes.ROLE_VIEW)
    listing = list_roles(user, db, page_params(request))
    return render_admin(request, user, "admin/roles.html", "roles", {"listing": listing})


@router.get("/new")
def new_role_page(request: Request, user: CurrentUser) -> Response:
    check(user, scopes.ROLE_CREATE)
    context = {"role": None, "scope_groups": scope_groups()}
    return render_admin(request, user, "admin/role.html", "roles", context)


@router.get("/{role_id}")
def role_page(role_id: uuid.UUID, request: Request, user: CurrentUser, db: DbSession) -> Response:
    check(user, scopes.ROLE_VIEW)
    context = {"role": get_role(role_id, user, db), "scope_groups": scope_groups()}
    return render_admin(request, user, "admin/role.html", "roles", context)
