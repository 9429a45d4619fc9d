"""Custom-field values as they come in (``quire.core.custom_fields.convert_value``): the typed
value each type stores, or ``InvalidValue`` saying what was expected. No database: the API's
tests (tests/api/test_custom_field_values.py) check that these reach the client as 422s."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import pytest

from quire.core.custom_fields import (
    INT_MAX,
    INT_MIN,
    MONETARY_LIMIT,
    TEXT_MAX_LENGTH,
    InvalidValue,
    check_extra_data,
    column_for,
    convert_value,
)
from quire.core.models.custom_fields import CustomFieldType

TYPES = [member.value for member in CustomFieldType]


def converted(field_type: str, raw: object) -> object:
    """The value and its type: 1 == 1.0 == True, and which one came back matters."""
    value = convert_value(field_type, raw)
    return value, type(value)


def refused(field_type: str, raw: object) -> str:
    with pytest.raises(InvalidValue) as caught:
        convert_value(field_type, raw)
    return str(caught.value)


# --- no value -------------------------------------------------------------------------------------


@pytest.mark.parametrize("field_type", TYPES)
@pytest.mark.parametrize("raw", [None, "", " ", "\t\n", "\u00a0"])
def test_null_and_blank_clear_a_value_of_any_type(field_type: str, raw: object) -> None:
    assert convert_value(field_type, raw) is None


@pytest.mark.parametrize("field_type", ["TEXT", "select", "url", ""])
def test_an_unknown_type_is_a_programming_error_not_an_invalid_value(field_type: str) -> None:
    with pytest.raises(ValueError, match="is not a valid CustomFieldType") as caught:
        convert_value(field_type, "x")
    assert not isinstance(caught.value, InvalidValue)


def test_every_type_has_a_column() -> None:
    assert {field_type: column_for(field_type) for field_type in TYPES} == {
        "text": "value_text",
        "int": "value_int",
        "float": "value_float",
        "monetary": "value_monetary",
        "date": "value_date",
        "boolean": "value_bool",
        "yearmonth": "value_date",
    }


# --- text -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["ACME Corp.", " padded ", "ünïcødé ✓", "line\nbreak", "\u200b", "x" * TEXT_MAX_LENGTH],
)
def test_text_is_kept_as_written(raw: str) -> None:
    assert converted("text", raw) == (raw, str)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("x" * (TEXT_MAX_LENGTH + 1), "must be at most 10000 characters long"),
        (1, "must be a string"),
        (1.5, "must be a string"),
        (True, "must be a string"),
        (["a"], "must be a string"),
        ({"a": 1}, "must be a string"),
    ],
)
def test_text_refuses(raw: object, message: str) -> None:
    assert refused("text", raw) == message


def test_text_refuses_a_nul_character() -> None:
    with pytest.raises(InvalidValue):
        convert_value("text", "a\x00b")


# --- int ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (0, 0),
        (-1, -1),
        (42, 42),
        ("42", 42),
        (" 42 ", 42),
        ("+5", 5),
        ("-0", 0),
        ("007", 7),
        (4.0, 4),
        (1e3, 1000),
        (-0.0, 0),
        (INT_MAX, INT_MAX),
        (INT_MIN, INT_MIN),
        (str(INT_MAX), INT_MAX),
        (str(INT_MIN), INT_MIN),
    ],
)
def test_int_accepts_whole_numbers(raw: object, value: int) -> None:
    assert converted("int", raw) == (value, int)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (INT_MAX + 1, "is out of range for a whole number (64 bits)"),
        (INT_MIN - 1, "is out of range for a whole number (64 bits)"),
        (str(INT_MAX + 1), "is out of range for a whole number (64 bits)"),
        ("9" * 20, "is out of range for a whole number (64 bits)"),
        (1e19, "is out of range for a whole number (64 bits)"),
        (1e300, "is out of range for a whole number (64 bits)"),
        # Longer than any 64-bit number: not even parsed.
        ("9" * 21, "must be a whole number"),
        ("1" * 5000, "must be a whole number"),
        ("4.0", "must be a whole number"),
        (4.5, "must be a whole number"),
        ("1e3", "must be a whole number"),
        ("1_000", "must be a whole number"),
        # ASCII digits only, as for every type: int() would read these.
        ("\u0661\u0662", "must be a whole number"),  # Arabic-Indic 12
        ("\uff11\uff12", "must be a whole number"),  # fullwidth 12
        ("0x10", "must be a whole number"),
        ("1 000", "must be a whole number"),
        ("--1", "must be a whole number"),
        (math.inf, "must be a whole number"),
        (math.nan, "must be a whole number"),
        (True, "must be a whole number"),
        (False, "must be a whole number"),
        ("true", "must be a whole number"),
        (Decimal(5), "must be a whole number"),
        ([1], "must be a whole number"),
    ],
)
def test_int_refuses(raw: object, message: str) -> None:
    assert refused("int", raw) == message


# --- float ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (0, 0.0),
        (1.5, 1.5),
        (-2, -2.0),
        ("1.5", 1.5),
        (" 1.5 ", 1.5),
        ("-.5", -0.5),
        ("1e5", 100000.0),
        ("1E-3", 0.001),
        (1e308, 1e308),
        ("1.7976931348623157e308", 1.7976931348623157e308),
        (INT_MAX + 1, 9.223372036854776e18),
    ],
)
def test_float_accepts_numbers(raw: object, value: float) -> None:
    assert converted("float", raw) == (value, float)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("inf", "must be a finite number"),
        ("-Infinity", "must be a finite number"),
        ("nan", "must be a finite number"),
        (math.nan, "must be a finite number"),
        (math.inf, "must be a finite number"),
        ("1e309", "must be a finite number"),
        ("abc", "must be a number"),
        ("1,5", "must be a number"),
        ("0x10", "must be a number"),
        # No Python digit separators and no other scripts' digits: float() reads both.
        ("1_000", "must be a number"),
        ("\u0661\u0662", "must be a number"),  # Arabic-Indic 12
        ("\uff11.\uff15", "must be a number"),  # fullwidth 1.5
        (True, "must be a number"),
        (Decimal("1.5"), "must be a number"),
        ([1.5], "must be a number"),
    ],
)
def test_float_refuses(raw: object, message: str) -> None:
    assert refused("float", raw) == message


@pytest.mark.parametrize("raw", [10**400, -(10**400)], ids=["1e400", "-1e400"])
def test_float_refuses_an_integer_too_large_for_a_float(raw: int) -> None:
    assert refused("float", raw) == "must be a finite number"


# --- monetary -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (12.5, Decimal("12.50")),
        ("12.50", Decimal("12.50")),
        (" 5 ", Decimal("5.00")),
        ("+3", Decimal("3.00")),
        (7, Decimal("7.00")),
        # A float as its shortest form: 0.1, not 0.1000000000000000055511151231257827.
        (0.1, Decimal("0.10")),
        (0.29, Decimal("0.29")),
        ("1e2", Decimal("100.00")),
        ("9999999999999.99", Decimal("9999999999999.99")),
        ("-9999999999999.99", Decimal("-9999999999999.99")),
        (9999999999999.99, Decimal("9999999999999.99")),
    ],
)
def test_monetary_accepts_amounts_of_two_decimal_places(raw: object, value: Decimal) -> None:
    result = convert_value("monetary", raw)
    assert isinstance(result, Decimal)
    assert result == value
    assert result.as_tuple().exponent == -2  # stored and answered with two places


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("12.555", "must have at most 2 decimal places"),
        (12.555, "must have at most 2 decimal places"),
        ("0.001", "must have at most 2 decimal places"),
        (int(MONETARY_LIMIT), "must be less than 10,000,000,000,000 in absolute value"),
        (str(-MONETARY_LIMIT), "must be less than 10,000,000,000,000 in absolute value"),
        ("10000000000000.00", "must be less than 10,000,000,000,000 in absolute value"),
        (1e16, "must be less than 10,000,000,000,000 in absolute value"),
        # Checked before quantizing, which would overflow.
        ("1e999999", "must be less than 10,000,000,000,000 in absolute value"),
        ("NaN", "must be a finite amount"),
        ("sNaN", "must be a finite amount"),
        ("-Infinity", "must be a finite amount"),
        (math.inf, "must be a finite amount"),
        ("abc", "must be an amount such as 12.50"),
        ("12,50", "must be an amount such as 12.50"),
        ("€12", "must be an amount such as 12.50"),
        ("1_000", "must be an amount such as 12.50"),
        ("\u0661\u0662", "must be an amount such as 12.50"),  # Arabic-Indic 12
        (True, "must be an amount such as 12.50"),
        (Decimal("1.5"), "must be an amount such as 12.50"),
        ([12], "must be an amount such as 12.50"),
    ],
)
def test_monetary_refuses(raw: object, message: str) -> None:
    assert refused("monetary", raw) == message


@pytest.mark.parametrize("raw", ["-0", "-0.00", -0.0, "-0e5", 0])
def test_a_zero_amount_has_no_sign(raw: object) -> None:
    result = convert_value("monetary", raw)
    assert str(result) == "0.00"
    assert isinstance(result, Decimal)
    assert not result.is_signed()


def test_the_monetary_limit_is_what_the_column_holds() -> None:
    # Numeric(15, 2): 13 digits before the point.
    assert Decimal(10) ** 13 == MONETARY_LIMIT


# --- date and yearmonth ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("2024-02-29", date(2024, 2, 29)),
        (" 2024-05-01 ", date(2024, 5, 1)),
        ("0001-01-01", date(1, 1, 1)),
        ("9999-12-31", date(9999, 12, 31)),
    ],
)
def test_date_accepts_iso_days(raw: str, value: date) -> None:
    assert converted("date", raw) == (value, date)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("2023-02-29", "is not a valid date"),
        ("2024-13-01", "is not a valid date"),
        ("2024-04-31", "is not a valid date"),
        ("0000-01-01", "is not a valid date"),
        ("2024-1-1", "must be a date as YYYY-MM-DD"),
        ("20240101", "must be a date as YYYY-MM-DD"),
        ("2024-05", "must be a date as YYYY-MM-DD"),
        ("2024-05-01T00:00", "must be a date as YYYY-MM-DD"),
        ("01.05.2024", "must be a date as YYYY-MM-DD"),
        ("\uff12\uff10\uff12\uff14-05-01", "must be a date as YYYY-MM-DD"),  # fullwidth 2024
        (20240101, "must be a date as YYYY-MM-DD"),
        (True, "must be a date as YYYY-MM-DD"),
    ],
)
def test_date_refuses(raw: object, message: str) -> None:
    assert refused("date", raw) == message


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("2024-05", date(2024, 5, 1)),
        ("2024-12", date(2024, 12, 1)),
        (" 2024-01 ", date(2024, 1, 1)),
        ("0001-01", date(1, 1, 1)),
        ("9999-12", date(9999, 12, 1)),
    ],
)
def test_yearmonth_is_the_first_day_of_its_month(raw: str, value: date) -> None:
    assert converted("yearmonth", raw) == (value, date)


@pytest.mark.parametrize(
    "raw",
    [
        "2024-13",
        "2024-00",
        "0000-01",
        "2024-5",
        "10000-01",
        "2024-05-01",
        "2024/05",
        202405,
        True,
        "\uff12\uff10\uff12\uff14-05",  # fullwidth 2024
        "\u0662\u0660\u0662\u0664-\u0660\u0665",  # Arabic-Indic 2024-05
        "2024-05\n-",
    ],
)
def test_yearmonth_refuses(raw: object) -> None:
    assert refused("yearmonth", raw) == "must be a month as YYYY-MM"


# --- boolean --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("false", False),
        (" TRUE ", True),
        ("False", False),
    ],
)
def test_boolean_accepts_true_and_false(raw: object, value: bool) -> None:
    assert converted("boolean", raw) == (value, bool)


@pytest.mark.parametrize("raw", [1, 0, 1.0, "1", "0", "yes", "no", "on", "t", [True]])
def test_boolean_refuses_what_only_looks_like_one(raw: object) -> None:
    assert refused("boolean", raw) == "must be true or false"


# --- a monetary field's currency ------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra_data", [{"currency": "EUR"}, {"currency": None}, {}, None, {"other": 1}]
)
def test_a_currency_is_an_iso_code_or_absent(extra_data: object) -> None:
    check_extra_data("monetary", extra_data)


@pytest.mark.parametrize("currency", ["eur", "EURO", "EU", "€", 978, "", "E1R"])
def test_a_currency_refuses_what_is_no_iso_code(currency: object) -> None:
    with pytest.raises(InvalidValue, match="three-letter ISO 4217 code"):
        check_extra_data("monetary", {"currency": currency})


def test_only_a_monetary_field_has_a_currency() -> None:
    check_extra_data("text", {"currency": "whatever"})


def test_a_currency_with_a_trailing_newline_is_refused() -> None:
    with pytest.raises(InvalidValue):
        check_extra_data("monetary", {"currency": "EUR\n"})
