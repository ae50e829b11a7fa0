"""Text and textarea: normalization, lengths, designer patterns (checked, time-bounded)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from formflow.fields.base import CoercionError, Field, FieldContext
from formflow.fields.patterns import has_nested_quantifier

EN = FieldContext(locale="en")


def test_text_strips_and_joins_lines(make_field):
    field = make_field("text")
    assert field.type.coerce(field, "  first\r\n  second  ", EN) == "first second"


def test_textarea_keeps_lines_with_unix_breaks(make_field):
    field = make_field("textarea")
    assert field.type.coerce(field, "first\r\nsecond\rthird", EN) == "first\nsecond\nthird"


def test_too_long_text_is_refused_with_the_limit(make_field):
    field = make_field("text", max_length=5)
    with pytest.raises(CoercionError) as caught:
        field.type.coerce(field, "abcdef", EN)
    assert caught.value.message == "Enter at most 5 characters"


@pytest.mark.parametrize(("value", "ok"), [("AB-123", True), ("ab-123", False), ("AB-12", False)])
def test_pattern_is_enforced(make_field, value, ok):
    field = make_field("text", pattern=r"^[A-Z]{2}-\d{3}$")
    if ok:
        assert field.type.coerce(field, value, EN) == value
    else:
        with pytest.raises(CoercionError) as caught:
            field.type.coerce(field, value, EN)
        assert caught.value.code == "pattern_mismatch"


def test_pattern_message_from_the_definition_is_used(make_field):
    field = make_field(
        "text", pattern=r"^\d+$", pattern_message={"zh-CN": "只能输入数字", "en": "Digits only"}
    )
    with pytest.raises(CoercionError) as caught:
        field.type.coerce(field, "abc", FieldContext(locale="zh_CN"))
    assert caught.value.message == "只能输入数字"


@pytest.mark.parametrize(
    "pattern", [r"(a+)+$", r"(a*)*b", r"(\w+\s?)*$", r"((ab)+c?)+", r"(?:x+y?){2,}", r"(a+){3}"]
)
def test_nested_quantifiers_are_detected(pattern):
    assert has_nested_quantifier(pattern)


@pytest.mark.parametrize(
    "pattern",
    [
        r"^\d+$",
        r"^[A-Z]{2}-\d{3}$",
        r"(ab)+",
        r"(a|b)*c",
        r"[(a+)+]",
        r"\(a+\)+",
        r"^\p{Han}+$",
        r"(a+)?",
        r"(?:https?://)?\w+",
    ],
)
def test_ordinary_patterns_pass(pattern):
    assert not has_nested_quantifier(pattern)


@pytest.mark.parametrize(
    ("pattern", "code"), [("(a+)+$", "bad_pattern"), ("([a-z", "bad_pattern"), ("x" * 501, "bad_pattern")]
)
def test_bad_patterns_are_definition_problems(make_field, pattern, code):
    field = make_field("text", pattern=pattern)
    [error] = field.type.check_definition(field, {field.key: field})
    assert error.code == code


def test_slow_pattern_times_out_as_an_error(make_field):
    # overlapping alternatives slip past the static check; the timeout stops them
    field = make_field("text", pattern=r"^(a|a)*$", max_length=2000)
    context = FieldContext(locale="en", extra={"REGEX_TIMEOUT": 0.01})
    with pytest.raises(CoercionError) as caught:
        field.type.coerce(field, "a" * 40 + "!", context)
    assert caught.value.message == "The pattern took too long"


@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=50
    )
)
def test_text_round_trips(value):
    field = Field({"key": "t", "type": "text"})
    stored = field.type.coerce(field, value, EN)
    assert stored == value.strip()
    assert field.type.coerce(field, stored, EN) == stored
