"""The search page's filters as UI controls, read from its query string into the API's own
``SearchBody`` (the structured filters of ``POST /api/search/``), so a filtered search is a link.

    q=invoice&tags=paid,2026&type=Invoice&cf=amount&cf_op=gte&cf_value=100
    &created_from=2026-01-01&created_to=2026-03-31&updated_from=...&kind=document&sort=created

``tags`` are all required (comma-separated), ``type`` may repeat (any of them), one custom-field
condition, date ranges inclusive, ``kind`` documents or folders only. Empty controls are no
filter. A value the API refuses (a malformed date, an unknown comparison) is said on the page
in the API's words, like a malformed query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, get_args
from urllib.parse import urlencode

from pydantic import ValidationError
from starlette.datastructures import QueryParams

from quire.web.api.search_schemas import Comparison, SearchBody, SearchSort

MAX_QUERY = 2000
MAX_TAGS = 50
# The controls' names, in the order a link lists them.
FILTER_KEYS = (
    "tags",
    "type",
    "cf",
    "cf_op",
    "cf_value",
    "created_from",
    "created_to",
    "updated_from",
    "updated_to",
    "kind",
    "sort",
)
CF_OPS: tuple[str, ...] = get_args(Comparison)
SORTS: tuple[str, ...] = get_args(SearchSort)


@dataclass(frozen=True)
class SearchForm:
    """What the search page's controls hold."""

    q: str = ""
    tags: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    cf: str = ""
    cf_op: str = "eq"
    cf_value: str = ""
    created_from: str = ""
    created_to: str = ""
    updated_from: str = ""
    updated_to: str = ""
    kind: str = ""
    sort: str = "score"

    @classmethod
    def of(cls, params: QueryParams) -> SearchForm:
        def one(name: str) -> str:
            return params.get(name, "").strip()[:500]

        tags = [tag.strip() for tag in params.get("tags", "").split(",") if tag.strip()]
        return cls(
            q=params.get("q", "").strip()[:MAX_QUERY],
            tags=tags[:MAX_TAGS],
            types=[name.strip() for name in params.getlist("type") if name.strip()][:MAX_TAGS],
            cf=one("cf"),
            cf_op=one("cf_op") or "eq",
            cf_value=one("cf_value"),
            created_from=one("created_from"),
            created_to=one("created_to"),
            updated_from=one("updated_from"),
            updated_to=one("updated_to"),
            kind=one("kind"),
            sort=one("sort") or "score",
        )

    @property
    def filtered(self) -> bool:
        """Whether any filter is set (the query aside)."""
        return bool(
            self.tags
            or self.types
            or (self.cf and self.cf_value)
            or self.created_from
            or self.created_to
            or self.updated_from
            or self.updated_to
            or self.kind
        )

    @property
    def asked(self) -> bool:
        return bool(self.q) or self.filtered

    def body(self, page: int, page_size: int) -> SearchBody:
        """The API's body for these controls; ValidationError names what is wrong."""
        values: dict[str, Any] = {"q": self.q, "page_number": page, "page_size": page_size}
        if self.tags:
            values["tags"] = {"all": self.tags}
        if self.types:
            values["types"] = self.types
        if self.cf and self.cf_value:
            values["custom_fields"] = [{"name": self.cf, "op": self.cf_op, "value": self.cf_value}]
        for period in ("created", "updated"):
            low, high = getattr(self, f"{period}_from"), getattr(self, f"{period}_to")
            if low or high:
                values[period] = {"from": low or None, "to": high or None}
        if self.kind:
            values["ctype"] = self.kind
        if self.sort != "score":
            values["sort"] = self.sort
            # Names A to Z; dates newest first.
            values["order"] = "asc" if self.sort == "title" else "desc"
        return SearchBody.model_validate(values)

    def url(self, **changes: object) -> str:
        """This search's query string, some controls changed (``page``, for the pager)."""
        query: list[tuple[str, object]] = [("q", self.q)] if self.q else []
        if self.tags:
            query.append(("tags", ",".join(self.tags)))
        query.extend(("type", name) for name in self.types)
        for key in FILTER_KEYS[2:]:
            value = getattr(self, key)
            defaults = {"cf_op": "eq", "sort": "score"}
            if value and value != defaults.get(key):
                query.append((key, value))
        query.extend(changes.items())
        return "?" + urlencode(query)


def describe(error: ValidationError) -> str:
    """A refused control in the API's words: where, and what is wrong."""
    parts = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"] if not isinstance(part, int))
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(dict.fromkeys(parts))
