"""Users: ``/users/me`` and the administration of accounts (Papermerge 3.5 shapes).

``/users/group-homes`` and ``/users/group-inboxes`` list the home and inbox folders of the
caller's groups, those made ``with_special_folders`` (``/groups``), by group name; declared
before ``/{user_id}``, which would otherwise take them for an id (a 422).

Each route needs only its own scope. (Upstream's ``/me`` handler shadowed the auth dependency, so
every later route in its file demanded ``user.me`` as well.) ``scopes`` in responses are the
user's effective scopes, sorted; the ``scopes`` that upstream's request bodies carry are ignored,
because scopes come from roles.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import cache
from typing import Annotated, NamedTuple

from fastapi import APIRouter, Depends, HTTPException, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, Uuid, bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from quire.core import models, scopes
from quire.core import users as core_users
from quire.core.models.users import users_groups
from quire.core.security import hash_password
from quire.core.users import UsernameTaken, create_user
from quire.web.api.common import (
    NoNul,
    PageParams,
    Paginated,
    commit_unique,
    json_response,
    page,
    page_params,
)
from quire.web.api.groups import Group, groups_by_ids
from quire.web.api.roles import Role, roles_by_ids
from quire.web.deps import DbSession, Storage, require, user_scopes

router = APIRouter(prefix="/users", tags=["users"])

Username = Annotated[str, Field(min_length=1, max_length=150), NoNul]
Email = Annotated[str, Field(max_length=254), NoNul]
Password = Annotated[str, Field(min_length=1, max_length=1024)]

# What user_scopes() reads, loaded up front instead of lazily per user.
_WITH_ACCESS = (
    selectinload(models.User.roles),
    selectinload(models.User.groups).selectinload(models.Group.roles),
)


class User(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    email: str
    created_at: datetime
    updated_at: datetime
    home_folder_id: uuid.UUID | None
    inbox_folder_id: uuid.UUID | None
    # Quire's own: where deleted nodes wait (GET /api/trash/).
    trash_folder_id: uuid.UUID | None = None
    is_superuser: bool = False
    is_active: bool = False
    scopes: list[str] = Field(default_factory=list)


class UserHome(BaseModel):
    group_name: str
    group_id: uuid.UUID
    home_id: uuid.UUID


class UserInbox(BaseModel):
    group_name: str
    group_id: uuid.UUID
    inbox_id: uuid.UUID


class UserDetails(User):
    groups: list[Group] = Field(default_factory=list)
    roles: list[Role] = Field(default_factory=list)


class CreateUser(BaseModel):
    username: Username
    email: Email = ""
    password: Password
    is_superuser: bool = False
    is_active: bool = True
    group_ids: list[uuid.UUID] = []
    role_ids: list[uuid.UUID] = []
    scopes: list[str] | None = None


class UpdateUser(BaseModel):
    """Fields left out (or null) stay as they are."""

    username: Username | None = None
    email: Email | None = None
    password: Password | None = None
    is_superuser: bool | None = None
    is_active: bool | None = None
    group_ids: list[uuid.UUID] | None = None
    role_ids: list[uuid.UUID] | None = None
    scopes: list[str] | None = None


class ChangeUserPassword(BaseModel):
    # Upstream acted on this id and ignored the path; here the path decides and this must match.
    user_id: uuid.UUID | None = Field(default=None, alias="userId")
    password: Password


def _out(user: models.User) -> User:
    return User.model_validate(user).model_copy(update={"scopes": sorted(user_scopes(user))})


def _details(user: models.User) -> UserDetails:
    details = UserDetails.model_validate(user)
    # From the roles as they are now: the user may be the caller, whose roles this request changed.
    return details.model_copy(update={"scopes": sorted(user_scopes(user, from_roles=True))})


def _get_user(db: Session, user_id: uuid.UUID) -> models.User:
    user = db.get(models.User, user_id, options=_WITH_ACCESS)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="User not found")
    return user


def _username_taken(username: str) -> str:
    return f"username {username!r} is already taken"


def _check_superuser_power(current: models.User, target: models.User | None, grants: bool) -> None:
    """Only a superuser may make a superuser or touch one: ``user.*`` scopes are not enough.

    Without this, anyone allowed to edit users could promote themselves or take over an
    administrator's account by resetting its password.
    """
    if current.is_superuser:
        return
    if grants or (target is not None and target.is_superuser):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="only a superuser can create or change a superuser"
        )


def _is_last_superuser(db: Session, user: models.User) -> bool:
    """Whether no one else could administer Quire without this user."""
    if not (user.is_superuser and user.is_active):
        return False
    others = db.scalar(
        select(func.count())
        .select_from(models.User)
        .where(models.User.is_superuser, models.User.is_active, models.User.id != user.id)
    )
    return not others


def _last_superuser() -> HTTPException:
    return HTTPException(
        status.HTTP_409_CONFLICT,
        detail="this is the last active superuser; make another user superuser first",
    )


@router.get("/me", response_model=User)
def me(user: Annotated[models.User, require(scopes.USER_ME)]) -> Response:
    return json_response(_out(user))


class GroupFolders(NamedTuple):
    group_name: str
    group_id: uuid.UUID
    home_id: uuid.UUID | None
    inbox_id: uuid.UUID | None


@cache
def _group_folders_statement() -> Select[str, uuid.UUID, uuid.UUID | None, uuid.UUID | None]:
    # Built once, with the user as a bound parameter: building it cost more than running it
    # (the folder pages' sidebar asks on every page, see web/ui/browse_pages.py).
    member = users_groups.c
    return (
        select(
            models.Group.name,
            models.Group.id,
            models.Group.home_folder_id,
            models.Group.inbox_folder_id,
        )
        .join(users_groups, member.group_id == models.Group.id)
        .where(member.user_id == bindparam("user_id", type_=Uuid))
        .where(
            or_(models.Group.home_folder_id.is_not(None), models.Group.inbox_folder_id.is_not(None))
        )
        .order_by(models.Group.name, models.Group.id)
    )


def group_folders(db: Session, user: models.User) -> list[GroupFolders]:
    """The caller's groups that have special folders, by name: one statement."""
    rows = db.execute(_group_folders_statement(), {"user_id": user.id})
    return [GroupFolders(name, group_id, home, inbox) for name, group_id, home, inbox in rows]


