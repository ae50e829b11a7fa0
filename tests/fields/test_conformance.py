"""The conformance suite: every registered field type, on its declared examples, keeps the FieldType contract
(docs/internals.md, "Field types") — coercion, schema, display, hints, and SQL on the test database."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import Index, Table, insert, select
from sqlalchemy.orm import Session

from formflow.fields import registry
from formflow.fields.base import CoercionError, Field, FieldContext, FieldType, ListValues

TYPES = registry.names()
KINDS = {"text", "number", "decimal", "integer", "boolean", "date", "datetime", "list", "object"}
COMMON_ATTRIBUTES = {
    "key",
    "type",
    "label",
    "help",
    "placeholder",
    "required",
    "indexed",
    "unique",
    "searchable",
    "default",
    "visible_if",
    "required_if",
    "read_only",
}


def sample(name: str) -> tuple[FieldType, Field, dict[str, Field]]:
    """The type, its sample field (key "value") and the sample form's fields by key."""
    field_type = registry.get(name)
    field = Field({"key": "value", "type": name, "label": {"en": "Value"}, **field_type.examples.config})
    siblings = [Field(definition) for definition in field_type.examples.siblings]
    return field_type, field, {**{sibling.key: sibling for sibling in siblings}, field.key: field}


def stored_values(name: str) -> list[Any]:
    """The distinct stored values the valid examples coerce to, in example order."""
    field_type, field, _ = sample(name)
    values: list[Any] = []
    for raw in field_type.examples.valid:
        value = field_type.coerce(field, raw, FieldContext(locale="en"))
        if value not in values:
            values.append(value)
    return values


SORTABLE = [name for name in TYPES if sample(name)[0].is_sortable(sample(name)[1])]
LISTS = [
    name
    for name in TYPES
    if isinstance(registry.get(name), ListValues) and sample(name)[1].value_kind == "list"
]


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_registry_has_every_builtin_type() -> None:
    assert set(TYPES) >= {
        "text",
        "textarea",
        "number",
        "integer",
        "currency",
        "percent",
        "boolean",
        "date",
        "datetime",
        "select",
        "multiselect",
        "email",
        "phone",
        "url",
        "rating",
        "user",
        "relation",
        "subtable",
        "attachment",
        "region",
        "formula",
        "auto_number",
    }


@pytest.mark.parametrize("name", TYPES)
def test_type_declares_its_attributes(name: str) -> None:
    field_type = registry.get(name)
    assert field_type.name == name
    assert field_type.widget
    assert field_type.value_kind in KINDS


@pytest.mark.parametrize("name", TYPES)
def test_examples_offer_enough_cases(name: str) -> None:
    field_type = registry.get(name)
    assert len(field_type.examples.valid) >= 3
    assert len(stored_values(name)) >= 2
    assert len(field_type.examples.invalid) >= 3


@pytest.mark.parametrize("name", TYPES)
def test_config_schema_is_a_valid_schema_accepting_the_example(name: str) -> None:
    field_type, field, _ = sample(name)
    properties = field_type.config_schema()
    assert not set(properties) & COMMON_ATTRIBUTES
    schema = {"type": "object", "properties": properties}
    Draft202012Validator.check_schema(schema)
    validator(schema).validate(field_type.examples.config)


@pytest.mark.parametrize("name", TYPES)
def test_sample_definition_has_no_problems(name: str) -> None:
    field_type, field, fields = sample(name)
    assert field_type.check_definition(field, fields) == []


@pytest.mark.parametrize("name", TYPES)
def test_value_schema_is_a_valid_schema(name: str) -> None:
    field_type, field, _ = sample(name)
    Draft202012Validator.check_schema(field_type.value_schema(field))


@pytest.mark.parametrize("name", TYPES)
def test_valid_inputs_coerce_to_values_the_schema_accepts(name: str, context: FieldContext) -> None:
    field_type, field, _ = sample(name)
    check = validator(field_type.value_schema(field))
    for raw in field_type.examples.valid:
        value = field_type.coerce(field, raw, context)
        assert value is not None, raw
        errors = [error.message for error in check.iter_errors(value)]
        assert errors == [], (raw, value)


@pytest.mark.parametrize("name", TYPES)
def test_stored_values_are_plain_json(name: str) -> None:
    for value in stored_values(name):
        assert json.loads(json.dumps(value)) == value


@pytest.mark.parametrize("name", TYPES)
def test_coercing_a_stored_value_keeps_it(name: str, context: FieldContext) -> None:
    field_type, field, _ = sample(name)
    for value in stored_values(name):
        assert field_type.coerce(field, value, context) == value


@pytest.mark.parametrize("name", TYPES)
@pytest.mark.parametrize("blank", [None, "", "   "])
def test_blank_input_is_empty(name: str, blank: Any, context: FieldContext) -> None:
    field_type, field, _ = sample(name)
    assert field_type.coerce(field, blank, context) is None


