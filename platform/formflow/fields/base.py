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
from formflow.i18n import gettext, use_locale


class CoercionError(ValueError):
    """Input cannot become a value of the field's type; ``message`` is localized.

    ``errors`` is set when the value has parts with their own problems (subtable cells): each
    error's ``field`` is then the full dotted path (``items.2.sku``).
    """

    def __init__(self, code: str, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.errors: list[FieldError] = errors or []

    def field_errors(self, key: str) -> list[FieldError]:
        """The problems as field errors: the part errors, or one error on ``key``."""
        return list(self.errors) or [FieldError(key, self.code, self.message)]


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
    #: optional: ``"REGEX_TIMEOUT"`` (seconds, from the setting), ``"titles"`` (``{kind: {id: title}}``
    #: with the kinds of ``lookup``, used by display of users, relations and attachments)
    extra: dict[str, Any] = field(default_factory=dict)

    def translate(self, message: str, **params: object) -> str:
        """``message`` in this context's locale (coercion errors and display follow the context)."""
        with use_locale(self.locale):
            return gettext(message, **params)

    def title(self, kind: str, item_id: int) -> str:
        """The title ``extra["titles"]`` gives an id of ``kind``, else ``#<id>``."""
        titles = self.extra.get("titles", {}).get(kind, {})
        return titles.get(item_id) or titles.get(str(item_id)) or f"#{item_id}"


@dataclass(frozen=True)
class Examples:
    """Sample inputs of a type, run by the conformance suite (tests/fields/test_conformance.py)."""

    #: type-specific attributes of the sample definition
    config: dict[str, Any]
    #: inputs coerce() must accept; at least three distinct stored values, for sort checks
    valid: tuple[Any, ...]
    #: inputs coerce() must refuse with CoercionError
    invalid: tuple[Any, ...]
    #: definitions of other fields the sample definition refers to (a formula's inputs)
    siblings: tuple[dict[str, Any], ...] = ()


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

    @property
    def value_kind(self) -> str:
        """How SQL casts this field's values (the type's, or what the definition makes it)."""
        return self.type.value_kind_of(self)

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
    #: sql_expression orders values like Python orders sql_literal(value); False for lists
    sortable: ClassVar[bool] = True
    #: sample inputs for the conformance suite
    examples: ClassVar[Examples]

    def value_kind_of(self, field: Field) -> str:
        """``value_kind`` for this field; types whose definition changes it (relation, formula) override."""
        return self.value_kind

    def is_sortable(self, field: Field) -> bool:
        """``sortable`` for this field; types whose definition changes it (relation ``many``) override."""
        return self.sortable

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


class HasColumns:
    """Capability of types whose values are rows of typed cells (subtable)."""

    def columns(self, field: Field) -> dict[str, Field]:
        """The row's columns by key, in definition order."""
        raise NotImplementedError


class DependsOnFields:
    """Capability of computed types whose value is derived from other fields (formula)."""

    def dependencies(self, field: Field) -> set[str]:
        """Keys of the fields (in the same form or row) the value is computed from."""
        raise NotImplementedError

    def evaluate(self, field: Field, data: dict[str, Any], context: FieldContext) -> Any:
        """The stored value computed from ``data`` (stored values by key); None when it cannot be."""
        raise NotImplementedError


class ListValues:
    """Capability of types storing a JSON list of scalars (multiselect, relation many, attachment)."""

    sortable: ClassVar[bool] = False

    def sql_contains(
        self, field: Field, data_column: Any, dialect_name: str, item: Any
    ) -> ColumnElement[bool]:
        """SQL: the stored list holds ``item`` (a scalar; rendered inline, so index-friendly)."""
        from formflow.fields.sql import dialect

        return dialect(dialect_name).list_contains(data_column, (field.key,), item)


#: JSON Schema of a label in the two interface languages
LABELS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"zh-CN": {"type": "string", "maxLength": 200}, "en": {"type": "string", "maxLength": 200}},
    "additionalProperties": False,
}


def is_blank(raw: Any) -> bool:
    """None, or a string of whitespace: what an empty form input sends."""
    return raw is None or (isinstance(raw, str) and not raw.strip())


def definition_error(field: Field, code: str, message: str, **params: object) -> FieldError:
    """A problem with ``field``'s definition, translated into the current locale."""
    return FieldError(field.key, code, gettext(message, **params))