@router.get("/group-homes")
def group_homes(
    user: Annotated[models.User, require(scopes.NODE_VIEW)], db: DbSession
) -> list[UserHome]:
    """The home folders of the caller's groups (those that have one), by group name."""
    return [
        UserHome(group_name=row.group_name, group_id=row.group_id, home_id=row.home_id)
        for row in group_folders(db, user)
        if row.home_id is not None
    ]


@router.get("/group-inboxes")
def group_inboxes(
    user: Annotated[models.User, require(scopes.NODE_VIEW)], db: DbSession
) -> list[UserInbox]:
    """The inbox folders of the caller's groups (those that have one), by group name."""
    return [
        UserInbox(group_name=row.group_name, group_id=row.group_id, inbox_id=row.inbox_id)
        for row in group_folders(db, user)
        if row.inbox_id is not None
    ]


@router.get("/")
def list_users(
    _user: Annotated[models.User, require(scopes.USER_VIEW)],
    db: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
) -> Paginated[User]:
    query = select(models.User).options(*_WITH_ACCESS).order_by(models.User.username)
    return page(db, query, params, _out)


@router.get("/all")
def all_users(
    _user: Annotated[models.User, require(scopes.USER_SELECT)], db: DbSession
) -> list[User]:
    rows = db.scalars(select(models.User).options(*_WITH_ACCESS).order_by(models.User.username))
    return [_out(row) for row in rows]


@router.post("/", status_code=status.HTTP_201_CREATED)
def create(
    body: CreateUser,
    current: Annotated[models.User, require(scopes.USER_CREATE)],
    db: DbSession,
) -> User:
    _check_superuser_power(current, None, grants=body.is_superuser)
    groups = groups_by_ids(db, body.group_ids)
    roles = roles_by_ids(db, body.role_ids)
    try:
        user = create_user(
            db,
            username=body.username,
            password=body.password,
            email=body.email,
            is_superuser=body.is_superuser,
            is_active=body.is_active,
        )
    except (UsernameTaken, IntegrityError) as exc:
        db.rollback()
        raise HTTPException(
            status.HTTP_409_CONFLICT, detail=_username_taken(body.username)
        ) from exc
    user.groups = groups
    user.roles = roles
    commit_unique(db, _username_taken(body.username))
    return _out(user)


@router.get("/{user_id}")
def get_user(
    user_id: uuid.UUID,
    _user: Annotated[models.User, require(scopes.USER_VIEW)],
    db: DbSession,
) -> UserDetails:
    return _details(_get_user(db, user_id))


@router.patch("/{user_id}")
def update_user(
    user_id: uuid.UUID,
    body: UpdateUser,
    current: Annotated[models.User, require(scopes.USER_UPDATE)],
    db: DbSession,
) -> UserDetails:
    user = _get_user(db, user_id)
    _check_superuser_power(current, user, grants=bool(body.is_superuser))
    demoted = body.is_superuser is False or body.is_active is False
    if demoted and _is_last_superuser(db, user):
        raise _last_superuser()
    # Looked up before anything changes, so that no autoflush can fail half-way.
    groups = None if body.group_ids is None else groups_by_ids(db, body.group_ids)
    roles = None if body.role_ids is None else roles_by_ids(db, body.role_ids)
    for field in ("username", "email", "is_superuser", "is_active"):
        value = getattr(body, field)
        if value is not None:
            setattr(user, field, value)
    if body.password is not None:
        user.password = hash_password(body.password)
    if groups is not None:
        user.groups = groups
    if roles is not None:
        user.roles = roles
    commit_unique(db, _username_taken(user.username))
    return _details(user)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_user(
    user_id: uuid.UUID,
    current: Annotated[models.User, require(scopes.USER_DELETE)],
    db: DbSession,
    storage: Storage,
) -> None:
    """Delete the user with everything they own: documents, their files and index entries."""
    user = _get_user(db, user_id)
    _check_superuser_power(current, user, grants=False)
    # Only a superuser may delete a superuser, and not themselves: the last one always stays.
    if user.id == current.id:
        raise HTTPException(status.HTTP_409_CONFLICT, detail="you cannot delete your own account")
    core_users.delete_user(db, storage, user.id)


@router.post("/{user_id}/change-password")
def change_password(
    user_id: uuid.UUID,
    body: ChangeUserPassword,
    current: Annotated[models.User, require(scopes.USER_UPDATE)],
    db: DbSession,
) -> UserDetails:
    if body.user_id is not None and body.user_id != user_id:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            detail=f"userId {body.user_id} in the body does not match {user_id} in the path",
        )
    user = _get_user(db, user_id)
    _check_superuser_power(current, user, grants=False)
    user.password = hash_password(body.password)
    db.commit()
    return _details(user)
