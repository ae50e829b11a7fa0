"""The SQL evaluator: a condition as one SQLAlchemy boolean expression over a record's columns.

Every operand is a bound parameter and every field key was checked by ``tree.parse`` against
``tree.FIELD_KEY``, so no condition can inject SQL. Each leaf is false (never NULL) on an empty value,
so ``not`` and ``any`` behave as in Python's two-valued logic (``conditions.python``). Dialect
differences (JSON lists, case folding) live in ``conditions.dialects``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_, false, not_, or_, true

from formflow.conditions.context import EvaluationContext
from formflow.conditions.kinds import Binder, ValueKind
from formflow.conditions.operators import compile_guarded
from formflow.conditions.tree import AllOf, AnyOf, Condition, FieldSpec, Leaf, Node, Not, parse
from formflow.fields.base import Field
from formflow.records.models import Record

#: a column as ``compile`` takes it: the typed SQL expression of the value, and the Field it comes
#: from (its type binds operands: ``FieldType.sql_literal``) or, without one, the value kind's name
#: (None: a system field's own kind)
Column = tuple[ColumnElement[Any], Field | str | None]

#: the system fields' columns on ``records`` (their kinds: ``tree.SYSTEM_FIELDS``)
SYSTEM_COLUMNS: dict[str, Any] = {
    "id": Record.id,
    "owner": Record.owner_id,
    "state": Record.state,
    "created_at": Record.created_at,
    "updated_at": Record.updated_at,
    "created_by": Record.created_by_id,
    "updated_by": Record.updated_by_id,
}


def record_columns(fields: Iterable[Field], dialect_name: str) -> dict[str, Column]:
    """The columns of a form's records for ``compile``: each field's typed expression, plus the system
    fields. A field type that cannot express its value in SQL is left out (conditions on it fail)."""
    columns: dict[str, Column] = {key: (column, None) for key, column in SYSTEM_COLUMNS.items()}
    for field in fields:
        try:
            expression = field.type.sql_expression(field, Record.data, dialect_name)
        except NotImplementedError:
            continue
        columns.setdefault(field.key, (expression, field))
    return columns


def compile(condition: Condition | dict[str, Any], columns: Mapping[str, Column],
            context: EvaluationContext) -> ColumnElement[bool]:
    """``condition`` (parsed, or a raw tree checked here against ``columns``) as a WHERE clause.

    Relative dates and variables are resolved from ``context`` now, into bound values.
    """
    if not isinstance(condition, Condition):
        specs: dict[str, FieldSpec] = {key: spec for key, (_, spec) in columns.items() if spec is not None}
        condition = parse(condition, specs)
    return _compile(condition.root, columns, context)


def _compile(node: Node, columns: Mapping[str, Column], context: EvaluationContext) -> ColumnElement[bool]:
    match node:
        case Leaf():
            return _leaf(node, columns, context)
        case AllOf():
            return and_(true(), *(_compile(child, columns, context) for child in node.children))
        case AnyOf():
            return or_(false(), *(_compile(child, columns, context) for child in node.children))
        case Not():
            return not_(_compile(node.child, columns, context))
    raise TypeError(f"not a condition node: {node!r}")


def _leaf(leaf: Leaf, columns: Mapping[str, Column], context: EvaluationContext) -> ColumnElement[bool]:
    try:
        expression, spec = columns[leaf.field]
    except KeyError:
        raise KeyError(f"no SQL column for the condition's field {leaf.field!r}") from None
    operand = leaf.operator.operand.resolve(leaf.value, leaf.kind, context)
    return compile_guarded(leaf.operator, expression, operand, leaf.kind, _binder(spec, leaf.kind))


def _binder(spec: Field | str | None, kind: ValueKind) -> Binder:
    """How operands become bound values: through the field type when there is one."""
    if isinstance(spec, Field):
        field = spec
        return lambda operand: field.type.sql_literal(field, kind.stored(operand))
    return kind.sql_literal
