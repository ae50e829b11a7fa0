"""Values the server computes on save: formula (an expression over other fields) and auto_number.

The record service computes formulas in ``formula_order`` (or calls ``compute``), after coercing
input and before validation; it also keeps the auto-number counter (records.models.AutoNumberCounter),
asking ``AutoNumberField.period`` which counter to bump and ``render`` for the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

from sqlalchemy import ColumnElement

from formflow.errors import FieldError, ValidationFailed
from formflow.fields import expressions, registry
from formflow.fields.base import (
    CoercionError,
    DependsOnFields,
    Examples,
    Field,
    FieldContext,
    FieldType,
    HasColumns,
    definition_error,
)
from formflow.fields.expressions import Environment, FormulaSyntaxError
from formflow.fields.number import LIMIT, json_number
from formflow.fields.sql import dialect
from formflow.fields.temporal import from_utc_text, zone
from formflow.fields.text import text_input
from formflow.i18n import gettext

#: formula result types -> the registered type whose value rules a result follows
RESULT_TYPES = {"number": "number", "text": "textarea", "date": "date", "boolean": "boolean"}


def _as_fields(fields: Iterable[Field] | Mapping[str, Field]) -> dict[str, Field]:
    if isinstance(fields, Mapping):
        return dict(fields)
    return {field.key: field for field in fields}


def formula_graph(fields: Iterable[Field] | Mapping[str, Field]) -> dict[str, list[str]]:
    """Computed fields with dependencies -> the computed fields they read, in definition order.

    Fields whose expression does not parse are left out (check_definition reports them).
    """
    by_key = _as_fields(fields)
    graph: dict[str, list[str]] = {}
    for key, field in by_key.items():
        if not isinstance(field.type, DependsOnFields):
            continue
        try:
            needs = field.type.dependencies(field)
        except FormulaSyntaxError:
            continue
        graph[key] = [other for other in by_key if other in needs]
    return {key: [other for other in needs if other in graph] for key, needs in graph.items()}


def formula_cycles(fields: Iterable[Field] | Mapping[str, Field]) -> list[list[str]]:
    """Each cycle among formulas as the keys around it, first key repeated last (``[a, b, a]``)."""
    graph = formula_graph(fields)
    cycles: list[list[str]] = []
    state: dict[str, str] = {}
    seen_members: set[str] = set()

    def visit(key: str, path: list[str]) -> None:
        state[key] = "open"
        for other in graph[key]:
            if state.get(other) == "open":
                cycle = path[path.index(other) :] + [other]
                if not seen_members.issuperset(cycle):
                    cycles.append(cycle)
                    seen_members.update(cycle)
            elif other not in state:
                visit(other, [*path, other])
        state[key] = "done"

    for key in graph:
        if key not in state:
            visit(key, [key])
    return cycles


def formula_order(fields: Iterable[Field] | Mapping[str, Field]) -> list[str]:
    """Keys of the formulas in an order where each comes after the formulas it reads.

    Ties keep definition order. Raises ValidationFailed with one error per field of each cycle,
    whose message names the cycle ("a → b → a").
    """
    cycles = formula_cycles(fields)
    if cycles:
        raise ValidationFailed(
            [
                FieldError(
                    key,
                    "formula_cycle",
                    gettext("Formulas depend on each other in a cycle: %(cycle)s", cycle=" → ".join(cycle)),
                )
                for cycle in cycles
                for key in dict.fromkeys(cycle)
            ]
        )
    graph = formula_graph(fields)
    order: list[str] = []
    remaining = dict(graph)
    while remaining:
        ready = next(key for key, needs in remaining.items() if all(other in order for other in needs))
        order.append(ready)
        del remaining[ready]
    return order


def compute(
    fields: Iterable[Field] | Mapping[str, Field], data: dict[str, Any], context: FieldContext
) -> dict[str, Any]:
    """``data`` with every formula (re)computed, in ``formula_order``."""
    by_key = _as_fields(fields)
    result = dict(data)
    for key in formula_order(by_key):
        field = by_key[key]
        result[key] = field.type.evaluate(field, result, context, fields=by_key)  # type: ignore[attr-defined]
    return result


def formula_value(field: Field | None, value: Any, context: FieldContext) -> Any:
    """A stored value as the formula language sees it: numbers as Decimal, dates as date..."""
    if value is None:
        return None
    kind = field.value_kind if field is not None else None
    if kind in ("number", "integer", "decimal") or (
        kind is None and isinstance(value, int | float) and not isinstance(value, bool)
    ):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "datetime":
        return from_utc_text(value)
    if isinstance(value, bool | str | list):
        return value
    return field.type.display(field, value, context) if field is not None else value


@registry.register
class FormulaField(DependsOnFields, FieldType):
    """A value computed on save from an ``expression`` (fields/expressions.py), typed by ``result_type``.

    ``decimals`` rounds a number result half-up. A result that cannot be computed is null.
    """

    name = "formula"
    widget = "formula"
    computed = True
    examples = Examples(
        config={"expression": "amount * 2", "result_type": "number"},
        valid=(12, "3.5", 0.1, -4, "1,000"),
        invalid=("abc", True, [1]),
        siblings=({"key": "amount", "type": "number"},),
    )

    def config_schema(self) -> dict[str, Any]:
        return {
            "expression": {"type": "string", "minLength": 1, "maxLength": expressions.MAX_LENGTH},
            "result_type": {"enum": list(RESULT_TYPES)},
            "decimals": {"type": "integer", "minimum": 0, "maximum": 10},
        }

    def result_type(self, field: Field) -> FieldType:
        """The type whose value rules the result follows."""
        from formflow.fields import registry

        return registry.get(RESULT_TYPES.get(field.get("result_type") or "number", "number"))

    def value_kind_of(self, field: Field) -> str:
        return self.result_type(field).value_kind

    def dependencies(self, field: Field) -> set[str]:
        names, columns = expressions.references(field.get("expression") or "")
        return names | {subtable for subtable, _column in columns}

    def check_definition(self, field: Field, fields: dict[str, Field]) -> list[FieldError]:
        try:
            names, columns = expressions.references(field.get("expression") or "")
        except FormulaSyntaxError as error:
            return [definition_error(field, "formula_syntax", error.message, **error.params)]
        if (field.get("result_type") or "number") not in RESULT_TYPES:
            return [
                definition_error(
                    field,
                    "formula_result_type",
                    "Unknown result type %(name)s",
                    name=field.get("result_type"),
                )
            ]
        errors = []
        unknown = sorted(name for name in names | {table for table, _ in columns} if name not in fields)
        if unknown:
            errors.append(
                definition_error(
                    field,
                    "formula_unknown_field",
                    "Unknown fields in the formula: %(names)s",
                    names=", ".join(unknown),
                )
            )
        for table, column in sorted(columns):
            parent = fields.get(table)
            if parent is None:
                continue
            if not isinstance(parent.type, HasColumns):
                errors.append(
                    definition_error(field, "formula_not_subtable", "%(name)s is not a subtable", name=table)
                )
            elif column not in parent.type.columns(parent):
                errors.append(
                    definition_error(
                        field,
                        "formula_unknown_field",
                        "Unknown fields in the formula: %(names)s",
                        names=f"{table}.{column}",
                    )
                )
        # cycles span several fields: formula_order reports them once for the whole form
        return errors

    def environment(
        self, field: Field, data: Mapping[str, Any], context: FieldContext, fields: Mapping[str, Field] | None
    ) -> Environment:
        """What the expression sees: referenced values converted by their fields' types."""
        fields = fields or {}
        names, columns = expressions.references(field.get("expression") or "")
        values = {name: formula_value(fields.get(name), data.get(name), context) for name in names}
        tables: dict[str, dict[str, list[Any]]] = {}
        for table, column in columns:
            parent = fields.get(table)
            column_field = (
                parent.type.columns(parent).get(column)
                if parent is not None and isinstance(parent.type, HasColumns)
                else None
            )
            rows = data.get(table) or []
            tables.setdefault(table, {})[column] = [
                formula_value(column_field, row.get(column), context) for row in rows if isinstance(row, dict)
            ]
        timezone = zone(context.timezone)
        return Environment(values, tables, expressions.today(context.now, timezone), timezone)

    def evaluate(
        self,
        field: Field,
        data: dict[str, Any],
        context: FieldContext,
        fields: Mapping[str, Field] | None = None,
    ) -> Any:
        """The stored result for ``data``; ``fields`` (the form's, by key) types the values read.

        Without ``fields``, JSON numbers are numbers and everything else is read as it is stored
        (so currency strings are text): pass them.
        """
        try:
            result = expressions.evaluate(
                field.get("expression") or "", self.environment(field, data, context, fields)
            )
        except FormulaSyntaxError:
            return None
        return self.stored(field, result, context)

    def stored(self, field: Field, result: Any, context: FieldContext) -> Any:
        """An expression result as the stored JSON value of ``result_type``; None when it is not one."""
        if result is None:
            return None
        kind = field.get("result_type") or "number"
        if kind == "number":
            if not isinstance(result, Decimal) or not result.is_finite() or abs(result) > LIMIT:
                return None
            if field.get("decimals") is not None:
                result = result.quantize(
                    Decimal(1).scaleb(-int(field.get("decimals"))), rounding=ROUND_HALF_UP
                )
            return json_number(result)
        if kind == "text":
            return expressions.text(result)[: expressions.MAX_TEXT]
        if kind == "date":
            if isinstance(result, datetime):
                return result.astimezone(zone(context.timezone)).date().isoformat()
            return result.isoformat() if isinstance(result, date) else None
        return result if isinstance(result, bool) else None

    def value_schema(self, field: Field) -> dict[str, Any]:
        base = self.result_type(field)
        if base.value_kind == "number":
            return {"type": "number"}
        return base.value_schema(Field({"key": field.key, "type": base.name}))

    def coerce(self, field: Field, raw: Any, context: FieldContext) -> Any:
        """Input shaped like a result (imports of computed history); the record service refuses user input."""
        base = self.result_type(field)
        return base.coerce(
            Field({"key": field.key, "type": base.name, "decimals": field.get("decimals")}), raw, context
        )

    def sql_expression(self, field: Field, data_column: Any, dialect_name: str) -> ColumnElement[Any]:
        base = self.result_type(field)
        return base.sql_expression(Field({"key": field.key, "type": base.name}), data_column, dialect_name)

    def sql_literal(self, field: Field, value: Any) -> Any:
        base = self.result_type(field)
        return base.sql_literal(Field({"key": field.key, "type": base.name}), value)

    def display(self, field: Field, value: Any, context: FieldContext) -> str:
        base = self.result_type(field)
        return base.display(
            Field({"key": field.key, "type": base.name, "decimals": field.get("decimals")}), value, context
        )

    def client_hints(self, field: Field) -> dict[str, Any]:
        return {
            "input_type": "computed",
            "read_only": True,
            "result_type": field.get("result_type") or "number",
            "dependencies": sorted(self.dependencies(field)) if field.get("expression") else [],
        }


