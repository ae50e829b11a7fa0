"""Numbers, integers, percent, rating: browser strings, rounding to ``decimals``, limits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from formflow.fields.base import CoercionError, Field, FieldContext

EN = FieldContext(locale="en")


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("12.5", 12.5), ("1,234", 1234), ("１２", 12), (" -7 ", -7), ("1e3", 1000), (0.1, 0.1), ("12.0", 12)],
)
def test_number_reads_browser_strings(make_field, raw, stored):
    field = make_field("number")
    value = field.type.coerce(field, raw, EN)
    assert value == stored and type(value) is type(stored)


@pytest.mark.parametrize("raw", ["abc", "1.2.3", "NaN", "Infinity", "1e400", True, [1]])
def test_number_refuses_what_is_not_a_finite_number(make_field, raw):
    field = make_field("number")
    with pytest.raises(CoercionError) as caught:
        field.type.coerce(field, raw, EN)
    assert caught.value.message in {"Enter a number", "The number is too large"}


def test_number_rounds_half_up_to_its_decimals(make_field):
    field = make_field("number", decimals=1)
    assert field.type.coerce(field, "2.25", EN) == 2.3
    assert field.type.coerce(field, "-2.25", EN) == -2.3


def test_integer_refuses_fractions_with_a_message(make_field):
    field = make_field("integer")
    with pytest.raises(CoercionError) as caught:
        field.type.coerce(field, "12.5", EN)
    assert caught.value.message == "Enter a whole number"


def test_percent_accepts_a_percent_sign_and_displays_it(make_field):
    field = make_field("percent")
    assert field.type.coerce(field, "12.5%", EN) == 12.5
    assert field.type.display(field, 12.5, EN) == "12.5%"


@pytest.mark.parametrize(("raw", "ok"), [(1, True), (5, True), (0, False), (6, False)])
def test_rating_runs_from_one_to_max(make_field, raw, ok):
    field = make_field("rating", max=5)
    if ok:
        assert field.type.coerce(field, raw, EN) == raw
    else:
        with pytest.raises(CoercionError):
            field.type.coerce(field, raw, EN)


def test_number_display_groups_thousands(make_field):
    field = make_field("number", decimals=2)
    assert field.type.display(field, 1234567.5, EN) == "1,234,567.50"


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False))
def test_number_round_trips_floats(value):
    field = Field({"key": "n", "type": "number"})
    stored = field.type.coerce(field, value, EN)
    assert stored == value
    assert field.type.coerce(field, str(value), EN) == stored
    assert field.type.coerce(field, stored, EN) == stored


@given(st.integers(min_value=-(2**53 - 1), max_value=2**53 - 1))
def test_integer_round_trips_through_text(value):
    field = Field({"key": "n", "type": "integer"})
    assert field.type.coerce(field, str(value), EN) == value
    assert field.type.coerce(field, f"{value:,}", EN) == value
