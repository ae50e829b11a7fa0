"""check_definition: every class of bad definition is refused with its own code, keyed by the field."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator
from tests.forms.conftest import definition, field

from formflow.errors import ValidationFailed
from formflow.forms.definition import (
    MAX_DEFINITION_CHARS,
    MAX_NESTING,
    check_definition,
    definition_problems,
    definition_schema,
)
from formflow.i18n import use_locale

OPTIONS = [{"value": "new", "label": {"en": "New"}}, {"value": "won", "label": {"en": "Won"}}]

#: the example definition of docs/internals.md
INTERNALS_EXAMPLE: dict[str, Any] = {
    "fields": [
        {"key": "name", "type": "text", "label": {"zh-CN": "姓名", "en": "Name"},
         "help": {"zh-CN": "...", "en": "..."}, "placeholder": {"zh-CN": "...", "en": "..."},
         "required": True, "indexed": True, "unique": False, "searchable": True,
         "default": None, "visible_if": None, "required_if": None,
         "max_length": 200, "pattern": "^[A-Z].*$"},
        {"key": "stage", "type": "select", "label": {"zh-CN": "阶段", "en": "Stage"},
         "options": [{"value": "new", "label": {"zh-CN": "新建", "en": "New"}, "color": "#1677ff"}]},
        {"key": "items", "type": "subtable", "label": {"en": "Items"},
         "columns": [{"key": "sku", "type": "text", "label": {"en": "SKU"}}]},
        {"key": "customer", "type": "relation", "label": {"en": "Customer"},
         "target_form": "customers", "many": False, "display_field": "name"},
        {"key": "amount", "type": "number", "label": {"en": "Amount"}},
        {"key": "discount", "type": "percent", "label": {"en": "Discount"}},
        {"key": "total", "type": "formula", "label": {"en": "Total"},
         "expression": "amount * (1 - discount / 100)", "result_type": "number"},
        {"key": "code", "type": "auto_number", "label": {"en": "Code"}, "format": "LEAD-{YYYY}-{seq:6}"},
    ],
    "layout": {"sections": [{"key": "main", "label": {"zh-CN": "基本信息", "en": "Basics"},
                             "rows": [["name", "stage"], ["items"]]}]},
    "title_field": "name",
}


def problems(value: Any, **options: Any) -> list[tuple[str, str]]:
    """(field, code) of every problem of ``value``."""
    return [(error.field, error.code) for error in definition_problems(value, **options)]


def test_internals_example_is_valid() -> None:
    check_definition(INTERNALS_EXAMPLE)


def test_internals_example_matches_the_assembled_schema() -> None:
    assert list(Draft202012Validator(definition_schema()).iter_errors(INTERNALS_EXAMPLE)) == []


def test_assembled_schema_refuses_an_attribute_the_type_does_not_declare() -> None:
    bad = definition(field("stage", "select", options=OPTIONS, max_length=3))
    assert not Draft202012Validator(definition_schema()).is_valid(bad)


def test_empty_form_is_valid() -> None:
    check_definition(definition())


def test_check_definition_raises_validation_failed_with_title() -> None:
    with pytest.raises(ValidationFailed) as raised:
        check_definition(definition(field("Bad Key")))
    assert raised.value.status == 422
    assert raised.value.title == "The form definition has problems"


@pytest.mark.parametrize("key", ["Name", "1st", "with space", "", "a" * 64, "naïve", None, 7])
def test_invalid_key_is_keyed_by_position(key: Any) -> None:
    assert problems(definition(field("ok"), {"key": key, "type": "text", "label": {"en": "X"}})) == [
        ("fields[1]", "invalid_key")]


@pytest.mark.parametrize("key", ["id", "owner", "state", "created_at", "updated_at", "created_by",
                                 "owner_id"])
def test_system_column_names_are_reserved(key: str) -> None:
    assert problems(definition(field(key))) == [(key, "reserved_key")]


def test_duplicate_key_is_refused() -> None:
    assert problems(definition(field("name"), field("name", "number"))) == [("name", "duplicate_key")]


def test_unknown_type_is_refused() -> None:
    assert problems(definition(field("name", "hologram"))) == [("name", "unknown_type")]


@pytest.mark.parametrize(("attributes", "code"), [
    ({"max_length": "long"}, "wrong_type"),
    ({"max_length": 0}, "invalid_attribute"),
    ({"colour": "red"}, "unknown_attribute"),
    ({"required": "yes"}, "wrong_type"),
    ({"label": {"fr": "Nom"}}, "unknown_attribute"),
])
def test_bad_type_config_is_refused(attributes: dict[str, Any], code: str) -> None:
    assert problems(definition(field("name", **attributes))) == [("name", code)]


def test_attribute_formats_are_checked() -> None:
    assert problems(definition(field("due", "date", max=""))) == [("due", "invalid_attribute")]


def test_missing_label_is_refused() -> None:
    assert problems(definition({"key": "name", "type": "text"})) == [("name", "missing_attribute")]


def test_empty_option_list_is_refused_with_its_reason() -> None:
    errors = definition_problems(definition(field("stage", "select", options=[])))
    assert [(error.field, error.message) for error in errors] == [
        ("stage", "The attribute 'options' needs at least 1 entries")]


def test_duplicate_option_values_are_refused() -> None:
    repeated = [*OPTIONS, {"value": "new", "label": {"en": "Again"}}]
    assert problems(definition(field("stage", "select", options=repeated))) == [("stage", "duplicate_option")]


def test_invalid_regex_is_refused() -> None:
    assert problems(definition(field("code", pattern="([a-"))) == [("code", "bad_pattern")]


@pytest.mark.parametrize("pattern", ["(a+)+$", "^(\\w*\\s?)*$", "(x{1,}){2,}"])
def test_catastrophic_regex_is_refused(pattern: str) -> None:
    assert problems(definition(field("code", pattern=pattern))) == [("code", "bad_pattern")]


def test_formula_cycle_names_every_field_in_it() -> None:
    cycle = definition(field("a", "formula", expression="b + 1"), field("b", "formula", expression="a + 1"))
    assert sorted(problems(cycle)) == [("a", "formula_cycle"), ("b", "formula_cycle")]


def test_formula_on_unknown_field_is_refused() -> None:
    assert problems(definition(field("total", "formula", expression="price * 2"))) == [
        ("total", "formula_unknown_field")]


@pytest.mark.parametrize("attribute", ["visible_if", "required_if"])
def test_condition_on_unknown_field_is_refused(attribute: str) -> None:
    condition = {"field": "ghost", "op": "eq", "value": 1}
    errors = definition_problems(definition(field("name", **{attribute: condition})))
    assert [(error.field, error.code) for error in errors] == [("name", "bad_condition")]
    assert "ghost" in errors[0].message


def test_condition_with_unknown_operator_is_refused() -> None:
    condition = {"field": "name", "op": "resembles", "value": "x"}
    assert problems(definition(field("name", visible_if=condition))) == [("name", "bad_condition")]


def test_condition_on_a_system_column_is_accepted() -> None:
    check_definition(definition(field("notes", visible_if={"field": "state", "op": "eq", "value": "won"})))


def test_layout_naming_unknown_field_is_refused() -> None:
    layout = {"sections": [{"key": "main", "rows": [["name", "ghost"]]}]}
    errors = definition_problems(definition(field("name"), layout=layout))
    assert [(error.field, error.code) for error in errors] == [("layout", "unknown_field")]
    assert "ghost" in errors[0].message


def test_layout_placing_a_field_twice_is_refused() -> None:
    layout = {"sections": [{"key": "main", "rows": [["name"]]}, {"key": "more", "rows": [["name"]]}]}
    assert problems(definition(field("name"), layout=layout)) == [("layout", "placed_twice")]


def test_layout_with_two_sections_of_one_key_is_refused() -> None:
    layout = {"sections": [{"key": "main", "rows": [["a"]]}, {"key": "main", "rows": [["b"]]}]}
    assert problems(definition(field("a"), field("b"), layout=layout)) == [("layout", "duplicate_section")]


def test_malformed_layout_is_refused_with_the_place_of_each_problem() -> None:
    errors = definition_problems(definition(field("name"), layout={"sections": [{"rows": "name"}]}))
    assert sorted((error.field, error.code, error.message) for error in errors) == [
        ("layout", "bad_layout", "The attribute 'layout.sections.0.key' is missing"),
        ("layout", "bad_layout", "The attribute 'layout.sections.0.rows' has the wrong type")]


def test_unknown_title_field_is_refused() -> None:
    assert problems(definition(field("name"), title_field="ghost")) == [("title_field", "unknown_field")]


def test_unknown_top_level_attribute_is_refused() -> None:
    assert problems({"fields": [], "colour": "red"}) == [("colour", "unknown_attribute")]


def test_missing_field_list_is_refused() -> None:
    assert problems({"layout": None}) == [("fields", "missing_attribute")]


def test_non_object_field_is_keyed_by_position() -> None:
    assert problems(definition(field("name"), "phone")) == [("fields[1]", "not_a_field")]


def test_too_many_fields_is_refused() -> None:
    many = definition(*(field(f"f{index}") for index in range(4)))
    assert problems(many, max_fields=3) == [("fields", "too_many_fields")]


def test_too_deep_definition_is_refused_before_anything_walks_it() -> None:
    nested: Any = {"field": "name", "op": "eq", "value": 1}
    for _ in range(MAX_NESTING + 5):
        nested = {"not": nested}
    assert problems(definition(field("name", visible_if=nested))) == [("definition", "too_deep")]


def test_huge_definition_is_refused() -> None:
    huge = definition(field("name", help={"en": "x" * 1000}))
    huge["fields"] *= MAX_DEFINITION_CHARS // 1000
    assert problems(huge) == [("definition", "too_large")]


def test_definition_that_is_not_json_is_refused() -> None:
    assert problems({"fields": [field("name", default={1, 2})]}) == [("definition", "not_json")]


def test_list_typed_field_cannot_be_unique() -> None:
    assert problems(definition(field("tags", "multiselect", options=OPTIONS, unique=True))) == [
        ("tags", "not_indexable")]


def test_default_must_be_a_valid_value() -> None:
    assert problems(definition(field("stage", "select", options=OPTIONS, default="lost"))) == [
        ("stage", "bad_default")]


def test_computed_field_cannot_have_a_default() -> None:
    assert problems(definition(field("code", "auto_number", default="X-1"))) == [("code", "bad_default")]


def test_every_problem_is_reported_at_once() -> None:
    bad = definition(
        field("Name"),
        field("stage", "select", options=[]),
        field("phone", "hologram"),
        field("code", pattern="(a+)+"),
        field("note", visible_if={"field": "ghost", "op": "is_empty"}),
        title_field="ghost",
    )
    assert sorted(problems(bad)) == [("code", "bad_pattern"), ("fields[0]", "invalid_key"),
                                     ("note", "bad_condition"), ("phone", "unknown_type"),
                                     ("stage", "invalid_attribute"), ("title_field", "unknown_field")]


def test_messages_follow_the_locale(zh_catalog: None) -> None:
    bad = definition(field("name"), field("name"))
    with use_locale("zh_CN"):
        [error] = definition_problems(bad)
    assert error.message == "键 'name' 被多个字段使用"
    with use_locale("en"):
        [error] = definition_problems(bad)
    assert error.message == "The key 'name' is used by more than one field"
