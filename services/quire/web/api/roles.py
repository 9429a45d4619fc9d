"""Roles: named sets of permission scopes, given to users and groups (Papermerge 3.5 shapes).

Upstream guarded ``GET /roles/`` with ``group.view`` (a copy-paste slip); here it needs
``role.view``. POST and PATCH answer ``RoleDetails``, a superset of upstream's ``Role``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from quire.core import models, scopes, sharing
from quire.web.api.common import (
    PageParams,
    Paginated,
    commit_unique,
    page,
    page_params,
    rows_by_ids,
)
from quire.web.deps import DbSession, require

router = APIRouter(prefix="/roles", tags=["roles"])

RoleName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=150)]


def _known_scopes(names: list[str]) -> list[str]:
    unknown = sorted(set(names) - scopes.ALL_SCOPES)
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(unknown)}")
    return sorted(set(names))


ScopeNames = Annotated[list[str], AfterValidator(_known_scopes)]


class Role(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str


class RoleDetails(Role):
    scopes: list[str]


class CreateRole(BaseModel):
    name: RoleName
    scopes: ScopeNames = []


class UpdateRole(BaseModel):
    name: RoleName | None = None
    scopes: ScopeNames | None = None


def roles_by_ids(db: Session, ids: Iterable[uuid.UUID]) -> list[models.Role]:
    return rows_by_ids(db, models.Role, ids, "role")


def _get_role(db: Session, role_id: uuid.UUID) -> models.Role:
    role = db.get(models.Role, role_id)
    if role is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Role not found")
    return role


def _set_scopes(role: models.Role, names: list[str]) -> None:
    # Rows that stay are kept rather than deleted and re-inserted with the same primary key.
    keep = [row for row in role.scope_rows if row.scope in names]
    kept = {row.scope for row in keep}
    role.scope_rows = keep + [models.RoleScope(scope=name) for name in names if name not in kept]


@router.get("/all")
def all_roles(
    _user: Annotated[models.User, require(scopes.ROLE_SELECT)], db: DbSession
) -> list[Role]:
    rows = db.scalars(select(models.Role).order_by(models.Role.name))
    return [Role.model_validate(row) for row in rows]


@router.get("/")
def list_roles(
    _user: Annotated[models.User, require(scopes.ROLE_VIEW)],
    db: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
) -> Paginated[Role]:
    query = select(models.Role).order_by(models.Role.name, models.Role.id)
    return page(db, query, params, Role.model_validate)


@router.get("/{role_id}")
def get_role(
    role_id: uuid.UUID,
    _user: Annotated[models.User, require(scopes.ROLE_VIEW)],
    db: DbSession,
) -> RoleDetails:
    return RoleDetails.model_validate(_get_role(db, role_id))


@router.post("/", status_code=status.HTTP_201_CREATED)
def create_role(
    body: CreateRole,
    _user: Annotated[models.User, require(scopes.ROLE_CREATE)],
    db: DbSession,
) -> RoleDetails:
    role = models.Role(name=body.name)
    _set_scopes(role, body.scopes)
    db.add(role)
    commit_unique(db, f"a role named {body.name!r} already exists")
    return RoleDetails.model_validate(role)


@router.patch("/{role_id}")
def update_role(
    role_id: uuid.UUID,
    body: UpdateRole,
    _user: Annotated[models.User, require(scopes.ROLE_UPDATE)],
    db: DbSession,
) -> RoleDetails:
    role = _get_role(db, role_id)
    if body.scopes is not None:
        # Gaining or losing node.view changes who may find the nodes shared under this role.
        sharing.role_changed(db, role.id, set(role.scopes), set(body.scopes))
        _set_scopes(role, body.scopes)
    # Renamed after those queries: their autoflush would write a name already taken outside
    # commit_unique, a 500 instead of the 409.
    if body.name is not None:
        role.name = body.name
    commit_unique(db, f"a role named {role.name!r} already exists")
    return RoleDetails.model_validate(role)


@router.delete("/{role_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_role(
    role_id: uuid.UUID,
    _user: Annotated[models.User, require(scopes.ROLE_DELETE)],
    db: DbSession,
) -> None:
    # The database drops the role from its users, groups and shares (ON DELETE CASCADE).
    role = _get_role(db, role_id)
    sharing.role_changed(db, role.id, set(role.scopes), set())
    db.delete(role)
    db.commit()
