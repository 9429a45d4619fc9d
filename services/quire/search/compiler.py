"""What the two engines' query compilers share: walking the tree, and AND/OR/NOT over it.

A compiler works for one kind of entry: ``node`` entries (title, tags, whole text, filters) or
``page`` entries (one page's text: filters put no condition there). A subclass says how its
engine spells the leaves and the three connectives.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from typing import Generic, Literal, TypeVar

from quire.search.query import (
    CUSTOM_FIELD_PREFIX,
    And,
    Everything,
    Exact,
    InFolder,
    Node,
    Not,
    Or,
    Range,
    Text,
)

Q = TypeVar("Q")
_CUSTOM_KEY = re.compile(r"^[a-z0-9_]+$")
EntryKind = Literal["node", "page"]


class Compiler(ABC, Generic[Q]):
    def __init__(self, kind: EntryKind) -> None:
        self.kind = kind
        # The field holding the text: the whole document's, or one page's.
        self.body = "body" if kind == "node" else "text"

    def compile(self, node: Node) -> Q | None:
        """The engine's query, or None where the tree puts no condition (an empty query)."""
        match node:
            case Text():
                return self.text(node)
            case Exact() | Range() | InFolder():
                return self.filter(node) if self.kind == "node" else None
            case And():
                return self._and(node)
            case Or():
                return self._or(node)
            case Not():
                inner = self.compile(node.item)
                return None if inner is None else self.all_of([self.everything()], [inner])
            case Everything():
                return None

    def _and(self, node: And) -> Q | None:
        must = [q for item in node.items if not isinstance(item, Not) if (q := self.compile(item))]
        must_not = [
            q for item in node.items if isinstance(item, Not) if (q := self.compile(item.item))
        ]
        if not must and not must_not:
            return None
        return self.all_of(must or [self.everything()], must_not)

    def _or(self, node: Or) -> Q | None:
        compiled = [self.compile(item) for item in node.items]
        if any(q is None for q in compiled):
            # One side puts no condition here (a filter, on a page entry): nor does the OR.
            return None
        return self.any_of([q for q in compiled if q is not None])

    def filter(self, node: Exact | Range | InFolder) -> Q:
        match node:
            case Exact():
                return self.exact(node)
            case Range(low=None, high=None):
                # ``created:[* TO *]``: "has a date", and every entry has both of its dates.
                # (Binding lets no custom field through open at both ends.)
                return self.everything()
            case Range():
                return self.range(node)
            case InFolder():
                return self.in_folder(node)

    @abstractmethod
    def text(self, node: Text) -> Q | None: ...

    @abstractmethod
    def exact(self, node: Exact) -> Q: ...

    @abstractmethod
    def range(self, node: Range) -> Q: ...

    @abstractmethod
    def in_folder(self, node: InFolder) -> Q: ...

    @abstractmethod
    def all_of(self, must: list[Q], must_not: list[Q]) -> Q: ...

    @abstractmethod
    def any_of(self, clauses: list[Q]) -> Q: ...

    @abstractmethod
    def everything(self) -> Q: ...


def custom_key(field: str) -> str:
    """``cf.<key>``'s key, checked: it goes into the engine's syntax as a field name."""
    key = field.removeprefix(CUSTOM_FIELD_PREFIX)
    if not _CUSTOM_KEY.match(key):
        raise ValueError(f"not a custom field key: {field!r}")
    return key


def range_syntax(node: Range) -> str:
    """``[low TO high}`` in the Lucene syntax both engines parse, from bounds we formatted."""
    opening = "[" if node.include_low else "{"
    closing = "]" if node.include_high else "}"
    return f"{opening}{_bound(node.low)} TO {_bound(node.high)}{closing}"


def _bound(value: object) -> str:
    if value is None:
        return "*"
    if isinstance(value, datetime):
        # isoformat, not strftime: ``%Y`` drops the zeros of years before 1000 ("1-01-01").
        moment = value.astimezone(UTC).isoformat(timespec="milliseconds")
        return moment.removesuffix("+00:00") + "Z"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(float(value))
    raise ValueError(f"not a range bound: {value!r}")
