"""Choices: boolean, select (one option) and multiselect (several options).

Options have stable values (what is stored, compared and exported), labels in zh-CN and en, and a
color. Input may name an option by its value or, for imports, by one of its labels; anything else is
refused.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement

from formflow.errors import FieldError
from formflow.fields import registry
from formflow.fields.base import (
    LABELS_SCHEMA,
    CoercionError,
    Examples,
    Field,
    FieldContext,
    FieldType,
    ListValues,
    definition_error,
    is_blank,
)
from formflow.fields.sql import dialect
from formflow.i18n import label

_TRUE = frozenset({"true", "on", "1", "yes", "y", "t", "是", "对", "真"})
_FALSE = frozenset({"false", "off", "0", "no", "n", "f", "否", "错", "假"})
_SEPARATORS = re.compile(r"[,，;；、]")


@registry.register
class BooleanField(FieldType):
    """Yes or no (JSON boolean); forms send "true"/"on"/"1", imports "是"/"否"."""

    name = "boolean"
    widget = "checkbox"
    value_kind = "boolean"
    examples = Examples(
        config={}, valid=(True, "on", "false", "是", 0, "No"), invalid=("maybe", 2, [True], {"v": 1})
    )

    def value_schema(self, field: Field) -> dict[str, Any]:
        return {"type": "boolean"}

    def coerce(self, field: Field, raw: Any, context: FieldContext) -> bool | None:
        if is_blank(raw):
            return None
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int | str):
            text = str(raw).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
        raise CoercionError("not_boolean", context.translate("Choose yes or no"))

    def sql_expression(self, field: Field, data_column: Any, dialect_name: str) -> ColumnElement[Any]:
        return dialect(dialect_name).boolean(data_column, (field.key,))

    def sql_literal(self, field: Field, value: Any) -> Any:
        return None if value is None else bool(value)

    def display(self, field: Field, value: Any, context: FieldContext) -> str:
        if value is None:
            return ""
        return context.translate("Yes") if value else context.translate("No")

    def client_hints(self, field: Field) -> dict[str, Any]:
        return {"input_type": "checkbox"}


_OPTIONS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "minItems": 1,
    "maxItems": 500,
    "items": {
        "type": "object",
        "properties": {
            "value": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": r"^[^,，;；、\s]"},
            "label": LABELS_SCHEMA,
            "color": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
        },
        "required": ["value"],
        "additionalProperties": False,
    },
}


@registry.register
class SelectField(FieldType):
    """One option of ``options`` (stored: the option's value string)."""

    name = "select"
    widget = "select"
    searchable = True
    examples = Examples(
        config={
            "options": [
                {"value": "new", "label": {"zh-CN": "新建", "en": "New"}, "color": "#1677ff"},
                {"value": "won", "label": {"zh-CN": "赢单", "en": "Won"}, "color": "#52c41a"},
                {"value": "lost", "label": {"zh-CN": "输单", "en": "Lost"}, "color": "#ff4d4f"},
            ]
        },
        valid=("new", "won", " lost ", "赢单", "New"),
        invalid=("unknown", 3, True, ["new"], {"value": "new"}),
    )

    def config_schema(self) -> dict[str, Any]:
        return {"options": _OPTIONS_SCHEMA}

    def options(self, field: Field) -> list[dict[str, Any]]:
        """The field's options, in order."""
        return list(field.get("options") or [])

    def check_definition(self, field: Field, fields: dict[str, Field]) -> list[FieldError]:
        values = [option.get("value") for option in self.options(field)]
        if not values:
            return [definition_error(field, "no_options", "Add at least one option")]
        duplicates = sorted({value for value in values if values.count(value) > 1})
        if duplicates:
            return [
                definition_error(
                    field,
                    "duplicate_option",
                    "Option values must be unique: %(values)s",
                    values=", ".join(duplicates),
                )
            ]
        return []

    def value_schema(self, field: Field) -> dict[str, Any]:
        return {"type": "string", "enum": [option["value"] for option in self.options(field)]}

    def option_value(self, field: Field, raw: Any, context: FieldContext) -> str:
        """The value of the option ``raw`` names by value, or else by a label (case-insensitive)."""
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise CoercionError("not_option", context.translate("Choose one of the options"))
        text = str(raw).strip()
        options = self.options(field)
        for option in options:
            if option["value"] == text:
                return text
        folded = text.casefold()
        for option in options:
            if any(name.strip().casefold() == folded for name in (option.get("label") or {}).values()):
                return option["value"]
        raise CoercionError(
            "unknown_option", context.translate("%(value)s is not one of the options", value=text)
        )

    def coerce(self, field: Field, raw: Any, context: FieldContext) -> str | None:
        return None if is_blank(raw) else self.option_value(field, raw, context)

    def sql_expression(self, field: Field, data_column: Any, dialect_name: str) -> ColumnElement[Any]:
        return dialect(dialect_name).text(data_column, (field.key,))

    def option_label(self, field: Field, value: str, locale: str) -> str:
        """The label of the option ``value`` in ``locale``; the value itself for a removed option."""
        for option in self.options(field):
            if option["value"] == value:
                return label(option.get("label"), locale) or value
        return value

    def display(self, field: Field, value: Any, context: FieldContext) -> str:
        return "" if value is None else self.option_label(field, value, context.locale)

    def search_text(self, field: Field, value: Any) -> str:
        if value is None:
            return ""
        values = value if isinstance(value, list) else [value]
        words: list[str] = []
        for item in values:
            option = next((option for option in self.options(field) if option["value"] == item), {})
            words.extend(dict.fromkeys([item, *(option.get("label") or {}).values()]))
        return " ".join(words)

    def client_hints(self, field: Field) -> dict[str, Any]:
        return {
            "input_type": "select",
            "options": [
                {"value": option["value"], "label": option.get("label") or {}, "color": option.get("color")}
                for option in self.options(field)
            ],
        }


@registry.register
class MultiselectField(ListValues, SelectField):
    """Several options (stored: their values, in option order); input is a list or "a, b" text."""

    name = "multiselect"
    widget = "multiselect"
    value_kind = "list"
    examples = Examples(
        config={**SelectField.examples.config, "max_selected": 2},
        valid=(["new", "won"], "won, lost", "赢单，新建", ["lost"], "new"),
        invalid=(["new", "nope"], "new,won,lost", 5, [True], {"a": 1}),
    )

    def config_schema(self) -> dict[str, Any]:
        return {
            **super().config_schema(),
            "min_selected": {"type": "integer", "minimum": 0},
            "max_selected": {"type": "integer", "minimum": 1},
        }

    def check_definition(self, field: Field, fields: dict[str, Field]) -> list[FieldError]:
        errors = super().check_definition(field, fields)
        low, high = field.get("min_selected"), field.get("max_selected")
        if low is not None and high is not None and low > high:
            errors.append(definition_error(field, "min_above_max", "The minimum is above the maximum"))
        return errors

    def value_schema(self, field: Field) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "array",
            "items": super().value_schema(field),
            "uniqueItems": True,
            "minItems": max(1, int(field.get("min_selected") or 0)),
        }
        if field.get("max_selected"):
            schema["maxItems"] = field.get("max_selected")
        return schema

    def coerce(self, field: Field, raw: Any, context: FieldContext) -> list[str] | None:
        if is_blank(raw):
            return None
        items = _SEPARATORS.split(raw) if isinstance(raw, str) else raw
        if not isinstance(items, list | tuple):
            raise CoercionError("not_list", context.translate("Choose one or more of the options"))
        chosen = {self.option_value(field, item, context) for item in items if not is_blank(item)}
        if not chosen:
            return None
        values = [option["value"] for option in self.options(field) if option["value"] in chosen]
        low, high = field.get("min_selected"), field.get("max_selected")
        if low and len(values) < low:
            raise CoercionError("too_few", context.translate("Choose at least %(count)s options", count=low))
        if high and len(values) > high:
            raise CoercionError("too_many", context.translate("Choose at most %(count)s options", count=high))
        return values

    def sql_expression(self, field: Field, data_column: Any, dialect_name: str) -> ColumnElement[Any]:
        return dialect(dialect_name).json(data_column, (field.key,))

    def sql_literal(self, field: Field, value: Any) -> Any:
        return value

    def display(self, field: Field, value: Any, context: FieldContext) -> str:
        if not value:
            return ""
        separator = "、" if context.locale == "zh_CN" else ", "
        return separator.join(self.option_label(field, item, context.locale) for item in value)

    def client_hints(self, field: Field) -> dict[str, Any]:
        hints = {**super().client_hints(field), "multiple": True}
        if field.get("max_selected"):
            hints["max_selected"] = field.get("max_selected")
        return hints
