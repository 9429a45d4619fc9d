"""Typing the values a query compares: dates for ``created``/``updated``, and for ``cf.<name>``
by the type of the custom field the name stands for: numbers for int, float and monetary
fields, dates for date and yearmonth fields, true/false for booleans, text (folded as the index
folds it) for text fields. Engines then compare like with like.

The search service gives ``bind`` the types of the custom fields the searcher may meet, by key
(``custom_field_key``). A key held by fields of several types (two owners' "Total", one a
number, one a date) reads the value in each type it fits, joined by OR; a value that fits none
is refused, saying why (``cf.count:abc`` on a number field: "'abc' is not a number"). Where no
types are given, or no field has the key, the value's form decides: a number, a date, true or
false, else text; a year-like number such as ``2024`` is read both ways.

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
from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from quire.core.models.custom_fields import CustomFieldType
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

# Custom-field key -> the types (``CustomFieldType`` values) of the fields with that key.
FieldTypes = Mapping[str, Collection[str]]
Kind = Literal["number", "date", "boolean", "text"]
# How a value is read for each type of field, in the order readings are tried.
KINDS: tuple[Kind, ...] = ("number", "date", "boolean", "text")
_KIND_OF_TYPE: dict[str, Kind] = {
    CustomFieldType.int: "number",
    CustomFieldType.float: "number",
    CustomFieldType.monetary: "number",
    CustomFieldType.date: "date",
    CustomFieldType.yearmonth: "date",
    CustomFieldType.boolean: "boolean",
    CustomFieldType.text: "text",
}
RANGE_NEEDS = "a range needs numbers or dates (YYYY, YYYY-MM, YYYY-MM-DD)"

# ASCII digits only, as the values' converters take them (``quire.core.custom_fields``).
_YEAR = re.compile(r"\d{4}", re.ASCII)
_MONTH = re.compile(r"(\d{4})-(\d{2})", re.ASCII)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
# The start of an ISO timestamp: a day, then the time.
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]", re.ASCII)
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)", re.ASCII)


def bind(node: Node, field_types: FieldTypes | None = None) -> Node:
    """The tree with typed bounds and values, and custom-field names as the index keys them.

    ``field_types`` maps custom-field keys to the types of the fields with that key; without
    it (or for a key it lacks) a custom field's value is typed by its form.
    """
    if isinstance(node, And):
        return And(tuple(bind(item, field_types) for item in node.items))
    if isinstance(node, Or):
        return Or(tuple(bind(item, field_types) for item in node.items))
    if isinstance(node, Not):
        return Not(bind(node.item, field_types))
    if isinstance(node, Range):
        if node.field in DATE_FIELDS:
            return _date_range(node)
        return _bind_custom_range(node, field_types)
    if isinstance(node, Exact) and node.field.startswith(CUSTOM_FIELD_PREFIX):
        return _bind_custom_exact(node, field_types)
    return node


def custom_field_keys(node: Node) -> set[str]:
    """The keys of the custom fields a tree names (what ``field_types`` needs to cover)."""
    if isinstance(node, And | Or):
        return {key for item in node.items for key in custom_field_keys(item)}
    if isinstance(node, Not):
        return custom_field_keys(node.item)
    if isinstance(node, Exact | Range) and node.field.startswith(CUSTOM_FIELD_PREFIX):
        return {custom_field_key(node.field.removeprefix(CUSTOM_FIELD_PREFIX))}
    return set()


def _custom_field(field: str) -> str:
    return CUSTOM_FIELD_PREFIX + custom_field_key(field.removeprefix(CUSTOM_FIELD_PREFIX))


def _kinds(field: str, field_types: FieldTypes | None) -> list[Kind] | None:
    """How the fields named ``field`` read a value; None where no field's type is known."""
    types = (
        None if field_types is None else field_types.get(field.removeprefix(CUSTOM_FIELD_PREFIX))
    )
    if not types:
        return None
    kinds = {_KIND_OF_TYPE[CustomFieldType(field_type)] for field_type in types}
    return [kind for kind in KINDS if kind in kinds]


