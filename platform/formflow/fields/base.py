"""The field-type base class and the small objects every type works with.

A field type is one registry entry (DESIGN.md, "Field type"): it knows its JSON Schema fragment, how to
coerce input, its SQL expression, its display and its widget. Nothing else branches on type names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, ClassVar

from sqlalchemy import ColumnElement

from formflow.errors import FieldError


class CoercionError(ValueError):
    """Input cannot become a value of the field's type; ``message`` is localized."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class FieldContext:
    """What coercion and display need besides the value."""

    timezone: str = "Asia/Shanghai"
    locale: str = "zh_CN"
    actor_user_id: int | None = None
    now: datetime | None = None
    #: checks that ids of a kind ("user", "record:<form id>", "attachment") exist in the workspace;
    #: returns the ids that do not
    lookup: Callable[[str, list[int]], set[int]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Field:
    """A field definition (a dict from the form definition) with its field type resolved."""

    def __init__(self, definition: dict[str, Any]) -> None:
        from formflow.fields import registry

        self.definition = definition
        self.key: str = definition["key"]
        self.type: FieldType = registry.get(definition["type"])

    def get(self, name: str, default: Any = None) -> Any:
        """A definition attribute, or ``default``."""
        return self.definition.get(name, default)

    @property
    def label(self) -> dict[str, str]:
        return self.definition.get("label") or {}

    @property
    def required(self) -> bool:
        return bool(self.definition.get("required"))

    @property
    def indexed(self) -> bool:
        return bool(self.definition.get("indexed") or self.definition.get("unique"))

    @property
    def unique(self) -> bool:
        return bool(self.definition.get("unique"))

    @cached_property
    def searchable(self) -> bool:
        return bool(self.definition.get("searchable", self.type.searchable))

    def __repr__(self) -> str:
        return f"<Field {self.key}:{self.type.name}>"


class FieldType:
    """Base of every field type; subclasses override what differs."""

    #: registry key, what JSON and users see ("phone")
    name: ClassVar[str]
    #: widget macro in templates/widgets/
    widget: ClassVar[str] = "text"
    #: how SQL casts the stored value: text number decimal integer boolean date datetime list object
    value_kind: ClassVar[str] = "text"
    #: values feed the full-text index unless the field says otherwise
    searchable: ClassVar[bool] = False
    #: the server computes the value (formula, auto-number); input for it is refused
    computed: ClassVar[bool] = False

    def config_schema(self) -> dict[str, Any]:
        """JSON Schema ``properties`` of the type-specific attributes of a definition."""
        return {}

    def check_definition(self, field: Field, fields: dict[str, Field]) -> list[FieldError]:
        """Problems of the definition that a schema cannot express (bad regex, unknown target...)."""
        return []

    def value_schema(self, field: Field) -> dict[str, Any]:
        """JSON Schema fragment for a stored, non-null value."""
        raise NotImplementedError(f"{type(self).__name__} must define value_schema")

    def coerce(self, field: Field, raw: Any, context: FieldContext) -> Any:
        """Browser or API input to the stored JSON value; None/"" mean empty."""
        return raw

    def sql_expression(self, field: Field, data_column: Any, dialect_name: str) -> ColumnElement[Any]:
        """The stored value as a typed SQL expression, for filters, sorts, aggregates and indexes."""
        raise NotImplementedError(f"{type(self).__name__} must define sql_expression")

    def sql_literal(self, field: Field, value: Any) -> Any:
        """A Python value to compare ``sql_expression`` with."""
        return value

    def display(self, field: Field, value: Any, context: FieldContext) -> str:
        """The value as text for people, in the context's locale and timezone."""
        return "" if value is None else str(value)

    def search_text(self, field: Field, value: Any) -> str:
        """Text for the full-text index."""
        return "" if value is None else str(value)

    def client_hints(self, field: Field) -> dict[str, Any]:
        """What the browser widget needs: input type, inputmode, options, limits."""
        return {}
