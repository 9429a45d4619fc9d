"""The shapes of the page operations, as Papermerge 3.5.3 names them (``PageAndRotOp``,
``MovePagesIn``...), and of ``POST /api/documents/merge`` (ours)."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from quire.core.page_operations import (
    TITLE_SUFFIX_LENGTH,
    ExtractStrategy,
    MoveStrategy,
    Position,
)
from quire.core.titles import MAX_TITLE
from quire.web.api.common import NoNul
from quire.web.api.node_schemas import DocumentOut, NodeOut

# Upper bounds of a request: far above any real document (MAIN__MAX_PAGES_PER_DOCUMENT is
# checked on the result), low enough that a hostile list costs little.
MAX_IDS = 10_000
# A page turns by a multiple of 90 degrees; ten full turns either way is already absurd.
MAX_ANGLE = 3600


def _right_angle(angle: int) -> int:
    if angle % 90:
        raise ValueError("must be a multiple of 90")
    return angle


PageIds = Annotated[list[uuid.UUID], Field(min_length=1, max_length=MAX_IDS)]


class MovePage(BaseModel):
    id: uuid.UUID
    number: int = Field(ge=1, description="the page's number in its version (checked)")


class PageAndRotOp(BaseModel):
    page: MovePage
    angle: Annotated[int, Field(ge=-MAX_ANGLE, le=MAX_ANGLE), AfterValidator(_right_angle)] = Field(
        default=0, description="clockwise degrees relative to the current rotation (90k)"
    )


PageAndRotOps = Annotated[list[PageAndRotOp], Field(min_length=1, max_length=MAX_IDS)]


class MovePagesIn(BaseModel):
    source_page_ids: PageIds
    target_page_id: uuid.UUID
    move_strategy: MoveStrategy
    position: Position = Field(
        default=Position.BEFORE,
        description="(not in Papermerge) mix: before the target page (upstream's) or after it",
    )


class MovePagesOut(BaseModel):
    source: DocumentOut | None
    target: DocumentOut


class ExtractPagesIn(BaseModel):
    source_page_ids: PageIds
    target_folder_id: uuid.UUID
    strategy: ExtractStrategy
    title_format: Annotated[
        str,
        StringConstraints(min_length=1, max_length=MAX_TITLE - TITLE_SUFFIX_LENGTH),
        NoNul,
    ]


class ExtractPagesOut(BaseModel):
    source: DocumentOut | None
    target: list[NodeOut]


class MergeDocumentsIn(BaseModel):
    source_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=1000)]
    target_id: uuid.UUID
