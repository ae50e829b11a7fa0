"""References to other things in the workspace by id: user (a member) and relation (records of a form).

Existence is checked through ``FieldContext.lookup(kind, ids)`` when the caller gives one (the record
service does); display shows titles from ``FieldContext.extra["titles"][kind]``, else ``#<id>``.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement

from formflow.errors import FieldError
from formflow.fields import registry
from formflow.fields.base import (
    CoercionError,
    Examples,
    Field,
    FieldContext,
    FieldType,
    ListValues,
    definition_error,
    is_blank,
)
from formflow.fields.sql import KEY_PATTERN, dialect

#: ids are positive and fit a BIGINT
MAX_ID = 2**63 - 1
_ID_SEPARATORS = re.compile(r"[,，\s]+")


def id_input(raw: Any, context: FieldContext) -> int:
    """One id from an int or digit string; CoercionError otherwise."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        value = int(raw.strip())
    else:
        raise CoercionError("not_id", context.translate("Choose an item from the list"))
    if not 0 < value <= MAX_ID:
        raise CoercionError("not_id", context.translate("Choose an item from the list"))
    return value


def ids_input(raw: Any, context: FieldContext) -> list[int]:
    """Ids from a list, one id, or "1, 2" text; duplicates dropped, order kept."""
    items = _ID_SEPARATORS.split(raw.strip()) if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple):
        items = [items]
    return list(dict.fromkeys(id_input(item, context) for item in items if not is_blank(item)))


def check_exist(kind: str, ids: list[int], context: FieldContext) -> None:
    """Raise CoercionError naming the ids ``context.lookup`` does not find (no lookup: no check)."""
    if context.lookup is None or not ids:
        return
    missing = context.lookup(kind, ids)
    if missing:
        raise CoercionError(
            "not_found",
            context.translate("Not found: %(ids)s", ids=", ".join(f"#{item}" for item in sorted(missing))),
        )


@registry.register
class UserField(FieldType):
    """A member of the workspace, by user id."""

    name = "user"
    widget = "user"
    value_kind = "integer"
    #: the lookup and title kind of the ids
    kind = "user"
    examples = Examples(config={}, valid=(1, "2", " 30 ", 7), invalid=("bob", 0, -3, True, 1.5, [1, 2]))

    def value_schema(self, field: Field) -> dict[str, Any]:
        return {"type": "integer", "minimum": 1, "maximum": MAX_ID}

    def coerce(self, field: Field, raw: Any, context: FieldContext) -> int | None:
        if is_blank(raw):
            return None
        value = id_input(raw, context)
        check_exist(self.kind, [value], context)
        return value

    def sql_expression(self, field: Field, data_column: Any, dialect_name: str) -> ColumnElement[Any]:
        return dialect(dialect_name).integer(data_column, (field.key,))

    def sql_literal(self, field: Field, value: Any) -> Any:
        return None if value is None else int(value)

    def display(self, field: Field, value: Any, context: FieldContext) -> str:
        return "" if value is None else context.title(self.kind, value)

    def client_hints(self, field: Field) -> dict[str, Any]:
        return {"input_type": "user", "source": "users"}


@registry.register
class RelationField(ListValues, FieldType):
    """Records of the form ``target_form`` (a form key in the same app): one id, or a list when ``many``.

    ``display_field`` names the target's field shown as the record's title (default: its title field).
    """

    name = "relation"
    widget = "relation"
    value_kind = "integer"
    examples = Examples(
        config={"target_form": "customers"},
        valid=(5, "12", 900, "3 "),
        invalid=("acme", 0, [1, 2], True, {"id": 1}),
    )

    def config_schema(self) -> dict[str, Any]:
        return {
            "target_form": {"type": "string", "pattern": KEY_PATTERN.pattern},
            "many": {"type": "boolean"},
            "display_field": {"type": "string", "pattern": KEY_PATTERN.pattern},
            "max_items": {"type": "integer", "minimum": 1, "maximum": 1000},
        }

    def is_many(self, field: Field) -> bool:
        """The field holds a list of ids."""
        return bool(field.get("many"))

    def kind(self, field: Field) -> str:
        """The lookup and title kind: ``record:<target form key>``."""
        return f"record:{field.get('target_form')}"

    def value_kind_of(self, field: Field) -> str:
        return "list" if self.is_many(field) else "integer"

    def is_sortable(self, field: Field) -> bool:
        return not self.is_many(field)

    def check_definition(self, field: Field, fields: dict[str, Field]) -> list[FieldError]:
        if not field.get("target_form"):
            return [definition_error(field, "no_target", "Choose the form this field links to")]
        return []

    def value_schema(self, field: Field) -> dict[str, Any]:
        single = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        if not self.is_many(field):
            return single
        schema: dict[str, Any] = {"type": "array", "items": single, "uniqueItems": True, "minItems": 1}
        if field.get("max_items"):
            schema["maxItems"] = field.get("max_items")
        return schema

    def coerce(self, field: Field, raw: Any, context: FieldContext) -> int | list[int] | None:
        if is_blank(raw):
            return None
        if not self.is_many(field):
            value = id_input(raw, context)
            check_exist(self.kind(field), [value], context)
            return value
        values = ids_input(raw, context)
        if not values:
            return None
        if field.get("max_items") and len(values) > field.get("max_items"):
            raise CoercionError(
                "too_many", context.translate("Choose at most %(count)s items", count=field.get("max_items"))
            )
        check_exist(self.kind(field), values, context)
        return values

    def sql_expression(self, field: Field, data_column: Any, dialect_name: str) -> ColumnElement[Any]:
        if self.is_many(field):
            return dialect(dialect_name).json(data_column, (field.key,))
        return dialect(dialect_name).integer(data_column, (field.key,))

    def sql_literal(self, field: Field, value: Any) -> Any:
        if value is None or isinstance(value, list):
            return value
        return int(value)

    def display(self, field: Field, value: Any, context: FieldContext) -> str:
        if value is None:
            return ""
        values = value if isinstance(value, list) else [value]
        separator = "、" if context.locale == "zh_CN" else ", "
        return separator.join(context.title(self.kind(field), item) for item in values)

    def client_hints(self, field: Field) -> dict[str, Any]:
        return {
            "input_type": "relation",
            "target_form": field.get("target_form"),
            "multiple": self.is_many(field),
            "display_field": field.get("display_field"),
        }
