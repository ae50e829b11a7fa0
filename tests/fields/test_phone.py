"""Phone numbers: mainland mobiles without prefix, E.164 from anywhere, localized refusals."""

from __future__ import annotations

import pytest

from formflow.fields.base import CoercionError, FieldContext


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("13812345678", "+8613812345678"),
        ("138 1234 5678", "+8613812345678"),
        ("138-1234-5678", "+8613812345678"),
        ("+86 138 1234 5678", "+8613812345678"),
        ("008613812345678", "+8613812345678"),
        ("+14155552671", "+14155552671"),
        ("+44 20 7946 0958", "+442079460958"),
        ("010-62345678", "+861062345678"),
    ],
)
def test_phone_is_stored_in_e164(make_field, context, raw, stored):
    field = make_field("phone")
    assert field.type.coerce(field, raw, context) == stored


@pytest.mark.parametrize(
    "raw", ["12345", "1381234567", "138123456789", "23812345678", "+999 123", "phone", "+1 415 555"]
)
def test_invalid_phone_is_refused_in_english(make_field, raw):
    field = make_field("phone")
    with pytest.raises(CoercionError) as caught:
        field.type.coerce(field, raw, FieldContext(locale="en"))
    assert caught.value.code == "invalid_phone"
    assert caught.value.message == "Phone number is not valid"


def test_invalid_phone_is_refused_in_chinese(make_field, zh_catalog):
    field = make_field("phone")
    with pytest.raises(CoercionError) as caught:
        field.type.coerce(field, "12345", FieldContext(locale="zh_CN"))
    assert caught.value.message == "手机号格式不正确"


def test_numbers_without_prefix_are_read_in_the_field_regions(make_field, context):
    field = make_field("phone", regions=["US"])
    assert field.type.coerce(field, "(415) 555-2671", context) == "+14155552671"
    with pytest.raises(CoercionError):
        field.type.coerce(field, "13812345678", context)


def test_mobile_only_refuses_landlines(make_field, context):
    field = make_field("phone", mobile_only=True)
    assert field.type.coerce(field, "13812345678", context) == "+8613812345678"
    with pytest.raises(CoercionError):
        field.type.coerce(field, "010-62345678", context)


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+8613812345678", "138 1234 5678"),
        ("+14155552671", "+1 415-555-2671"),
    ],
)
def test_display_is_national_at_home_and_international_abroad(make_field, context, stored, shown):
    field = make_field("phone")
    assert field.type.display(field, stored, context) == shown


def test_search_text_holds_the_national_digits(make_field):
    field = make_field("phone")
    assert "13812345678" in field.type.search_text(field, "+8613812345678")


def test_unknown_region_is_a_definition_problem(make_field):
    field = make_field("phone", regions=["CN", "XX"])
    [error] = field.type.check_definition(field, {field.key: field})
    assert error.code == "unknown_region"


def test_client_hints_ask_for_a_phone_keyboard(make_field):
    field = make_field("phone")
    assert field.type.client_hints(field)["inputmode"] == "tel"
