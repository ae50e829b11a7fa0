"""validate: coerce, check and compute a record against a compiled form; every error at once."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import jsonschema_rs
import pytest
from jsonschema import Draft202012Validator
from tests.forms.conftest import definition, field

from formflow.errors import ValidationFailed
from formflow.fields.base import FieldContext
from formflow.forms.validation import CompiledForm, compile_form, record_validator_class, validate

OPTIONS = [{"value": "new", "label": {"en": "New"}}, {"value": "won", "label": {"en": "Won"}},
           {"value": "lost", "label": {"en": "Lost"}}]
LEADS = definition(
    field("name", label={"en": "Name", "zh-CN": "姓名"}, required=True, max_length=20),
    field("amount", "number", label={"en": "Amount", "zh-CN": "金额"}, min=0),
    field("stage", "select", options=OPTIONS, default="new"),
    field("phone", "phone", label={"en": "Phone number", "zh-CN": "手机号"}),
    field("lost_reason", "textarea", required=True,
          visible_if={"field": "stage", "op": "eq", "value": "lost"}),
    field("discount", "percent", required_if={"field": "amount", "op": "gt", "value": 10000}),
    field("total", "formula", expression="amount * (1 - discount / 100)", result_type="number"),
    field("double_total", "formula", expression="total * 2", result_type="number"),
    field("code", "auto_number", format="L-{seq:4}"),
    field("items", "subtable", label={"en": "Items", "zh-CN": "明细"},
          columns=[field("sku", label={"en": "SKU"}, required=True, max_length=8), field("qty", "integer")]),
)


@pytest.fixture(scope="module")
def leads() -> CompiledForm:
    return compile_form(LEADS, version_id=1)


def errors_of(compiled: CompiledForm, data: dict[str, Any], context: FieldContext | None = None,
              **options: Any) -> list[tuple[str, str]]:
    """(field, code) of every error ``validate`` raises for ``data``."""
    with pytest.raises(ValidationFailed) as raised:
        validate(compiled, data, context or FieldContext(locale="en"), **options)
    return [(error.field, error.code) for error in raised.value.errors]


def messages_of(compiled: CompiledForm, data: dict[str, Any], locale: str = "en") -> dict[str, str]:
    with pytest.raises(ValidationFailed) as raised:
        validate(compiled, data, FieldContext(locale=locale))
    return {error.field: error.message for error in raised.value.errors}


def test_valid_input_is_coerced_to_stored_values(leads: CompiledForm, context: FieldContext) -> None:
    clean = validate(leads, {"name": " Ada ", "amount": "1,200", "stage": "won", "phone": "138 1234 5678"},
                     context)
    assert clean["name"] == "Ada"
    assert clean["amount"] == 1200
    assert clean["phone"] == "+8613812345678"


def test_compiled_form_knows_fields_title_and_formula_order(leads: CompiledForm) -> None:
    assert list(leads.fields)[:3] == ["name", "amount", "stage"]
    assert leads.title_field is not None and leads.title_field.key == "name"
    assert [item.key for item in leads.formula_order] == ["total", "double_total"]


def test_declared_title_field_wins_over_the_first_text_field() -> None:
    compiled = compile_form(definition(field("name"), field("email", "email"), title_field="email"))
    assert compiled.title_field is not None and compiled.title_field.key == "email"


def test_every_error_is_reported_at_once(leads: CompiledForm) -> None:
    bad = {"name": "x" * 21, "amount": "many", "stage": "maybe", "phone": "12"}
    assert sorted(errors_of(leads, bad)) == [("amount", "not_number"), ("name", "too_long"),
                                             ("phone", "invalid_phone"), ("stage", "unknown_option")]


def test_unknown_field_is_refused(leads: CompiledForm) -> None:
    assert errors_of(leads, {"name": "Ada", "ghost": "boo"}) == [("ghost", "unknown_field")]


def test_missing_required_field_is_refused(leads: CompiledForm) -> None:
    assert errors_of(leads, {"amount": 5}) == [("name", "required")]


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_blank_required_field_is_refused(leads: CompiledForm, blank: Any) -> None:
    assert errors_of(leads, {"name": blank}) == [("name", "required")]


def test_default_fills_an_absent_field_on_create(leads: CompiledForm, context: FieldContext) -> None:
    assert validate(leads, {"name": "Ada"}, context)["stage"] == "new"


def test_hidden_field_is_not_required(leads: CompiledForm, context: FieldContext) -> None:
    clean = validate(leads, {"name": "Ada", "stage": "won"}, context)
    assert "lost_reason" not in clean


def test_visible_field_is_required_when_its_condition_holds(leads: CompiledForm) -> None:
    assert errors_of(leads, {"name": "Ada", "stage": "lost"}) == [("lost_reason", "required")]


def test_value_posted_for_a_hidden_field_is_refused(leads: CompiledForm) -> None:
    assert errors_of(leads, {"name": "Ada", "stage": "won", "lost_reason": "price"}) == [
        ("lost_reason", "hidden_field")]


def test_empty_value_posted_for_a_hidden_field_is_ignored(leads: CompiledForm, context: FieldContext) -> None:
    clean = validate(leads, {"name": "Ada", "stage": "won", "lost_reason": ""}, context)
    assert clean.get("lost_reason") is None


def test_value_for_a_visible_conditional_field_is_stored(leads: CompiledForm, context: FieldContext) -> None:
    clean = validate(leads, {"name": "Ada", "stage": "lost", "lost_reason": "price"}, context)
    assert clean["lost_reason"] == "price"


def test_required_if_requires_when_its_condition_holds(leads: CompiledForm) -> None:
    assert errors_of(leads, {"name": "Ada", "amount": 20000}) == [("discount", "required")]


def test_required_if_does_not_require_otherwise(leads: CompiledForm, context: FieldContext) -> None:
    assert validate(leads, {"name": "Ada", "amount": 500}, context)["amount"] == 500


@pytest.mark.parametrize("key", ["total", "code"])
def test_input_for_a_computed_field_is_refused(leads: CompiledForm, key: str) -> None:
    assert errors_of(leads, {"name": "Ada", key: "42"}) == [(key, "computed_field")]


def test_formulas_are_computed_in_dependency_order(leads: CompiledForm, context: FieldContext) -> None:
    clean = validate(leads, {"name": "Ada", "amount": 100, "discount": 10}, context)
    assert (clean["total"], clean["double_total"]) == (90, 180)


def test_formula_without_its_inputs_is_null(leads: CompiledForm, context: FieldContext) -> None:
    clean = validate(leads, {"name": "Ada"}, context)
    assert clean["total"] is None and clean["double_total"] is None


def test_subtable_cell_errors_are_keyed_by_dotted_path(leads: CompiledForm) -> None:
    rows = [{"sku": "A1", "qty": 1}, {"sku": "B2", "qty": "lots"}, {"qty": 3}]
    assert sorted(errors_of(leads, {"name": "Ada", "items": rows})) == [
        ("items.1.qty", "not_number"), ("items.2.sku", "required")]


def test_non_object_record_is_refused(leads: CompiledForm, context: FieldContext) -> None:
    with pytest.raises(ValidationFailed) as raised:
        validate(leads, ["name"], context)  # type: ignore[arg-type]
    assert [error.field for error in raised.value.errors] == ["data"]


# --- updates: partial_keys ------------------------------------------------------------------------------


def test_update_checks_only_the_changed_keys_as_input(leads: CompiledForm, context: FieldContext) -> None:
    stored = {"name": "Ada", "amount": 5, "legacy": "kept"}
    clean = validate(leads, {**stored, "amount": "7"}, context, partial_keys=["amount"])
    assert clean["amount"] == 7
    assert clean["legacy"] == "kept"


def test_update_still_enforces_requiredness_on_the_whole_record(leads: CompiledForm) -> None:
    assert errors_of(leads, {"amount": 5}, partial_keys=["amount"]) == [("name", "required")]


def test_update_does_not_apply_defaults(leads: CompiledForm, context: FieldContext) -> None:
    assert "stage" not in validate(leads, {"name": "Ada"}, context, partial_keys=["name"])


def test_update_recomputes_formulas(leads: CompiledForm, context: FieldContext) -> None:
    stored = {"name": "Ada", "amount": 100, "discount": 10, "total": 90}
    clean = validate(leads, {**stored, "discount": 50}, context, partial_keys=["discount"])
    assert clean["total"] == 50


# --- messages -------------------------------------------------------------------------------------------


def test_required_message_names_the_field_in_english(leads: CompiledForm) -> None:
    assert messages_of(leads, {})["name"] == "Name is required"


def test_required_message_names_the_field_in_chinese(leads: CompiledForm, zh_catalog: None) -> None:
    assert messages_of(leads, {}, locale="zh_CN")["name"] == "请填写姓名"


def test_hidden_field_message_in_chinese(leads: CompiledForm, zh_catalog: None) -> None:
    messages = messages_of(leads, {"name": "Ada", "stage": "won", "lost_reason": "x"}, locale="zh_CN")
    assert messages["lost_reason"] == "Lost Reason已隐藏，不能填写"


def test_unknown_field_message_in_chinese(leads: CompiledForm, zh_catalog: None) -> None:
    messages = messages_of(leads, {"name": "Ada", "ghost": 1}, locale="zh_CN")
    assert messages["ghost"] == "'ghost' 不是此表单的字段"


def schema_checked(compiled: CompiledForm, extra: dict[str, dict[str, Any]]) -> CompiledForm:
    """``compiled`` with more constraints in its record schema, as a type's value_schema might add."""
    schema = dict(compiled.validator.schema)
    schema["properties"] = {key: {**value, **extra.get(key, {})}
                            for key, value in schema["properties"].items()}
    return with_schema(compiled, schema, 0.05)


