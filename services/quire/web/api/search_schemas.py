"""Bodies and answers of the search API, and structured filters as query trees."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from quire.search.backend import MAX_RESULT_WINDOW
from quire.search.query import Exact, InFolder, Node, Not, Or, Range, all_of

MAX_SEARCH_PAGE_SIZE = 100
# A page must lie within the engines' window (offset + limit <= MAX_RESULT_WINDOW); this bound
# keeps the arithmetic small, the engine refuses the rest (a 400 naming the window).
MAX_SEARCH_PAGE_NUMBER = MAX_RESULT_WINDOW
Name = Annotated[str, Field(min_length=1, max_length=200)]


class TagFilter(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    any: list[Name] = Field(default=[], description="at least one of these tags")
    all: list[Name] = Field(default=[], description="every one of these tags")
    not_: list[Name] = Field(default=[], alias="not", description="none of these tags")


Comparison = Literal["eq", "ne", "gt", "gte", "lt", "lte"]
SearchSort = Literal["score", "title", "created", "updated"]


class CustomFieldFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[\w .-]+$")]
    op: Comparison = "eq"
    value: bool | int | float | date | Annotated[str, Field(max_length=500)]


class DateRange(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    from_: date | datetime | None = Field(default=None, alias="from")
    to: date | datetime | None = None


class SearchBody(BaseModel):
    """``POST /api/search/``: a query string and structured filters, all of which must hold."""

    model_config = ConfigDict(extra="forbid")

    q: Annotated[str, Field(max_length=2000)] = ""
    tags: TagFilter | None = None
    types: list[Name] = Field(default=[], description="any of these document types")
    custom_fields: list[CustomFieldFilter] = []
    created: DateRange | None = None
    updated: DateRange | None = None
    folder_id: uuid.UUID | None = Field(default=None, description="only below this folder")
    ctype: Literal["document", "folder"] | None = None
    sort: SearchSort = "score"
    order: Literal["asc", "desc"] = "desc"
    page_number: Annotated[int, Field(ge=1, le=MAX_SEARCH_PAGE_NUMBER)] = 1
    page_size: Annotated[int, Field(ge=1, le=MAX_SEARCH_PAGE_SIZE)] = 10

    def filters(self) -> Node:
        """The structured filters as one query tree (before binding)."""
        parts: list[Node] = []
        if self.tags is not None:
            parts.extend(_tags(self.tags))
        if self.types:
            parts.append(Or(tuple(Exact("type", name) for name in self.types)))
        parts.extend(_custom_field(f) for f in self.custom_fields)
        for field, period in (("created", self.created), ("updated", self.updated)):
            if period is not None and (period.from_ or period.to):
                low, high = (
                    None if v is None else v.isoformat() for v in (period.from_, period.to)
                )
                parts.append(Range(field, low, high))
        if self.folder_id is not None:
            parts.append(InFolder(str(self.folder_id)))
        if self.ctype is not None:
            parts.append(Exact("ctype", self.ctype))
        return all_of(*parts)


def _tags(tags: TagFilter) -> list[Node]:
    parts: list[Node] = [Exact("tag", name) for name in tags.all]
    if tags.any:
        parts.append(Or(tuple(Exact("tag", name) for name in tags.any)))
    if tags.not_:
        parts.append(Not(Or(tuple(Exact("tag", name) for name in tags.not_))))
    return parts


def _custom_field(condition: CustomFieldFilter) -> Node:
    field = f"cf.{condition.name}"
    value = condition.value
    text = value.isoformat() if isinstance(value, date) else str(value).lower()
    if condition.op in ("eq", "ne"):
        equal = Exact(field, text)
        return equal if condition.op == "eq" else Not(equal)
    low = text if condition.op in ("gt", "gte") else None
    high = text if condition.op in ("lt", "lte") else None
    return Range(
        field,
        low,
        high,
        include_low=condition.op != "gt",
        include_high=condition.op != "lt",
    )


class PageMatch(BaseModel):
    number: int
    page_id: uuid.UUID | None
    snippet: str = Field(description="HTML-escaped text around the match, matches in <mark>")


class SearchHit(BaseModel):
    id: uuid.UUID
    title: str
    ctype: Literal["document", "folder"]
    # Upstream's names for the same facts, for its clients.
    entity_type: Literal["document", "folder"]
    document_id: uuid.UUID | None
    parent_id: uuid.UUID | None
    tags: list[str]
    lang: str
    score: float | None
    page_count: int | None
    # The best matching page, as upstream answered per page.
    page_number: int | None
    matching_pages: int
    pages: list[PageMatch]
    created_at: datetime
    updated_at: datetime


class SearchResults(BaseModel):
    page_size: int
    page_number: int
    num_pages: int
    total: int
    items: list[SearchHit]