@pytest.mark.parametrize("name", TYPES)
@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_invalid_inputs_raise_coercion_errors_with_a_message(name: str, locale: str) -> None:
    field_type, field, _ = sample(name)
    for raw in field_type.examples.invalid:
        with pytest.raises(CoercionError) as caught:
            field_type.coerce(field, raw, FieldContext(locale=locale))
        assert caught.value.code, raw
        assert caught.value.message, raw
        assert all(error.field.startswith(field.key) for error in caught.value.field_errors(field.key))


@pytest.mark.parametrize("name", TYPES)
@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_display_and_search_text_are_text(name: str, locale: str) -> None:
    field_type, field, _ = sample(name)
    context = FieldContext(locale=locale)
    assert field_type.display(field, None, context) == ""
    assert field_type.search_text(field, None) == ""
    for value in stored_values(name):
        shown = field_type.display(field, value, context)
        assert isinstance(shown, str) and shown
        assert isinstance(field_type.search_text(field, value), str)


@pytest.mark.parametrize("name", TYPES)
def test_client_hints_are_a_json_object(name: str) -> None:
    field_type, field, _ = sample(name)
    hints = field_type.client_hints(field)
    assert isinstance(hints, dict) and hints.get("input_type")
    assert json.loads(json.dumps(hints)) == hints


@pytest.mark.parametrize("name", TYPES)
def test_computed_types_are_the_ones_the_server_fills(name: str) -> None:
    assert registry.get(name).computed == (name in {"formula", "auto_number"})


# -- SQL -------------------------------------------------------------------------------------------


def fill(session: Session, table: Table, name: str) -> dict[int, Any]:
    """One row per stored example value (ids from 1), plus a row without the key and one with null."""
    values = dict(enumerate(stored_values(name), start=1))
    rows = [{"id": row_id, "data": {"value": value}} for row_id, value in values.items()]
    rows += [{"id": 100, "data": {"other": 1}}, {"id": 101, "data": {"value": None}}]
    session.execute(insert(table), rows)
    session.commit()
    return values


@pytest.mark.parametrize("name", TYPES)
def test_sql_expression_is_null_exactly_for_missing_values(
    name: str, session: Session, samples_table: Table
) -> None:
    field_type, field, _ = sample(name)
    values = fill(session, samples_table, name)
    expression = field_type.sql_expression(field, samples_table.c.data, session.get_bind().dialect.name)
    present = session.scalars(
        select(samples_table.c.id).where(expression.is_not(None)).order_by(samples_table.c.id)
    ).all()
    assert present == sorted(values)


@pytest.mark.parametrize("name", SORTABLE)
def test_sql_expression_sorts_like_python(name: str, session: Session, samples_table: Table) -> None:
    field_type, field, _ = sample(name)
    values = fill(session, samples_table, name)
    expression = field_type.sql_expression(field, samples_table.c.data, session.get_bind().dialect.name)
    ordered = session.scalars(
        select(samples_table.c.id).where(expression.is_not(None)).order_by(expression, samples_table.c.id)
    ).all()
    expected = sorted(values, key=lambda row_id: (field_type.sql_literal(field, values[row_id]), row_id))
    assert ordered == expected


@pytest.mark.parametrize("name", SORTABLE)
def test_sql_expression_equals_its_literal(name: str, session: Session, samples_table: Table) -> None:
    field_type, field, _ = sample(name)
    values = fill(session, samples_table, name)
    expression = field_type.sql_expression(field, samples_table.c.data, session.get_bind().dialect.name)
    for row_id, value in values.items():
        literal = field_type.sql_literal(field, value)
        matched = session.scalars(select(samples_table.c.id).where(expression == literal)).all()
        assert matched == [row_id], value


@pytest.mark.parametrize("name", LISTS)
def test_sql_contains_finds_lists_holding_an_item(name: str, session: Session, samples_table: Table) -> None:
    field_type, field, _ = sample(name)
    values = fill(session, samples_table, name)
    dialect_name = session.get_bind().dialect.name
    for item in {item for value in values.values() for item in value}:
        condition = field_type.sql_contains(field, samples_table.c.data, dialect_name, item)
        matched = session.scalars(
            select(samples_table.c.id).where(condition).order_by(samples_table.c.id)
        ).all()
        assert matched == [row_id for row_id, value in values.items() if item in value], item


@pytest.mark.parametrize("name", TYPES)
def test_sql_expression_has_no_parameters_and_can_be_indexed(
    name: str, session: Session, samples_table: Table
) -> None:
    field_type, field, _ = sample(name)
    fill(session, samples_table, name)
    dialect = session.get_bind().dialect
    expression = field_type.sql_expression(field, samples_table.c.data, dialect.name)
    assert expression.compile(dialect=dialect).params == {}
    Index(f"ix_samples_{name}", expression).create(session.connection())
    session.commit()
    assert (
        session.scalar(
            select(samples_table.c.id).where(expression.is_not(None)).order_by(samples_table.c.id).limit(1)
        )
        == 1
    )