def _kinds_by_form(value: str) -> list[Kind]:
    """How a value of no known field type reads: as its form says (``2024`` both ways)."""
    if value.lower() in ("true", "false"):
        return ["boolean"]
    kinds: list[Kind] = []
    if _NUMBER.fullmatch(value):
        kinds.append("number")
    if _looks_like_date(value):
        kinds.append("date")
    return kinds or ["text"]


def _looks_like_date(value: str) -> bool:
    return bool(
        _YEAR.fullmatch(value)
        or _MONTH.fullmatch(value)
        or _DAY.fullmatch(value)
        or _MOMENT.match(value)
    )


def _either(readings: list[Node], errors: list[QuerySyntaxError]) -> Node:
    """The one reading, several joined by OR, or (none) the first reason there is none."""
    if not readings:
        raise errors[0]
    return readings[0] if len(readings) == 1 else Or(tuple(readings))


def _bind_custom_exact(node: Exact, field_types: FieldTypes | None) -> Node:
    field = _custom_field(node.field)
    value = node.value
    kinds = _kinds(field, field_types) or _kinds_by_form(value)
    readings: list[Node] = []
    errors: list[QuerySyntaxError] = []
    for kind in kinds:
        try:
            readings.append(_exact_as(kind, field, value, node.column))
        except QuerySyntaxError as exc:
            errors.append(exc)
    return _either(readings, errors)


def _exact_as(kind: Kind, field: str, value: str, column: int | None) -> Node:
    if kind == "number":
        number = _number(value, column)
        return Range(field, number, number, column=column)
    if kind == "date":
        return _date_range(Range(field, value, value, column=column))
    if kind == "boolean":
        if value.lower() not in ("true", "false"):
            raise QuerySyntaxError(f"{value!r} is not true or false", column)
        return Exact(field, value.lower(), column)
    return Exact(field, value.casefold(), column)


def _bind_custom_range(node: Range, field_types: FieldTypes | None) -> Node:
    field = _custom_field(node.field)
    values = [v for v in (node.low, node.high) if isinstance(v, str)]
    if not values:
        # Open at both ends: no engine has "has a value" for every type (``compiler``).
        raise QuerySyntaxError(f"{node.field}: {RANGE_NEEDS}", node.column)
    kinds = _kinds(field, field_types)
    if kinds is None:
        kinds = []
        if all(_NUMBER.fullmatch(v) for v in values):
            kinds.append("number")
        if all(_looks_like_date(v) for v in values):
            kinds.append("date")
    readings: list[Node] = []
    errors: list[QuerySyntaxError] = []
    for kind in kinds:
        try:
            if kind == "number":
                readings.append(
                    replace(
                        node,
                        field=field,
                        low=None if node.low is None else _number(str(node.low), node.column),
                        high=None if node.high is None else _number(str(node.high), node.column),
                    )
                )
            elif kind == "date":
                readings.append(_date_range(replace(node, field=field)))
        except QuerySyntaxError as exc:
            errors.append(exc)
    if not readings and not errors:
        raise QuerySyntaxError(f"{node.field}: {RANGE_NEEDS}", node.column)
    return _either(readings, errors)


def _date_range(node: Range) -> Range:
    low, include_low = _date_bound(node.low, node.include_low, upper=False, column=node.column)
    high, include_high = _date_bound(node.high, node.include_high, upper=True, column=node.column)
    return replace(node, low=low, high=high, include_low=include_low, include_high=include_high)


def _number(value: str, column: int | None) -> float:
    if not _NUMBER.fullmatch(value):
        raise QuerySyntaxError(f"{value!r} is not a number", column)
    # 400 nines are a float of infinity, which no engine's range syntax takes.
    number = float(value)
    if not math.isfinite(number):
        raise QuerySyntaxError(f"{value[:20]}... is too large a number", column)
    return number


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
        if _YEAR.fullmatch(value):
            start = datetime(int(value), 1, 1, tzinfo=UTC)
            return start, _later(start, months=12)
        if month := _MONTH.fullmatch(value):
            start = datetime(int(month[1]), int(month[2]), 1, tzinfo=UTC)
            return start, _later(start, months=1)
        if _DAY.fullmatch(value):
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
