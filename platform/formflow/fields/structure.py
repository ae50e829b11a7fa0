"""Subtable: rows of typed cells (order lines, contacts of a company).

``columns`` is a list of field definitions; each cell is coerced and checked by its column's own type,
and problems are reported per cell with dotted paths (``items.2.sku``, rows counted from 0). Formula
columns are computed per row from the row's cells; nested subtables and auto-numbers are not allowed.
Stored rows hold every column key (null when empty); rows with no value at all are dropped.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from sqlalchemy import ColumnElement

from formflow.errors import FieldError
from formflow.fields import registry
from formflow.fields.base import (
    CoercionError,
    DependsOnFields,
    Examples,
    Field,
    FieldContext,
    FieldType,
    HasColumns,
    definition_error,
    is_blank,
)
from formflow.fields.sql import KEY_PATTERN, dialect


@registry.register
class SubtableField(HasColumns, FieldType):
    """A list of rows; each row an object keyed by the ``columns``' keys."""

    name = "subtable"
    widget = "subtable"
    value_kind = "list"
    sortable = False
    searchable = True
    #: most rows when the definition sets no ``max_rows``
    default_max_rows: ClassVar[int] = 200
    examples = Examples(
        config={
            "columns": [
                {"key": "sku", "type": "text", "label": {"en": "SKU"}, "required": True},
                {"key": "qty", "type": "integer", "label": {"en": "Qty"}},
                {"key": "price", "type": "currency", "label": {"en": "Price"}},
                {"key": "amount", "type": "formula", "expression": "qty * price", "result_type": "number"},
            ]
        },
        valid=(
            [{"sku": "A-1", "qty": "2", "price": "9.90"}],
            [{"sku": "B", "qty": 1}, {"sku": "C", "price": 3}],
            '[{"sku": "D", "qty": "4"}]',
            [{"sku": "E"}, {"sku": "", "qty": ""}],
        ),
        invalid=(
            [{"qty": 2}],
            [{"sku": "A", "color": "red"}],
            [{"sku": "A", "qty": "x"}],
            "not json",
            [1],
            {"sku": "A"},
        ),
    )

    def config_schema(self) -> dict[str, Any]:
        return {
            "columns": {
                "type": "array",
                "minItems": 1,
                "maxItems": 50,
                "items": {
                    "type": "object",
                    "required": ["key", "type"],
                    "properties": {
                        "key": {"type": "string", "pattern": KEY_PATTERN.pattern},
                        "type": {"type": "string"},
                    },
                },
            },
            "min_rows": {"type": "integer", "minimum": 0},
            "max_rows": {"type": "integer", "minimum": 1, "maximum": 1000},
        }

    def columns(self, field: Field) -> dict[str, Field]:
        """The columns by key; definitions of unknown types are skipped (check_definition reports them)."""
        from formflow.fields import registry

        return {
            definition["key"]: Field(definition)
            for definition in field.get("columns") or []
            if isinstance(definition, dict) and definition.get("type") in registry and "key" in definition
        }

    def is_allowed_column(self, column: Field) -> bool:
        """Columns may not hold rows themselves, nor values only the record service computes."""
        return not isinstance(column.type, HasColumns) and (
            not column.type.computed or isinstance(column.type, DependsOnFields)
        )

    def check_definition(self, field: Field, fields: dict[str, Field]) -> list[FieldError]:
        from formflow.fields import registry
        from formflow.fields.computed import formula_cycles

        definitions = [
            definition for definition in field.get("columns") or [] if isinstance(definition, dict)
        ]
        if not definitions:
            return [definition_error(field, "no_columns", "Add at least one column")]
        errors: list[FieldError] = []
        keys = [definition.get("key") for definition in definitions]
        for key in sorted({key for key in keys if keys.count(key) > 1}):
            errors.append(definition_error(field, "duplicate_column", "Duplicate column %(key)s", key=key))
        for definition in definitions:
            if definition.get("type") not in registry:
                errors.append(
                    definition_error(
                        field, "unknown_type", "Unknown field type %(name)s", name=definition.get("type")
                    )
                )
        columns = self.columns(field)
        for column in columns.values():
            if not self.is_allowed_column(column):
                errors.append(
                    definition_error(
                        field,
                        "column_type",
                        "A subtable cannot have a %(name)s column",
                        name=column.type.name,
                    )
                )
                continue
            for error in column.type.check_definition(column, columns):
                errors.append(FieldError(f"{field.key}.{column.key}", error.code, error.message))
        for cycle in formula_cycles(columns):
            errors.append(
                definition_error(
                    field,
                    "formula_cycle",
                    "Formulas depend on each other in a cycle: %(cycle)s",
                    cycle=" → ".join(cycle),
                )
            )
        if (field.get("min_rows") or 0) > self.max_rows(field):
            errors.append(definition_error(field, "min_above_max", "The minimum is above the maximum"))
        return errors

    def max_rows(self, field: Field) -> int:
        """Most rows a value may have."""
        return int(field.get("max_rows") or self.default_max_rows)

    def value_schema(self, field: Field) -> dict[str, Any]:
        columns = self.columns(field)
        properties = {
            key: column.type.value_schema(column)
            if column.required
            else {"anyOf": [column.type.value_schema(column), {"type": "null"}]}
            for key, column in columns.items()
        }
        return {
            "type": "array",
            "minItems": max(1, int(field.get("min_rows") or 0)),
            "maxItems": self.max_rows(field),
            "items": {
                "type": "object",
                "properties": properties,
                "required": [key for key, column in columns.items() if column.required],
                "additionalProperties": False,
            },
        }

    def coerce(self, field: Field, raw: Any, context: FieldContext) -> list[dict[str, Any]] | None:
        from formflow.fields.computed import compute

        if is_blank(raw):
            return None
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                raise CoercionError("not_rows", context.translate("Enter a list of rows")) from None
        if not isinstance(raw, list | tuple) or not all(isinstance(row, dict) for row in raw):
            raise CoercionError("not_rows", context.translate("Enter a list of rows"))
        columns = self.columns(field)
        rows: list[dict[str, Any]] = []
        errors: list[FieldError] = []
        for position, raw_row in enumerate(raw):
            row: dict[str, Any] = {}
            for key in raw_row:
                if key not in columns:
                    errors.append(
                        FieldError(
                            f"{field.key}.{position}.{key}",
                            "unknown_column",
                            context.translate("Unknown column"),
                        )
                    )
            for key, column in columns.items():
                if column.type.computed:
                    row[key] = None
                    continue
                try:
                    row[key] = column.type.coerce(column, raw_row.get(key), context)
                except CoercionError as error:
                    errors.extend(
                        FieldError(f"{field.key}.{position}.{path.field}", path.code, path.message)
                        for path in error.field_errors(key)
                    )
                    row[key] = None
            if all(value is None for value in row.values()) and not any(
                f"{field.key}.{position}." in error.field for error in errors
            ):
                continue  # an empty row, as forms send for their blank last line
            for key, column in columns.items():
                if (
                    column.required
                    and row[key] is None
                    and not column.type.computed
                    and not any(error.field == f"{field.key}.{position}.{key}" for error in errors)
                ):
                    errors.append(
                        FieldError(
                            f"{field.key}.{position}.{key}",
                            "required",
                            context.translate("This field is required"),
                        )
                    )
            rows.append(compute(columns, row, context))
        if errors:
            raise CoercionError("invalid_rows", context.translate("Some rows have problems"), errors)
        if not rows:
            return None
        if len(rows) > self.max_rows(field):
            raise CoercionError(
                "too_many_rows", context.translate("Enter at most %(count)s rows", count=self.max_rows(field))
            )
        if len(rows) < int(field.get("min_rows") or 0):
            raise CoercionError(
                "too_few_rows",
                context.translate("Enter at least %(count)s rows", count=field.get("min_rows")),
            )
        return rows

    def sql_expression(self, field: Field, data_column: Any, dialect_name: str) -> ColumnElement[Any]:
        return dialect(dialect_name).json(data_column, (field.key,))

    def sql_literal(self, field: Field, value: Any) -> Any:
        return value

    def display(self, field: Field, value: Any, context: FieldContext) -> str:
        if not value:
            return ""
        return context.translate("%(count)s rows", count=len(value))

    def search_text(self, field: Field, value: Any) -> str:
        if not value:
            return ""
        columns = self.columns(field)
        words = [
            column.type.search_text(column, row.get(key))
            for row in value
            for key, column in columns.items()
            if column.searchable
        ]
        return " ".join(word for word in words if word)

    def client_hints(self, field: Field) -> dict[str, Any]:
        return {
            "input_type": "subtable",
            "min_rows": int(field.get("min_rows") or 0),
            "max_rows": self.max_rows(field),
            "columns": [
                {
                    "key": key,
                    "type": column.type.name,
                    "label": column.label,
                    "required": column.required,
                    "widget": column.type.widget,
                    "hints": column.type.client_hints(column),
                }
                for key, column in self.columns(field).items()
            ],
        }
