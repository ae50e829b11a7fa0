"""The record JSON Schema of a form definition (Draft 2020-12).

Each field contributes its type's ``value_schema``; a value may also be null (empty). The schema has
no ``required`` list: requiredness depends on ``visible_if`` / ``required_if`` conditions, which
``forms.validation`` evaluates.
"""

from __future__ import annotations

from typing import Any

from formflow.fields.base import Field

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def value_schemas(fields: dict[str, Field]) -> dict[str, dict[str, Any]]:
    """Each field's schema for a stored, non-null value, by key."""
    return {key: field.type.value_schema(field) for key, field in fields.items()}


def compile_schema(definition: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of a record's ``data`` under ``definition``: known keys only, each value or null."""
    fields = {item["key"]: Field(item) for item in definition.get("fields", [])}
    return {
        "$schema": DRAFT,
        "type": "object",
        "properties": {key: {"anyOf": [schema, {"type": "null"}]}
                       for key, schema in value_schemas(fields).items()},
        "additionalProperties": False,
    }
