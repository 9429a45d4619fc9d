"""What the routers share: pagination in upstream's shape, and lookups that never leak.

Access rule (``quire.core.access``, through ``accessible``): a node is visible to its owner and
to those it (or a folder above it) is shared with. Anything else — another user's unshared node
or an id that does not exist — is the same 404, so nobody can learn that a node exists. A node
the caller sees but whose share does not allow the action is a 403: it reveals nothing they do
not know. (Upstream answered 403 for all three; 404 keeps the first two alike *and* honest.)
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Annotated, Generic, TypeVar

from fastapi import HTTPException, Query, Response, status
from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quire.core import access, scopes
from quire.core.models import Node, User

T = TypeVar("T")
RowT = TypeVar("RowT")
ItemT = TypeVar("ItemT")
NodeT = TypeVar("NodeT", bound=Node)

# Paging bounds of every list endpoint. The deepest offset, (MAX_PAGE_NUMBER - 1) *
# MAX_PAGE_SIZE, is just under 10^9: it fits every database's LIMIT/OFFSET (a signed 32-bit
# integer, even) and SQLite's driver, where an unbounded page_number overflowed into a 500.
# Nobody pages a billion rows by hand.
MAX_PAGE_SIZE = 1000
MAX_PAGE_NUMBER = 1_000_000
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE_NUMBER)]


def _without_nul(value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise ValueError("must not contain the NUL character (U+0000)")
    return value


# For every text the API takes that reaches the database: names, titles, descriptions, list
# filters (``Annotated[str, ..., NoNul]``). PostgreSQL refuses NUL in text (that was a 500)
# while SQLite and MariaDB store it; refused on all three, a 422 naming the field.
# (Custom-field text values are checked by their converter, ``core.custom_fields``.)
NoNul = AfterValidator(_without_nul)


class Paginated(BaseModel, Generic[ItemT]):
    page_size: int
    page_number: int
    num_pages: int
    items: list[ItemT]


def json_response(shown: BaseModel, *, serialize_as_any: bool = False) -> Response:
    """What FastAPI answers for a returned model, written here: for a plain ``def`` endpoint
    FastAPI validates what it returns again, in another trip to its thread pool, before it writes
    it. Declare the model as the route's ``response_model`` for the API document.

    ``serialize_as_any`` writes each nested model with its own serializer: faster through a
    union, but only for models known to be exactly the declared ones (a subclass would show its
    extra fields)."""
    body = shown.model_dump_json(by_alias=True, serialize_as_any=serialize_as_any)
    return Response(body, media_type="application/json")


class PageParams(BaseModel):
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 5
    page_number: Annotated[int, Field(ge=1, le=MAX_PAGE_NUMBER)] = 1

    @property
    def offset(self) -> int:
        return (self.page_number - 1) * self.page_size


# async: FastAPI runs a plain def dependency in its thread pool, a hop to read the query.
async def page_params(page_size: PageSize = 5, page_number: PageNumber = 1) -> PageParams:
    return PageParams(page_size=page_size, page_number=page_number)


def paginate(
    db: Session,
    query: Select[T],
    params: PageParams,
    count: Select[int] | None = None,
) -> tuple[list[T], int]:
    """One page of ``query``'s rows, and the number of pages.

    ``count`` is a cheaper query for the total where the page's query joins what counting
    does not need.
    """
    if count is None:
        count = select(func.count()).select_from(query.order_by(None).subquery())
    total = db.scalar(count) or 0
    rows = list(db.scalars(query.limit(params.page_size).offset(params.offset)))
    return rows, math.ceil(total / params.page_size)


def page(
    db: Session, query: Select[T], params: PageParams, to_item: Callable[[T], ItemT]
) -> Paginated[ItemT]:
    """One page of ``query``'s rows, each made an item by ``to_item``."""
    rows, num_pages = paginate(db, query, params)
    return Paginated[ItemT](
        page_size=params.page_size,
        page_number=params.page_number,
        num_pages=num_pages,
        items=[to_item(row) for row in rows],
    )


def rows_by_ids(db: Session, model: type[RowT], ids: Iterable[uuid.UUID], what: str) -> list[RowT]:
    """The rows of ``model`` with these ids; any unknown id is a 422 naming it."""
    wanted = set(ids)
    found = list(db.scalars(select(model).where(model.id.in_(wanted))))  # type: ignore[attr-defined]
    missing = wanted - {row.id for row in found}  # type: ignore[attr-defined]
    if missing:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"unknown {what} ids: {', '.join(sorted(map(str, missing)))}",
        )
    return found


def commit_unique(db: Session, conflict: str) -> None:
    """Commit; a unique name taken meanwhile, even by a concurrent request, becomes a 409."""
    try:
        db.commit()
    except IntegrityError as exc:
        db.rollback()
        raise HTTPException(status.HTTP_409_CONFLICT, detail=conflict) from exc


@contextmanager
def refusals_as(answers: dict[type[Exception], int]) -> Iterator[None]:
    """Answer a core operation's refusals over HTTP: each exception type with its status code,
    the exception's message as the detail."""
    try:
        yield
    except tuple(answers) as exc:
        code = next(code for kind, code in answers.items() if isinstance(exc, kind))
        raise HTTPException(code, detail=str(exc)) from exc


def not_found(what: str = "Not Found") -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=what)


@contextmanager
def _access_refusals() -> Iterator[None]:
    try:
        yield
    except access.NotVisible as exc:
        raise not_found() from exc
    except access.NotPermitted as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=str(exc)) from exc


def accessible(
    db: Session, user: User, node_id: uuid.UUID, kind: type[NodeT], perm: str = scopes.NODE_VIEW
) -> tuple[NodeT, access.NodeAccess]:
    """The node and the user's access to it, if they may see it and do ``perm`` with it."""
    with _access_refusals():
        return access.find(db, user, node_id, kind, perm)


def folder_access(
    db: Session, user: User, folder_id: uuid.UUID, perm: str = scopes.NODE_VIEW
) -> access.NodeAccess:
    """``accessible`` for a folder whose access is all a request needs, not loading it."""
    with _access_refusals():
        return access.find_access(db, user, folder_id, "folder", perm)


def accessible_node(
    db: Session, user: User, node_id: uuid.UUID, kind: type[NodeT], perm: str = scopes.NODE_VIEW
) -> NodeT:
    """``accessible`` without the access: 404 if unseen, 403 if seen but not allowed."""
    return accessible(db, user, node_id, kind, perm)[0]
