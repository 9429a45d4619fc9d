"""Groups of users; a group's roles give its members their scopes (Papermerge 3.5 shapes).

``with_special_folders: true`` (POST, or PATCH for a group without them; asking again changes
nothing) gives the group a home, an inbox and a trash: what is placed there is the group's, and
every member owns it (``core/ownership.py``). PATCH with ``with_special_folders: false`` (as
upstream) or ``delete_special_folders: true`` takes them away again, at once rather than by a
background task; leaving both out keeps them. That, and DELETE of the group, are refused with 409
while its home or inbox holds anything.
Beyond upstream, a group may carry ``role_ids`` and its details list its roles. POST and PATCH
answer ``GroupDetails``, a superset of upstream's ``Group``. The writes are ``core/groups.py``'s.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from quire.core import groups as core_groups
from quire.core import models, scopes
from quire.web.api.common import (
    NoNul,
    PageParams,
    Paginated,
    page,
    page_params,
    refusals_as,
    rows_by_ids,
)
from quire.web.api.roles import Role, roles_by_ids
from quire.web.deps import DbSession, Storage, require

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
    # Set for a group made with_special_folders.
    home_folder_id: uuid.UUID | None = None
    inbox_folder_id: uuid.UUID | None = None


class GroupDetails(Group):
    roles: list[Role] = []


class CreateGroup(BaseModel):
    name: GroupName
    with_special_folders: bool = False
    role_ids: list[uuid.UUID] = []


class UpdateGroup(BaseModel):
    name: GroupName | None = None
    with_special_folders: bool | None = None
    delete_special_folders: bool | None = None
    role_ids: list[uuid.UUID] | None = None


_REFUSALS: dict[type[Exception], int] = {
    core_groups.GroupNameTaken: status.HTTP_409_CONFLICT,
    core_groups.GroupOwnsNodes: status.HTTP_409_CONFLICT,
}


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
    user: Annotated[models.User, require(scopes.GROUP_CREATE)],
    db: DbSession,
) -> GroupDetails:
    roles = roles_by_ids(db, body.role_ids)
    with refusals_as({core_groups.GroupNameTaken: status.HTTP_409_CONFLICT}):
        group = core_groups.create_group(
            db,
            name=body.name,
            roles=roles,
            with_special_folders=body.with_special_folders,
            by=user.id,
        )
    return GroupDetails.model_validate(group)


@router.patch("/{group_id}")
def update_group(
    group_id: uuid.UUID,
    body: UpdateGroup,
    user: Annotated[models.User, require(scopes.GROUP_UPDATE)],
    db: DbSession,
    storage: Storage,
) -> GroupDetails:
    group = _get_group(db, group_id)
    # Looked up before anything changes, so that no autoflush can fail half-way.
    roles = None if body.role_ids is None else roles_by_ids(db, body.role_ids)
    with refusals_as(_REFUSALS):
        core_groups.update_group(
            db,
            storage,
            group,
            name=body.name,
            roles=roles,
            special_folders=_special_folders(body),
            by=user.id,
        )
    return GroupDetails.model_validate(_get_group(db, group_id))


def _special_folders(body: UpdateGroup) -> bool | None:
    """Wanted (True), not wanted (False), or left as they are (None)."""
    if body.with_special_folders is not None:
        return body.with_special_folders
    return False if body.delete_special_folders else None


@router.delete("/{group_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_group(
    group_id: uuid.UUID,
    _user: Annotated[models.User, require(scopes.GROUP_DELETE)],
    db: DbSession,
    storage: Storage,
) -> None:
    """Delete the group with its folders; 409 while its home or inbox holds anything."""
    with refusals_as(_REFUSALS):
        core_groups.delete_group(db, storage, _get_group(db, group_id))
