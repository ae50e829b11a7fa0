"""Currency: exact decimals stored as strings, never rounded, compared as NUMERIC."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import insert, select

from formflow.fields.base import CoercionError, Field, FieldContext


def currency(**config) -> Field:
    return Field({"key": "amount", "type": "currency", **config})


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        (0.1, "0.10"),
        ("0.30", "0.30"),
        ("1234.5", "1234.50"),
        ("¥1,234.56", "1234.56"),
        ("-0", "0.00"),
        ("100.000", "100.00"),
        (7, "7.00"),
        (Decimal("0.1") + Decimal("0.2"), "0.30"),
    ],
)
def test_amounts_are_stored_exactly_with_the_field_scale(raw, stored):
    field = currency()
    assert field.type.coerce(field, raw, FieldContext(locale="en")) == stored


def test_float_input_keeps_its_decimal_meaning_not_its_binary_value():
    field = currency()
    # 0.1 + 0.2 is 0.30000000000000004 as a float: more places than the scale, so it is refused
    with pytest.raises(CoercionError) as caught:
        field.type.coerce(field, 0.1 + 0.2, FieldContext(locale="en"))
    assert caught.value.code == "too_many_places"


@pytest.mark.parametrize("raw", ["12.345", "0.001", 1.005])
def test_more_places_than_the_scale_are_refused_not_rounded(raw):
    field = currency()
    with pytest.raises(CoercionError) as caught:
        field.type.coerce(field, raw, FieldContext(locale="en"))
    assert caught.value.message == "Enter at most 2 decimal places"


@pytest.mark.parametrize(
    ("scale", "raw", "stored"), [(0, "12", "12"), (4, "1.2345", "1.2345"), (4, "3", "3.0000")]
)
def test_scale_comes_from_the_field(scale, raw, stored):
    field = currency(scale=scale)
    assert field.type.coerce(field, raw, FieldContext(locale="en")) == stored


def test_scale_zero_refuses_cents():
    field = currency(scale=0)
    with pytest.raises(CoercionError):
        field.type.coerce(field, "12.5", FieldContext(locale="en"))


@pytest.mark.parametrize(
    ("config", "raw", "code"), [({"min": 0}, "-1", "below_min"), ({"max": "99.99"}, "100", "above_max")]
)
def test_bounds_are_enforced(config, raw, code):
    field = currency(**config)
    with pytest.raises(CoercionError) as caught:
        field.type.coerce(field, raw, FieldContext(locale="en"))
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("config", "stored", "shown"),
    [
        ({}, "1234567.50", "¥1,234,567.50"),
        ({"currency": "USD"}, "-12.00", "-$12.00"),
        ({"currency": "CHF", "scale": 0}, "1000", "CHF 1,000"),
    ],
)
def test_display_has_symbol_and_thousands_separators(config, stored, shown):
    field = currency(**config)
    assert field.type.display(field, stored, FieldContext(locale="en")) == shown


def test_sql_literal_is_a_decimal():
    field = currency()
    assert field.type.sql_literal(field, "0.30") == Decimal("0.30")


def test_sql_compares_as_numbers_not_text(session, samples_table):
    field = currency()
    amounts = {1: "9.00", 2: "10.00", 3: "100.50", 4: "-2.00"}
    session.execute(
        insert(samples_table), [{"id": key, "data": {"amount": value}} for key, value in amounts.items()]
    )
    session.commit()
    expression = field.type.sql_expression(field, samples_table.c.data, session.get_bind().dialect.name)
    assert session.scalars(select(samples_table.c.id).order_by(expression)).all() == [4, 1, 2, 3]
    assert session.scalars(
        select(samples_table.c.id).where(expression > Decimal("9.5")).order_by(samples_table.c.id)
    ).all() == [2, 3]
    assert session.scalar(select(expression).where(samples_table.c.id == 3)) == Decimal("100.50")


@given(
    st.decimals(
        min_value=Decimal("-999999999999.99"),
        max_value=Decimal("999999999999.99"),
        places=2,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_stored_amount_round_trips_to_the_same_decimal(amount):
    field = currency()
    stored = field.type.coerce(field, str(amount), FieldContext(locale="en"))
    assert Decimal(stored) == amount
    assert field.type.coerce(field, stored, FieldContext(locale="en")) == stored
