"""Tags: each user's own coloured labels (Papermerge 3.5 shapes).

A tag belongs to exactly one user. Another user's tag answers the same 404 as an id that does not
exist, so nobody learns that it exists. Unlike upstream, PATCH applies ``pinned`` too.

``Tag`` (the full shape) and ``NodeTag`` (the short one embedded in nodes) are also the nodes
router's schemas.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, field_validator
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from quire.core import models, scopes
from quire.core import tags as core_tags
from quire.web.api.common import NoNul, PageParams, Paginated, json_response, page, page_params
from quire.web.deps import DbSession, require

router = APIRouter(prefix="/tags", tags=["tags"])

DEFAULT_BG_COLOR = "#c41fff"
DEFAULT_FG_COLOR = "#ffffff"

TagName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul
]
Color = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$"), AfterValidator(str.lower)]
Description = Annotated[str, StringConstraints(max_length=500), NoNul]


class NodeTag(BaseModel):
    """A tag as embedded in a node: upstream 3.5 gives it no id."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    bg_color: str = DEFAULT_BG_COLOR
    fg_color: str = DEFAULT_FG_COLOR


class Tag(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    bg_color: str = DEFAULT_BG_COLOR
    fg_color: str = DEFAULT_FG_COLOR
    description: str | None = None
    pinned: bool = False
    # Upstream's group-owned tags; every Quire tag belongs to one user, so these stay null.
    group_id: uuid.UUID | None = None
    group_name: str | None = None


class _TagInput(BaseModel):
    group_id: uuid.UUID | None = None

    @field_validator("group_id")
    @classmethod
    def _no_group_tags(cls, value: uuid.UUID | None) -> None:
        if value is not None:
            raise ValueError("group-owned tags are not supported; leave group_id empty")


class CreateTag(_TagInput):
    name: TagName
    bg_color: Color = DEFAULT_BG_COLOR
    fg_color: Color = DEFAULT_FG_COLOR
    description: Description | None = None
    pinned: bool = False


class UpdateTag(_TagInput):
    """Fields left out stay as they are; ``description: null`` clears the description."""

    name: TagName | None = None
    bg_color: Color | None = None
    fg_color: Color | None = None
    description: Description | None = None
    pinned: bool | None = None


class TagOrder(StrEnum):
    by_name = "name"
    by_name_desc = "-name"
    by_pinned = "pinned"
    by_pinned_desc = "-pinned"


_ORDER: dict[TagOrder, tuple[ColumnElement[Any], ...]] = {
    TagOrder.by_name: (models.Tag.name.asc(),),
    TagOrder.by_name_desc: (models.Tag.name.desc(),),
    TagOrder.by_pinned: (models.Tag.pinned.asc(), models.Tag.name.asc()),
    TagOrder.by_pinned_desc: (models.Tag.pinned.desc(), models.Tag.name.asc()),
}


def _own_tags(user: models.User) -> Select[models.Tag]:
    return select(models.Tag).where(models.Tag.user_id == user.id)


def _own_tag(db: Session, user: models.User, tag_id: uuid.UUID) -> models.Tag:
    tag = db.get(models.Tag, tag_id)
    if tag is None or tag.user_id != user.id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Tag not found")
    return tag


def _matching(query: Select[models.Tag], text: str | None) -> Select[models.Tag]:
    if not text:
        return query
    return query.where(
        or_(
            models.Tag.name.icontains(text, autoescape=True),
            models.Tag.description.icontains(text, autoescape=True),
        )
    )


@router.get("/", response_model=Paginated[Tag])
def list_tags(
    user: Annotated[models.User, require(scopes.TAG_VIEW)],
    db: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    text: Annotated[str | None, Query(alias="filter", max_length=200), NoNul] = None,
    order_by: TagOrder = TagOrder.by_name,
) -> Response:
    query = _matching(_own_tags(user), text).order_by(*_ORDER[order_by], models.Tag.id)
    return json_response(page(db, query, params, Tag.model_validate))


@router.get("/all")
def all_tags(
    user: Annotated[models.User, require(scopes.TAG_SELECT)],
    db: DbSession,
    group_id: uuid.UUID | None = None,
) -> list[Tag]:
    if group_id is not None:
        # Upstream lists a group's tags here; there are no group-owned tags (yet).
        return []
    rows = db.scalars(_own_tags(user).order_by(models.Tag.name, models.Tag.id))
    return [Tag.model_validate(row) for row in rows]


@router.get("/{tag_id}")
def get_tag(
    tag_id: uuid.UUID,
    user: Annotated[models.User, require(scopes.TAG_VIEW)],
    db: DbSession,
) -> Tag:
    return Tag.model_validate(_own_tag(db, user, tag_id))


@router.post("/", status_code=status.HTTP_201_CREATED)
def create_tag(
    body: CreateTag,
    user: Annotated[models.User, require(scopes.TAG_CREATE)],
    db: DbSession,
) -> Tag:
    try:
        tag = core_tags.create_tag(db, user.id, **body.model_dump(exclude={"group_id"}))
    except core_tags.TagNameTaken as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
    return Tag.model_validate(tag)


@router.patch("/{tag_id}")
def update_tag(
    tag_id: uuid.UUID,
    body: UpdateTag,
    user: Annotated[models.User, require(scopes.TAG_UPDATE)],
    db: DbSession,
) -> Tag:
    tag = _own_tag(db, user, tag_id)
    try:
        core_tags.update_tag(db, tag, body.model_dump(exclude_unset=True, exclude={"group_id"}))
    except core_tags.TagNameTaken as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
    return Tag.model_validate(tag)


@router.delete("/{tag_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_tag(
    tag_id: uuid.UUID,
    user: Annotated[models.User, require(scopes.TAG_DELETE)],
    db: DbSession,
) -> None:
    core_tags.delete_tag(db, _own_tag(db, user, tag_id))