def with_schema(compiled: CompiledForm, schema: dict[str, Any], timeout: float) -> CompiledForm:
    """``compiled`` checking ``schema`` instead of its own, with both of its validators."""
    validator = record_validator_class(timeout)(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    fast_validator = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
    return dataclasses.replace(compiled, validator=validator, fast_validator=fast_validator)


@pytest.mark.parametrize(("extra", "data", "message"), [
    ({"phone": {"pattern": "^\\+861"}}, {"phone": "+14155550100"}, "Phone number is not valid"),
    ({"name": {"maxLength": 3}}, {"name": "Adam"}, "Name must be at most 3 characters"),
    ({"name": {"minLength": 5}}, {"name": "Ada"}, "Name must be at least 5 characters"),
    ({"amount": {"maximum": 10}}, {"amount": 11}, "Amount must be at most 10"),
    ({"amount": {"exclusiveMinimum": 5}}, {"amount": 5}, "Amount must be greater than 5"),
    ({"amount": {"multipleOf": 2}}, {"amount": 3}, "Amount must be a multiple of 2"),
    ({"stage": {"enum": ["new"]}}, {"stage": "won"}, "Stage is not one of the allowed choices"),
    ({"name": {"type": "integer"}}, {"name": "Ada"}, "Name has the wrong kind of value"),
    ({"name": {"format": "email"}}, {"name": "Ada"}, "Name is not valid"),
])
def test_schema_errors_get_a_clear_message_never_jsonschema_text(
        leads: CompiledForm, extra: dict[str, Any], data: dict[str, Any], message: str) -> None:
    compiled = schema_checked(leads, extra)
    assert messages_of(compiled, {"name": "Ada", **data}) == {next(iter(extra)): message}


def test_schema_error_messages_in_chinese(leads: CompiledForm, zh_catalog: None) -> None:
    compiled = schema_checked(leads, {"phone": {"pattern": "^\\+861"}})
    assert messages_of(compiled, {"name": "Ada", "phone": "+14155550100"}, locale="zh_CN") == {
        "phone": "手机号格式不正确"}


def test_schema_errors_inside_subtable_rows_use_the_column_path_and_label(leads: CompiledForm) -> None:
    schema = dict(leads.validator.schema)
    items = schema["properties"]["items"]
    row = items["items"]
    sku = {**row["properties"]["sku"], "pattern": "^[A-Z]"}
    row = {**row, "properties": {**row["properties"], "sku": sku}}
    schema["properties"] = {**schema["properties"], "items": {**items, "items": row}}
    compiled = with_schema(leads, schema, 0.05)
    assert messages_of(compiled, {"name": "Ada", "items": [{"sku": "A1"}, {"sku": "b2"}]}) == {
        "items.1.sku": "SKU is not valid"}


def test_catastrophic_pattern_in_a_schema_times_out_quickly() -> None:
    compiled = compile_form(definition(field("notes", "textarea")))
    schema = {**compiled.validator.schema,
              "properties": {"notes": {"type": "string", "pattern": "^(a|aa)+$"}}}
    compiled = with_schema(compiled, schema, 0.02)
    started = time.monotonic()
    with pytest.raises(ValidationFailed) as raised:
        validate(compiled, {"notes": "a" * 60 + "!"}, FieldContext(locale="en"))
    assert time.monotonic() - started < 2
    [error] = raised.value.errors
    assert (error.field, error.code, error.message) == ("notes", "pattern_timeout",
                                                        "Notes could not be checked in time")


def test_designer_pattern_timeout_is_an_error_not_a_hang() -> None:
    compiled = compile_form(definition(field("code", pattern="^(a|aa)+$", max_length=2000)))
    started = time.monotonic()
    errors = errors_of(compiled, {"code": "a" * 1900 + "!"},
                       FieldContext(locale="en", extra={"REGEX_TIMEOUT": 0.01}))
    assert time.monotonic() - started < 2
    assert errors == [("code", "pattern_timeout")]
