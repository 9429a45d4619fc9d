"""A listing's view state from the query string (sort, list or grid, page, page size), read
leniently: a page is a URL people edit and bookmark, so a bad value falls back to the default
instead of answering an error. The listing itself is the API's own (``node_views``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Literal, cast, get_args
from urllib.parse import urlencode

from starlette.requests import Request

from quire.web.api.common import MAX_PAGE_NUMBER, PageParams, Paginated
from quire.web.api.node_views import OrderBy

View = Literal["list", "grid"]
PAGE_SIZES = (50, 100, 200)
DEFAULT_PAGE_SIZE = 100
ORDERS: tuple[str, ...] = get_args(OrderBy)
# The list view's sortable columns: (order key, column title's msgid is in the template).
SORT_KEYS = ("title", "ctype", "updated_at", "created_at")


def lenient_int(text: str | None, default: int, low: int, high: int) -> int:
    try:
        value = int(text or "")
    except ValueError:
        return default
    return min(max(value, low), high)


def lenient_uuid(text: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(text or "")
    except ValueError:
        return None


@dataclass(frozen=True)
class ListingState:
    order: OrderBy | None
    view: View
    page: int
    size: int

    @classmethod
    def of(cls, request: Request, default_order: OrderBy | None = None) -> ListingState:
        query = request.query_params
        order = query.get("sort")
        view = query.get("view")
        size = lenient_int(query.get("size"), DEFAULT_PAGE_SIZE, 1, max(PAGE_SIZES))
        return cls(
            order=cast(OrderBy, order) if order in ORDERS else default_order,
            view="grid" if view == "grid" else "list",
            page=lenient_int(query.get("page"), 1, 1, MAX_PAGE_NUMBER),
            size=size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE,
        )

    @property
    def params(self) -> PageParams:
        return PageParams(page_size=self.size, page_number=self.page)

    def url(self, **changes: object) -> str:
        """This listing's query string with some of its state changed (a new sort starts at
        page 1)."""
        state = replace(self, **changes)  # type: ignore[arg-type]
        if "order" in changes or "size" in changes:
            state = replace(state, page=1)
        query = {
            "sort": state.order or "",
            "view": state.view,
            "page": state.page,
            "size": state.size,
        }
        return "?" + urlencode({key: value for key, value in query.items() if value})

    def sort_url(self, key: str) -> str:
        """The column's link: ascending, or descending if it is already ascending."""
        return self.url(order=f"-{key}" if self.order == key else key)

    def sorted_by(self, key: str) -> str | None:
        """``aria-sort`` of the column."""
        if self.order == key:
            return "ascending"
        if self.order == f"-{key}":
            return "descending"
        return None


def page_links(state: ListingState, listing: Paginated[object]) -> dict[str, str | None]:
    last = max(listing.num_pages, 1)
    page = state.page
    return {
        "first": state.url(page=1) if page > 1 else None,
        "previous": state.url(page=page - 1) if page > 1 else None,
        "next": state.url(page=page + 1) if page < last else None,
        "last": state.url(page=last) if page < last else None,
    }
