"""Boolean, select, multiselect: browser input, labels, unknown options refused, display."""

from __future__ import annotations

import pytest

from formflow.fields.base import CoercionError, FieldContext

EN = FieldContext(locale="en")
OPTIONS = [
    {"value": "new", "label": {"zh-CN": "新建", "en": "New"}, "color": "#1677ff"},
    {"value": "won", "label": {"zh-CN": "赢单", "en": "Won"}},
    {"value": "lost", "label": {"zh-CN": "输单", "en": "Lost"}},
]


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("true", True),
        ("on", True),
        ("1", True),
        ("是", True),
        (1, True),
        ("false", False),
        ("off", False),
        ("0", False),
        ("否", False),
    ],
)
def test_boolean_reads_form_values(make_field, raw, stored):
    field = make_field("boolean")
    assert field.type.coerce(field, raw, EN) is stored


@pytest.mark.parametrize(("locale", "shown"), [("en", ("Yes", "No")), ("zh_CN", ("是", "否"))])
def test_boolean_display_is_localized(make_field, zh_catalog, locale, shown):
    field = make_field("boolean")
    context = FieldContext(locale=locale)
    assert (field.type.display(field, True, context), field.type.display(field, False, context)) == shown


def test_select_accepts_labels_for_imports(make_field):
    field = make_field("select", options=OPTIONS)
    assert field.type.coerce(field, "赢单", EN) == "won"
    assert field.type.coerce(field, "lost", EN) == "lost"


def test_select_refuses_unknown_values_naming_them(make_field):
    field = make_field("select", options=OPTIONS)
    with pytest.raises(CoercionError) as caught:
        field.type.coerce(field, "maybe", EN)
    assert caught.value.message == "maybe is not one of the options"


@pytest.mark.parametrize("locale,shown", [("en", "Won"), ("zh_CN", "赢单")])
def test_select_displays_the_option_label(make_field, locale, shown):
    field = make_field("select", options=OPTIONS)
    assert field.type.display(field, "won", FieldContext(locale=locale)) == shown


def test_multiselect_reads_lists_and_comma_text_in_option_order(make_field):
    field = make_field("multiselect", options=OPTIONS)
    assert field.type.coerce(field, ["lost", "new", "lost"], EN) == ["new", "lost"]
    assert field.type.coerce(field, "won，新建", EN) == ["new", "won"]


def test_multiselect_refuses_unknown_values(make_field):
    field = make_field("multiselect", options=OPTIONS)
    with pytest.raises(CoercionError):
        field.type.coerce(field, ["new", "other"], EN)


def test_multiselect_limits(make_field):
    field = make_field("multiselect", options=OPTIONS, max_selected=1)
    with pytest.raises(CoercionError) as caught:
        field.type.coerce(field, ["new", "won"], EN)
    assert caught.value.code == "too_many"


def test_duplicate_option_values_are_a_definition_problem(make_field):
    field = make_field("select", options=[{"value": "a"}, {"value": "a"}])
    [error] = field.type.check_definition(field, {field.key: field})
    assert error.code == "duplicate_option"


def test_client_hints_carry_options_with_labels_and_colors(make_field):
    field = make_field("select", options=OPTIONS)
    hints = field.type.client_hints(field)
    assert hints["options"][0] == {
        "value": "new",
        "label": {"zh-CN": "新建", "en": "New"},
        "color": "#1677ff",
    }


def test_search_text_has_value_and_both_labels(make_field):
    field = make_field("select", options=OPTIONS)
    assert field.type.search_text(field, "won") == "won 赢单 Won"
