"""Binding a parsed query to the index's fields (``quire.search.binding``): dates become the
periods they name, custom-field values numbers, dates, booleans or folded text, and field names
the keys the index uses. No engine, no database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from quire.search.binding import FIRST_MOMENT, LAST_MOMENT, bind, custom_field_keys
from quire.search.model import custom_field_key
from quire.search.query import (
    And,
    Everything,
    Exact,
    InFolder,
    Node,
    Not,
    Or,
    QuerySyntaxError,
    Range,
    Text,
    parse,
)
from quire.web.api.search_schemas import SearchBody


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def bound(query: str) -> Node:
    return bind(parse(query))


def period(query: str) -> tuple[object, bool, object, bool]:
    """(low, include_low, high, include_high) of the one range a query binds to."""
    node = bound(query)
    assert isinstance(node, Range), node
    return node.low, node.include_low, node.high, node.include_high


# --- what binding leaves alone, and how it walks the tree -----------------------------------------


@pytest.mark.parametrize(
    "node",
    [
        Everything(),
        Text("invoice"),
        Text("annual report", "phrase", "title"),
        Exact("tag", "Paid"),  # tags, types and languages are compared as the index holds them
        Exact("type", "Invoice"),
        InFolder("b7a9..."),
    ],
)
def test_what_needs_no_typing_is_left_as_it_is(node: Node) -> None:
    assert bind(node) == node


def test_binding_reaches_every_branch() -> None:
    tree = bound("(a OR created:2024) -cf.Total-Amount:5")
    assert tree == And(
        (
            Or(
                (
                    Text("a"),
                    Range("created", utc(2024, 1, 1), utc(2025, 1, 1), True, False, 7),
                )
            ),
            Not(Range("cf.total_amount", 5.0, 5.0, True, True, 22)),
        )
    )


# --- dates: a value names a period, bounds cover whole periods ------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # A single value is its whole period: [start, end).
        ("created:2024", (utc(2024, 1, 1), True, utc(2025, 1, 1), False)),
        ("created:2024-05", (utc(2024, 5, 1), True, utc(2024, 6, 1), False)),
        ("created:2023-12", (utc(2023, 12, 1), True, utc(2024, 1, 1), False)),
        ("created:2024-02", (utc(2024, 2, 1), True, utc(2024, 3, 1), False)),
        ("created:2024-02-29", (utc(2024, 2, 29), True, utc(2024, 3, 1), False)),
        ("updated:2024-12-31", (utc(2024, 12, 31), True, utc(2025, 1, 1), False)),
        # An inclusive upper bound includes its whole period, an exclusive one none of it.
        ("created:[2024-01-01 TO 2024-12-31]", (utc(2024, 1, 1), True, utc(2025, 1, 1), False)),
        ("created:[2024-01 TO 2024-03]", (utc(2024, 1, 1), True, utc(2024, 4, 1), False)),
        ("created:[2024-01 TO 2024-03}", (utc(2024, 1, 1), True, utc(2024, 3, 1), False)),
        # An exclusive lower bound starts after its period.
        ("created:{2024-01 TO 2024-03]", (utc(2024, 2, 1), True, utc(2024, 4, 1), False)),
        ("created:>2024-05", (utc(2024, 6, 1), True, None, True)),
        ("created:>=2024-05", (utc(2024, 5, 1), True, None, True)),
        ("created:<2024-05", (None, True, utc(2024, 5, 1), False)),
        ("created:<=2024-05", (None, True, utc(2024, 6, 1), False)),
        ("created:[2024 TO *]", (utc(2024, 1, 1), True, None, True)),
        ("created:[* TO *]", (None, True, None, True)),
        # Granularities mix.
        ("created:[2024 TO 2025-06-15]", (utc(2024, 1, 1), True, utc(2025, 6, 16), False)),
    ],
)
def test_dates_name_periods(query: str, expected: tuple[object, bool, object, bool]) -> None:
    assert period(query) == expected


@pytest.mark.parametrize(
    ("query", "moment"),
    [
        ("created:2024-05-01T10:00", utc(2024, 5, 1, 10)),
        ("created:2024-05-01t10:00", utc(2024, 5, 1, 10)),
        ("created:2024-05-01T10:00:30.5", datetime(2024, 5, 1, 10, 0, 30, 500_000, tzinfo=UTC)),
        ("created:2024-05-01T10:00:00Z", utc(2024, 5, 1, 10)),
        # A zone is converted to UTC; a moment without one is taken as UTC.
        ("created:2024-05-01T10:00:00+02:00", utc(2024, 5, 1, 8)),
        ("created:2024-05-01T00:30:00-01:00", utc(2024, 5, 1, 1, 30)),
    ],
)
def test_a_moment_is_a_period_of_one_microsecond(query: str, moment: datetime) -> None:
    low, include_low, high, include_high = period(query)
    assert (low, include_low, include_high) == (moment, True, False)
    assert high == moment.replace(microsecond=moment.microsecond + 1)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("created:0001", (FIRST_MOMENT, True, utc(2, 1, 1), False)),
        ("created:<0001", (None, True, FIRST_MOMENT, False)),
        ("created:9999-12", (utc(9999, 12, 1), True, None, True)),
        ("created:<=9999", (None, True, None, True)),
        ("created:>9999", (LAST_MOMENT, False, None, True)),
        ("created:{9999-12-31 TO *]", (LAST_MOMENT, False, None, True)),
    ],
)
def test_the_calendars_ends_are_open_not_overflows(
    query: str, expected: tuple[object, bool, object, bool]
) -> None:
    assert period(query) == expected


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "0000",
        "10000",
        "2024-13",
        "2024-00",
        "2023-02-29",
        "2024-5-1",
        "2024-05-01T25:00",
        "T",
        "2024*",
    ],
)
def test_a_date_field_refuses_what_is_no_date(value: str) -> None:
    query = f"x created:{value}"
    with pytest.raises(QuerySyntaxError) as caught:
        bound(query)
    assert str(caught.value) == f"{value!r} is not a date at column 3"
    assert caught.value.column == 3


def test_a_quoted_date_is_the_date() -> None:
    assert bound('created:"2024-05-01"') == bound("created:2024-05-01")


# --- custom fields: the value's form decides its type ---------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cf.amount:5", Range("cf.amount", 5.0, 5.0, column=1)),
        ("cf.amount:1.5", Range("cf.amount", 1.5, 1.5, column=1)),
        ("cf.amount:.5", Range("cf.amount", 0.5, 0.5, column=1)),
        ("cf.amount:1.", Range("cf.amount", 1.0, 1.0, column=1)),
        ("cf.amount:+5", Range("cf.amount", 5.0, 5.0, column=1)),
        ("cf.amount:05", Range("cf.amount", 5.0, 5.0, column=1)),
        ('cf.amount:"42"', Range("cf.amount", 42.0, 42.0, column=1)),
        ("cf.amount:20240101", Range("cf.amount", 20240101.0, 20240101.0, column=1)),
        ("cf.amount:>100", Range("cf.amount", 100.0, None, False, True, 1)),
        ("cf.amount:<=9.99", Range("cf.amount", None, 9.99, True, True, 1)),
        ("cf.amount:[100 TO 200]", Range("cf.amount", 100.0, 200.0, column=1)),
        ("cf.amount:{1 TO *}", Range("cf.amount", 1.0, None, False, False, 1)),
        # A date, with the date's periods.
        ("cf.due:2024-05", Range("cf.due", utc(2024, 5, 1), utc(2024, 6, 1), True, False, 1)),
        (
            "cf.due:[2024-01-01 TO 2024-03-31]",
            Range("cf.due", utc(2024, 1, 1), utc(2024, 4, 1), True, False, 1),
        ),
        ('cf.due:"2024-05-01"', Range("cf.due", utc(2024, 5, 1), utc(2024, 5, 2), True, False, 1)),
        # Booleans, in any case; anything else is text, folded as the index folds it.
        ("cf.paid:true", Exact("cf.paid", "true", 1)),
        ("cf.paid:FALSE", Exact("cf.paid", "false", 1)),
        ("cf.vendor:Globex", Exact("cf.vendor", "globex", 1)),
        ('cf.vendor:"ACME Corp"', Exact("cf.vendor", "acme corp", 1)),
        ("cf.vendor:Straße", Exact("cf.vendor", "strasse", 1)),
        # Not numbers to binding: text.
        ("cf.amount:1e5", Exact("cf.amount", "1e5", 1)),
        ("cf.amount:1_000", Exact("cf.amount", "1_000", 1)),
        ("cf.amount:NaN", Exact("cf.amount", "nan", 1)),
        ("cf.amount:.", Exact("cf.amount", ".", 1)),
    ],
)
def test_a_custom_field_value_is_typed_by_its_form(query: str, expected: Node) -> None:
    assert bound(query) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("cf.x:[a TO b]", "cf.x: a range needs numbers or dates (YYYY, YYYY-MM, YYYY-MM-DD)"),
        ("cf.x:>abc", "cf.x: a range needs numbers or dates (YYYY, YYYY-MM, YYYY-MM-DD)"),
        ("cf.x:[* TO *]", "cf.x: a range needs numbers or dates (YYYY, YYYY-MM, YYYY-MM-DD)"),
        # A number and a date do not make a range.
        ("cf.x:[1 TO 2024-01]", "cf.x: a range needs numbers or dates (YYYY, YYYY-MM, YYYY-MM-DD)"),
        ("cf.x:9999-99-99", "'9999-99-99' is not a date"),
        ("cf.x:" + "9" * 400, "99999999999999999999... is too large a number"),
        ("cf.x:[1 TO " + "9" * 400 + "]", "99999999999999999999... is too large a number"),
        ("cf.x:>" + "9" * 309, "99999999999999999999... is too large a number"),
    ],
)
def test_a_custom_field_refuses_what_it_cannot_compare(query: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        bound(query)
    assert str(caught.value) == f"{message} at column 1"


def test_the_largest_float_is_a_number() -> None:
    assert period("cf.x:>" + "9" * 308) == (float("9" * 308), False, None, True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cf.city:Toronto", Exact("cf.city", "toronto", 1)),
        ('cf.vendor:"AT&T"', Exact("cf.vendor", "at&t", 1)),
        ("cf.paid:True", Exact("cf.paid", "true", 1)),
    ],
)
def test_text_with_a_capital_t_is_text(query: str, expected: Node) -> None:
    assert bound(query) == expected


@pytest.mark.parametrize("query", ["cf.count:2024", "cf.count:>1000", "cf.count:[1000 TO 6000]"])
def test_a_four_digit_number_can_match_a_number(query: str) -> None:
    def numeric_ranges(node: Node) -> list[Range]:
        if isinstance(node, And | Or):
            return [r for item in node.items for r in numeric_ranges(item)]
        if isinstance(node, Not):
            return numeric_ranges(node.item)
        if isinstance(node, Range) and all(
            isinstance(v, float) for v in (node.low, node.high) if v is not None
        ):
            return [node]
        return []

    assert numeric_ranges(bound(query))


def test_a_value_of_no_known_type_reads_every_way_its_form_allows() -> None:
    number = Range("cf.count", 2024.0, 2024.0, column=1)
    year = Range("cf.count", utc(2024, 1, 1), utc(2025, 1, 1), True, False, 1)
    assert bound("cf.count:2024") == Or((number, year))
    # A key the field types do not know is typed by form too.
    assert bind(parse("cf.count:2024"), {"other": {"int"}}) == Or((number, year))


# --- custom fields of known types: the field's type decides ---------------------------------------

TYPES = {
    "count": {"int"},
    "price": {"monetary"},
    "due": {"date"},
    "month": {"yearmonth"},
    "code": {"text"},
    "paid": {"boolean"},
    "total": {"float", "date"},  # two owners' fields of one name
    custom_field_key("Цена"): {"float"},
}


def typed(query: str) -> Node:
    return bind(parse(query), TYPES)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cf.count:2024", Range("cf.count", 2024.0, 2024.0, column=1)),
        ("cf.count:-5", Range("cf.count", -5.0, -5.0, column=1)),
        ("cf.count:>1000", Range("cf.count", 1000.0, None, False, True, 1)),
        ("cf.count:[1000 TO 6000]", Range("cf.count", 1000.0, 6000.0, column=1)),
        ("cf.count:[-10 TO 0]", Range("cf.count", -10.0, 0.0, column=1)),
        ("cf.price:<-100", Range("cf.price", None, -100.0, True, False, 1)),
        ("cf.due:2024", Range("cf.due", utc(2024, 1, 1), utc(2025, 1, 1), True, False, 1)),
        ("cf.month:>=2024-05", Range("cf.month", utc(2024, 5, 1), None, True, True, 1)),
        # Text is text, whatever it looks like.
        ("cf.code:007", Exact("cf.code", "007", 1)),
        ("cf.code:2024-05", Exact("cf.code", "2024-05", 1)),
        ("cf.code:Toronto", Exact("cf.code", "toronto", 1)),
        ("cf.code:-5", Exact("cf.code", "-5", 1)),
        ("cf.paid:True", Exact("cf.paid", "true", 1)),
        # Fields of two types: every reading that fits, or the one that does.
        (
            "cf.total:2024",
            Or(
                (
                    Range("cf.total", 2024.0, 2024.0, column=1),
                    Range("cf.total", utc(2024, 1, 1), utc(2025, 1, 1), True, False, 1),
                )
            ),
        ),
        ("cf.total:2.5", Range("cf.total", 2.5, 2.5, column=1)),
        (
            "cf.total:2024-05",
            Range("cf.total", utc(2024, 5, 1), utc(2024, 6, 1), True, False, 1),
        ),
        ("cf.Цена:>5", Range("cf." + custom_field_key("Цена"), 5.0, None, False, True, 1)),
    ],
)
def test_a_custom_field_value_is_typed_by_its_fields_type(query: str, expected: Node) -> None:
    assert typed(query) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("cf.count:abc", "'abc' is not a number"),
        ("cf.count:2024-05", "'2024-05' is not a number"),
        ("cf.count:[1 TO x]", "'x' is not a number"),
        ("cf.due:2024-13", "'2024-13' is not a date"),
        ("cf.paid:yes", "'yes' is not true or false"),
        ("cf.code:>5", "cf.code: a range needs numbers or dates (YYYY, YYYY-MM, YYYY-MM-DD)"),
        ("cf.paid:[* TO *]", "cf.paid: a range needs numbers or dates (YYYY, YYYY-MM, YYYY-MM-DD)"),
        ("cf.total:abc", "'abc' is not a number"),
    ],
)
def test_a_value_its_field_cannot_hold_is_refused(query: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        typed(query)
    assert str(caught.value) == f"{message} at column 1"


def test_a_structured_filter_is_typed_by_its_fields_type() -> None:
    body = SearchBody.model_validate({"custom_fields": [{"name": "Count", "value": 2024}]})
    assert bind(body.filters(), TYPES) == Range("cf.count", 2024.0, 2024.0)


def test_the_custom_field_keys_of_a_tree() -> None:
    tree = parse("a (cf.Total-Amount:5 OR -cf.Цена:[1 TO 2]) tag:x created:2024")
    assert custom_field_keys(tree) == {"total_amount", custom_field_key("Цена")}
    assert custom_field_keys(parse("a tag:x")) == set()


# --- custom-field names: the keys the index uses --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Amount", "amount"),
        ("Total Amount", "total_amount"),
        ("total-amount", "total_amount"),
        ("  Net   (EUR)  ", "net_eur"),
        ("VAT_2024", "vat_2024"),
        # Only letters and digits beyond ASCII make a key of another kind: not punctuation.
        ("Total \u2013 Amount", "total_amount"),  # an en dash
        ("Net (\u20ac)", "net"),  # the euro sign
        # Not ASCII: accents folded, and 8 hex digits of the folded name's SHA-256. These keys
        # are in indexes: they must not change.
        ("Größe", "grosse_d179961a"),
        ("GRÖSSE", "grosse_d179961a"),
        ("Ümlaut", "umlaut_e30af24e"),
        ("Цена", "_ba272c37"),
        ("Цена за шт", "_16e7cf5e"),
        ("цена_за-шт", "_16e7cf5e"),
        ("__", "_"),
        ("", "_"),
    ],
)
def test_custom_field_keys(name: str, key: str) -> None:
    assert custom_field_key(name) == key


def test_a_query_names_a_custom_field_by_its_key() -> None:
    assert bound("cf.Total-Amount:5") == bound("cf.total_amount:5")
    node = bound("cf.Total-Amount:5")
    assert isinstance(node, Range)
    assert node.field == "cf." + custom_field_key("Total Amount")


@pytest.mark.parametrize(
    ("one", "other"),
    [("Цена", "Сумма"), ("合計", "日付"), ("Ümlaut", "mlaut")],
    ids=["cyrillic", "cjk", "umlaut"],
)
def test_different_names_have_different_keys(one: str, other: str) -> None:
    assert custom_field_key(one) != custom_field_key(other)


# --- structured filters (POST /api/search/), bound like the query string --------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, Everything()),
        (
            {"custom_fields": [{"name": "Amount", "op": "gte", "value": 99.5}]},
            Range("cf.amount", 99.5, None, True, True),
        ),
        (
            {"custom_fields": [{"name": "Amount", "op": "lt", "value": -5}]},
            Range("cf.amount", None, -5.0, True, False),
        ),
        (
            {"custom_fields": [{"name": "Vendor", "op": "ne", "value": "ACME Corp"}]},
            Not(Exact("cf.vendor", "acme corp")),
        ),
        (
            {"custom_fields": [{"name": "Paid", "value": True}]},
            Exact("cf.paid", "true"),
        ),
        (
            {"created": {"from": "2024-01-01", "to": "2024-03-31"}},
            Range("created", utc(2024, 1, 1), utc(2024, 4, 1), True, False),
        ),
        (
            {"tags": {"all": ["a"], "any": ["b", "c"], "not": ["d"]}},
            And(
                (
                    Exact("tag", "a"),
                    Or((Exact("tag", "b"), Exact("tag", "c"))),
                    Not(Or((Exact("tag", "d"),))),
                )
            ),
        ),
    ],
)
def test_structured_filters_bind_like_the_query_string(body: dict, expected: Node) -> None:
    assert bind(SearchBody.model_validate(body).filters()) == expected


def test_a_structured_range_of_text_is_refused_without_a_column() -> None:
    body = SearchBody.model_validate({"custom_fields": [{"name": "V", "op": "gt", "value": "x"}]})
    with pytest.raises(QuerySyntaxError) as caught:
        bind(body.filters())
    assert caught.value.column is None
    assert "a range needs numbers or dates" in str(caught.value)