_TOKEN = re.compile(r"\{([^{}]*)\}")
_SEQUENCE = re.compile(r"^seq(?::(\d{1,2}))?$")
#: date parts of a format -> how they render
_DATE_PARTS = {"YYYY": "%Y", "YY": "%y", "MM": "%m", "DD": "%d"}


@registry.register
class AutoNumberField(FieldType):
    """A readable sequence number like ``LEAD-2026-000042`` from ``format``.

    Parts: ``{YYYY} {YY} {MM} {DD}`` (the save date in the workspace timezone) and ``{seq:N}`` (the
    counter, zero-padded to N digits). The counter resets per period the date parts imply: yearly with
    a year, monthly with a month, daily with a day, never without date parts.
    """

    name = "auto_number"
    widget = "auto_number"
    computed = True
    searchable = True
    #: format when the definition sets none
    default_format: ClassVar[str] = "{seq:6}"
    examples = Examples(
        config={"format": "LEAD-{YYYY}-{seq:6}"},
        valid=("LEAD-2026-000001", "LEAD-2026-000002", "LEGACY-7", 15),
        invalid=([1], {"a": 1}, True),
    )

    def config_schema(self) -> dict[str, Any]:
        return {"format": {"type": "string", "minLength": 1, "maxLength": 60}}

    def format(self, field: Field) -> str:
        """The field's format string."""
        return field.get("format") or self.default_format

    def check_definition(self, field: Field, fields: dict[str, Field]) -> list[FieldError]:
        tokens = _TOKEN.findall(self.format(field))
        unknown = [token for token in tokens if token not in _DATE_PARTS and not _SEQUENCE.match(token)]
        if unknown:
            return [
                definition_error(
                    field,
                    "auto_number_format",
                    "Unknown parts in the format: %(parts)s",
                    parts=", ".join("{" + token + "}" for token in unknown),
                )
            ]
        if sum(1 for token in tokens if _SEQUENCE.match(token)) != 1:
            return [definition_error(field, "auto_number_format", "The format needs exactly one {seq:N}")]
        if "{" in _TOKEN.sub("", self.format(field)) or "}" in _TOKEN.sub("", self.format(field)):
            return [definition_error(field, "auto_number_format", "Unbalanced braces in the format")]
        return []

    def period(self, field: Field, now: datetime, timezone: str) -> str:
        """The counter's reset period at ``now``: "" (never resets), "2026", "202611" or "20261123"."""
        tokens = set(_TOKEN.findall(self.format(field)))
        local = _local(now, timezone)
        if "DD" in tokens:
            return local.strftime("%Y%m%d")
        if "MM" in tokens:
            return local.strftime("%Y%m")
        if tokens & {"YYYY", "YY"}:
            return local.strftime("%Y")
        return ""

    def render(self, field: Field, seq: int, now: datetime, timezone: str) -> str:
        """The number for counter value ``seq`` saved at ``now``."""
        local = _local(now, timezone)

        def part(match: re.Match[str]) -> str:
            token = match.group(1)
            if token in _DATE_PARTS:
                return local.strftime(_DATE_PARTS[token])
            width = _SEQUENCE.match(token)
            if width is None:
                return match.group(0)
            return str(seq).zfill(int(width.group(1) or 1))

        return _TOKEN.sub(part, self.format(field))

    def value_schema(self, field: Field) -> dict[str, Any]:
        return {"type": "string", "minLength": 1, "maxLength": 100}

    def coerce(self, field: Field, raw: Any, context: FieldContext) -> str | None:
        """A number carried over from elsewhere (imports); the record service refuses user input."""
        value = text_input(raw, context)
        if value is not None and len(value) > 100:
            raise CoercionError(
                "too_long", context.translate("Enter at most %(count)s characters", count=100)
            )
        return value

    def sql_expression(self, field: Field, data_column: Any, dialect_name: str) -> ColumnElement[Any]:
        return dialect(dialect_name).text(data_column, (field.key,))

    def client_hints(self, field: Field) -> dict[str, Any]:
        return {"input_type": "computed", "read_only": True, "format": self.format(field)}


def _local(now: datetime, timezone: str) -> datetime:
    moment = now if now.tzinfo else now.replace(tzinfo=UTC)
    return moment.astimezone(zone(timezone))
