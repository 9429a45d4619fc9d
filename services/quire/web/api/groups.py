"""Groups of users; a group's roles give its members their scopes (Papermerge 3.5 shapes).

Beyond upstream, a group may carry ``role_ids`` and its details list its roles. POST and PATCH
answer ``GroupDetails``, a superset of upstream's ``Group``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from quire.core import models, scopes
from quire.web.api.common import (
    NoNul,
    PageParams,
    Paginated,
    commit_unique,
    page,
    page_params,
    rows_by_ids,
)
from quire.web.api.roles import Role, roles_by_ids
from quire.web.deps import DbSession, require

router = APIRouter(prefix="/groups", tags=["groups"])

GroupName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=150), NoNul
]


class Group(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    # Upstream's response echoes its request flags; they mean nothing in a response.
    delete_me: bool | None = False
    delete_special_folders: bool | None = False
    # Groups have no home or inbox folder until group-owned nodes exist.
    home_folder_id: uuid.UUID | None = None
    inbox_folder_id: uuid.UUID | None = None


class GroupDetails(Group):
    roles: list[Role] = []


class CreateGroup(BaseModel):
    name: GroupName
    # Accepted for upstream clients and ignored: group folders come with group-owned nodes.
    with_special_folders: bool = False
    role_ids: list[uuid.UUID] = []


class UpdateGroup(BaseModel):
    name: GroupName | None = None
    # Accepted for upstream clients and ignored, as in CreateGroup.
    with_special_folders: bool | None = None
    delete_special_folders: bool | None = None
    role_ids: list[uuid.UUID] | None = None


def groups_by_ids(db: Session, ids: Iterable[uuid.UUID]) -> list[models.Group]:
    return rows_by_ids(db, models.Group, ids, "group")


def _get_group(db: Session, group_id: uuid.UUID) -> models.Group:
    group = db.get(models.Group, group_id, options=[selectinload(models.Group.roles)])
    if group is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Group not found")
    return group


@router.get("/all")
def all_groups(
    _user: Annotated[models.User, require(scopes.GROUP_SELECT)], db: DbSession
) -> list[Group]:
    rows = db.scalars(select(models.Group).order_by(models.Group.name))
    return [Group.model_validate(row) for row in rows]


@router.get("/")
def list_groups(
    _user: Annotated[models.User, require(scopes.GROUP_VIEW)],
    db: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
) -> Paginated[Group]:
    query = select(models.Group).order_by(models.Group.name, models.Group.id)
    return page(db, query, params, Group.model_validate)


@router.get("/{group_id}")
def get_group(
    group_id: uuid.UUID,
    _user: Annotated[models.User, require(scopes.GROUP_VIEW)],
    db: DbSession,
) -> GroupDetails:
    return GroupDetails.model_validate(_get_group(db, group_id))


@router.post("/", status_code=status.HTTP_201_CREATED)
def create_group(
    body: CreateGroup,
    _user: Annotated[models.User, require(scopes.GROUP_CREATE)],
    db: DbSession,
) -> GroupDetails:
    group = models.Group(name=body.name, roles=roles_by_ids(db, body.role_ids))
    db.add(group)
    commit_unique(db, f"a group named {body.name!r} already exists")
    return GroupDetails.model_validate(group)


@router.patch("/{group_id}")
def update_group(
    group_id: uuid.UUID,
    body: UpdateGroup,
    _user: Annotated[models.User, require(scopes.GROUP_UPDATE)],
    db: DbSession,
) -> GroupDetails:
    group = _get_group(db, group_id)
    # Looked up before anything changes, so that no autoflush can fail half-way.
    roles = None if body.role_ids is None else roles_by_ids(db, body.role_ids)
    if body.name is not None:
        group.name = body.name
    if roles is not None:
        group.roles = roles
    commit_unique(db, f"a group named {group.name!r} already exists")
    return GroupDetails.model_validate(group)


@router.delete("/{group_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_group(
    group_id: uuid.UUID,
    _user: Annotated[models.User, require(scopes.GROUP_DELETE)],
    db: DbSession,
) -> None:
    db.delete(_get_group(db, group_id))
    db.commit()
