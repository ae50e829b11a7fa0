"""The Python evaluator: a parsed condition against one record's stored values.

``data`` maps field keys (and the system fields) to stored JSON values (docs/internals.md: currency a
decimal string, date ``YYYY-MM-DD``, datetime ISO 8601 UTC with ``Z``, multiselect a list, user an int).
A missing key is an empty value. Workflow guards, rules and field visibility evaluate here; the SQL
evaluator (``conditions.sql``) must give the same answer for the same record (tests/conditions).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from formflow.conditions.context import EvaluationContext
from formflow.conditions.kinds import format_datetime
from formflow.conditions.operators import evaluate_guarded
from formflow.conditions.tree import AllOf, AnyOf, Condition, Leaf, Node, Not


def evaluate(condition: Condition, data: Mapping[str, Any], context: EvaluationContext) -> bool:
    """Whether the record with stored values ``data`` satisfies ``condition`` (from ``tree.parse``)."""
    return _evaluate(condition.root, data, context)


def _evaluate(node: Node, data: Mapping[str, Any], context: EvaluationContext) -> bool:
    match node:
        case Leaf():
            value = node.comparable(data.get(node.field))
            operand = node.operator.operand.resolve(node.value, node.kind, context)
            return evaluate_guarded(node.operator, value, operand, node.kind)
        case AllOf():
            return all(_evaluate(child, data, context) for child in node.children)
        case AnyOf():
            return any(_evaluate(child, data, context) for child in node.children)
        case Not():
            return not _evaluate(node.child, data, context)
    raise TypeError(f"not a condition node: {node!r}")


class RecordLike(Protocol):
    """What ``record_values`` reads from a record (``records.models.Record`` has it all)."""

    id: int
    data: dict[str, Any]
    owner_id: int | None
    state: str | None
    created_at: datetime
    updated_at: datetime
    created_by_id: int | None
    updated_by_id: int | None


def record_values(record: RecordLike) -> dict[str, Any]:
    """A record's data plus its system fields, in the stored forms ``evaluate`` expects."""
    values = dict(record.data or {})
    values.update({
        "id": record.id,
        "owner": record.owner_id,
        "state": record.state,
        "created_at": format_datetime(record.created_at) if record.created_at else None,
        "updated_at": format_datetime(record.updated_at) if record.updated_at else None,
        "created_by": record.created_by_id,
        "updated_by": record.updated_by_id,
    })
    return values
