"""compile_schema: the record JSON Schema of a definition."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from tests.forms.conftest import definition, field

from formflow.fields import registry
from formflow.fields.base import Field
from formflow.forms.schema import DRAFT, compile_schema

OPTIONS = [{"value": "new", "label": {"en": "New"}}, {"value": "won", "label": {"en": "Won"}}]
LEADS = definition(field("name", required=True, max_length=20), field("amount", "number", min=0),
                   field("stage", "select", options=OPTIONS))


def validator() -> Draft202012Validator:
    return Draft202012Validator(compile_schema(LEADS), format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = compile_schema(LEADS)
    assert schema["$schema"] == DRAFT
    Draft202012Validator.check_schema(schema)


def test_schema_refuses_unknown_keys() -> None:
    assert compile_schema(LEADS)["additionalProperties"] is False
    assert not validator().is_valid({"name": "Ada", "ghost": 1})


def test_schema_has_no_required_list_because_requiredness_is_conditional() -> None:
    assert "required" not in compile_schema(LEADS)
    assert validator().is_valid({})


def test_each_property_is_the_type_value_schema_or_null() -> None:
    schema = compile_schema(LEADS)
    for item in LEADS["fields"]:
        as_field = Field(item)
        assert schema["properties"][item["key"]] == {
            "anyOf": [registry.get(item["type"]).value_schema(as_field), {"type": "null"}]}


@pytest.mark.parametrize("data", [
    {"name": "Ada", "amount": 12.5, "stage": "won"},
    {"name": None, "amount": None, "stage": None},
    {"stage": "new"},
])
def test_schema_accepts_stored_records(data: dict) -> None:
    assert validator().is_valid(data)


@pytest.mark.parametrize("data", [
    {"name": "x" * 21},
    {"amount": -1},
    {"amount": "12"},
    {"stage": "lost"},
])
def test_schema_refuses_values_the_types_refuse(data: dict) -> None:
    assert not validator().is_valid(data)


def test_empty_definition_compiles_to_an_empty_object_schema() -> None:
    schema = compile_schema(definition())
    assert schema["properties"] == {}
    assert Draft202012Validator(schema).is_valid({})
    assert not Draft202012Validator(schema).is_valid({"anything": 1})
