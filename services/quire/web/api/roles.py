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

from quire.core import models, scopes
from quire.core import roles as core_roles
from quire.web.api.common import (
    NoNul,
    PageParams,
    Paginated,
    page,
    page_params,
    refusals_as,
    rows_by_ids,
)
from quire.web.deps import DbSession, require

router = APIRouter(prefix="/roles", tags=["roles"])

RoleName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=150), NoNul
]


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
    with refusals_as({core_roles.RoleNameTaken: status.HTTP_409_CONFLICT}):
        role = core_roles.create_role(db, body.name, body.scopes)
    return RoleDetails.model_validate(role)


@router.patch("/{role_id}")
def update_role(
    role_id: uuid.UUID,
    body: UpdateRole,
    _user: Annotated[models.User, require(scopes.ROLE_UPDATE)],
    db: DbSession,
) -> RoleDetails:
    role = _get_role(db, role_id)
    with refusals_as({core_roles.RoleNameTaken: status.HTTP_409_CONFLICT}):
        core_roles.update_role(db, role, name=body.name, scopes=body.scopes)
    return RoleDetails.model_validate(role)


@router.delete("/{role_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_role(
    role_id: uuid.UUID,
    _user: Annotated[models.User, require(scopes.ROLE_DELETE)],
    db: DbSession,
) -> None:
    core_roles.delete_role(db, _get_role(db, role_id))
