"""Typing the values a query compares: dates for ``created``/``updated``, and for ``cf.<name>``
numbers, dates, booleans or text as the literal reads. Engines then compare like with like.

A date may be a year (``2024``), a month (``2024-05``), a day or a full ISO timestamp; as a
single value or an inclusive bound it stands for the whole period, so
``created:[2024-01-01 TO 2024-12-31]`` includes the 31st.

Every date of the calendar, 0001-01-01 to 9999-12-31, is a legal value: a period that ends past
the calendar's last moment (``created:9999``) has an open upper bound, "after" it matches
nothing, and a moment that a time zone moves off either end (``0001-01-01T00:00+01:00``) is
clamped to that end. No date arithmetic can overflow. Engines narrow further what they can
hold (``tantivy_query``).
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from quire.search.model import custom_field_key
from quire.search.query import (
    CUSTOM_FIELD_PREFIX,
    DATE_FIELDS,
    And,
    Exact,
    Node,
    Not,
    Or,
    QuerySyntaxError,
    Range,
)

_YEAR = re.compile(r"^\d{4}$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def bind(node: Node) -> Node:
    """The tree with typed bounds and values, and custom-field names as the index keys them."""
    if isinstance(node, And):
        return And(tuple(bind(item) for item in node.items))
    if isinstance(node, Or):
        return Or(tuple(bind(item) for item in node.items))
    if isinstance(node, Not):
        return Not(bind(node.item))
    if isinstance(node, Range):
        return _bind_range(node)
    if isinstance(node, Exact) and node.field.startswith(CUSTOM_FIELD_PREFIX):
        return _bind_custom_exact(node)
    return node


def _custom_field(field: str) -> str:
    return CUSTOM_FIELD_PREFIX + custom_field_key(field.removeprefix(CUSTOM_FIELD_PREFIX))


def _bind_range(node: Range) -> Range:
    field = node.field if node.field in DATE_FIELDS else _custom_field(node.field)
    values = [v for v in (node.low, node.high) if isinstance(v, str)]
    if node.field in DATE_FIELDS or (values and all(_is_date(v) for v in values)):
        low, include_low = _date_bound(node.low, node.include_low, upper=False, column=node.column)
        high, include_high = _date_bound(
            node.high, node.include_high, upper=True, column=node.column
        )
        return replace(
            node, field=field, low=low, high=high, **_inclusive(include_low, include_high)
        )
    if values and all(_NUMBER.match(v) for v in values):
        return replace(
            node,
            field=field,
            low=None if node.low is None else _finite(str(node.low), node.column),
            high=None if node.high is None else _finite(str(node.high), node.column),
        )
    raise QuerySyntaxError(
        f"{node.field}: a range needs numbers or dates (YYYY, YYYY-MM, YYYY-MM-DD)", node.column
    )


def _finite(value: str, column: int | None) -> float:
    # 400 nines are a float of infinity, which no engine's range syntax takes.
    number = float(value)
    if not math.isfinite(number):
        raise QuerySyntaxError(f"{value[:20]}... is too large a number", column)
    return number


def _inclusive(include_low: bool, include_high: bool) -> dict[str, bool]:
    return {"include_low": include_low, "include_high": include_high}


def _bind_custom_exact(node: Exact) -> Node:
    field = _custom_field(node.field)
    value = node.value
    if _NUMBER.match(value) or _is_date(value):
        return _bind_range(Range(field, value, value, column=node.column))
    if value.lower() in ("true", "false"):
        return Exact(field, value.lower(), node.column)
    return Exact(field, value.casefold(), node.column)


def _is_date(value: str) -> bool:
    return bool(_YEAR.match(value) or _MONTH.match(value) or _DAY.match(value) or "T" in value)


def _date_bound(
    value: object, inclusive: bool, *, upper: bool, column: int | None
) -> tuple[datetime | None, bool]:
    """A bound as a UTC datetime; a period's bound covers the whole period when inclusive."""
    if value is None:
        return None, True
    start, end = _period(str(value), column)
    if upper:
        # "up to and including May" ends before June; "before May" ends before May.
        bound = end if inclusive else start
        # Ending after the calendar's last moment is no end at all.
        return (None, True) if bound is None else (bound, False)
    if not inclusive and end is None:
        # "after 9999": nothing is after the calendar's last moment.
        return LAST_MOMENT, False
    return (start, True) if inclusive else (end, True)


# The calendar's ends; a moment is past one of them only through a time zone or a period's end.
FIRST_MOMENT = datetime.min.replace(tzinfo=UTC)
LAST_MOMENT = datetime.max.replace(tzinfo=UTC)


def _period(value: str, column: int | None) -> tuple[datetime, datetime | None]:
    """The period a date names: [start, end), end None past the calendar's last moment."""
    try:
        if _YEAR.match(value):
            start = datetime(int(value), 1, 1, tzinfo=UTC)
            return start, _later(start, months=12)
        if month := _MONTH.match(value):
            start = datetime(int(month[1]), int(month[2]), 1, tzinfo=UTC)
            return start, _later(start, months=1)
        if _DAY.match(value):
            start = datetime.fromisoformat(value).replace(tzinfo=UTC)
            return start, _later(start, timedelta(days=1))
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise QuerySyntaxError(f"{value!r} is not a date", column) from None
    if moment.tzinfo is not None:
        moment = _in_utc(moment)
    moment = moment.replace(tzinfo=UTC)
    return moment, _later(moment, timedelta(microseconds=1))


def _later(start: datetime, step: timedelta = timedelta(0), *, months: int = 0) -> datetime | None:
    """``start`` plus a step or some months; None past the calendar's last moment."""
    try:
        if months:
            index = start.year * 12 + start.month - 1 + months
            return start.replace(year=index // 12, month=index % 12 + 1)
        return start + step
    except (OverflowError, ValueError):  # year 10000
        return None


def _in_utc(moment: datetime) -> datetime:
    """An aware moment in UTC, clamped to the calendar where its zone moves it off an end."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return FIRST_MOMENT if moment.year == datetime.min.year else LAST_MOMENT
