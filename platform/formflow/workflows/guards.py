"""Why a guard is false, in words a user understands: "需要先填写预计成交金额" (Fill in Amount first).

``explain`` walks the parsed guard like the Python evaluator does and describes the leaves that fail,
with the field's label and the operator; an empty field gets "fill in ... first" whatever the
operator, since every test but ``is_empty`` fails on an empty value (docs/internals.md). A
transition's ``guard_message`` replaces all of this when the admin wrote one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from formflow.conditions.context import EvaluationContext
from formflow.conditions.python import evaluate
from formflow.conditions.tree import AllOf, AnyOf, Condition, Leaf, Node, Not
from formflow.fields.base import Field, FieldContext
from formflow.i18n import current_locale, gettext, label


def N_(message: str) -> str:  # noqa: N802  (the name babel extracts by default)
    """Mark ``message`` for the catalog; it is translated where it is shown."""
    return message


#: how a failing leaf reads, by operator; ``%(field)s`` is the label, ``%(value)s`` the operand
#: a leaf whose field is empty (every test but ``is_empty`` fails on an empty value)
FILL_IN_MESSAGE = N_("Fill in %(field)s first")
LEAF_MESSAGES: dict[str, str] = {
    "is_not_empty": FILL_IN_MESSAGE,
    "is_empty": N_("%(field)s must be empty"),
    "eq": N_("%(field)s must be %(value)s"),
    "ne": N_("%(field)s must not be %(value)s"),
    "gt": N_("%(field)s must be greater than %(value)s"),
    "gte": N_("%(field)s must be at least %(value)s"),
    "lt": N_("%(field)s must be less than %(value)s"),
    "lte": N_("%(field)s must be at most %(value)s"),
    "between": N_("%(field)s must be between %(value)s"),
    "in": N_("%(field)s must be one of %(value)s"),
    "not_in": N_("%(field)s must not be one of %(value)s"),
    "contains": N_("%(field)s must contain %(value)s"),
    "starts_with": N_("%(field)s must start with %(value)s"),
    "date_is": N_("%(field)s must fall in %(value)s"),
    "within_last_days": N_("%(field)s must be within the last %(value)s days"),
    "within_next_days": N_("%(field)s must be within the next %(value)s days"),
}
#: a negated leaf that holds
NEGATED_MESSAGE = N_("The condition on %(field)s is not met")
#: labels of the system columns conditions may name
SYSTEM_LABELS = {"id": N_("ID"), "owner": N_("Owner"), "state": N_("State"), "created_at": N_("Created"),
                 "updated_at": N_("Updated"), "created_by": N_("Created by"), "updated_by": N_("Updated by")}
#: relative periods (``date_is``) as a sentence names them
PERIOD_LABELS = {
    "today": N_("today"), "yesterday": N_("yesterday"), "tomorrow": N_("tomorrow"),
    "last_week": N_("last week"), "this_week": N_("this week"), "next_week": N_("next week"),
    "last_month": N_("last month"), "this_month": N_("this month"), "next_month": N_("next month"),
    "last_quarter": N_("last quarter"), "this_quarter": N_("this quarter"),
    "next_quarter": N_("next quarter"),
    "last_year": N_("last year"), "this_year": N_("this year"), "next_year": N_("next year"),
}
_EMPTY = (None, "", [], {})


def explain(condition: Condition, values: Mapping[str, Any], context: EvaluationContext,
            fields: Mapping[str, Field]) -> list[str]:
    """The reasons ``condition`` is false for ``values`` (empty when it holds), in the current locale."""
    return _Explainer(values, context, fields).reasons(condition.root)


class _Explainer:
    def __init__(self, values: Mapping[str, Any], context: EvaluationContext,
                 fields: Mapping[str, Field]) -> None:
        self.values = values
        self.context = context
        self.fields = fields
        self.display_context = FieldContext(timezone=context.timezone, locale=current_locale(),
                                            actor_user_id=context.user_id, now=context.now)

    def holds(self, node: Node) -> bool:
        return evaluate(Condition(node, {}), self.values, self.context)

    def reasons(self, node: Node) -> list[str]:
        if self.holds(node):
            return []
        match node:
            case Leaf():
                return [self.leaf(node)]
            case AllOf():
                return [reason for child in node.children for reason in self.reasons(child)]
            case AnyOf():
                found = [reason for child in node.children for reason in self.reasons(child)]
                return [gettext(" or ").join(dict.fromkeys(found))] if found else []
            case Not():
                keys = sorted({leaf.field for leaf in Condition(node.child, {}).leaves()})
                return [gettext(NEGATED_MESSAGE, field=", ".join(self.label(key) for key in keys))]
        return []

    def label(self, key: str) -> str:
        field = self.fields.get(key)
        if field is not None:
            return label(field.label) or key
        return gettext(SYSTEM_LABELS[key]) if key in SYSTEM_LABELS else key

    def leaf(self, leaf: Leaf) -> str:
        name = self.label(leaf.field)
        if self.values.get(leaf.field) in _EMPTY and leaf.operator.name != "is_empty":
            return gettext(FILL_IN_MESSAGE, field=name)
        message = LEAF_MESSAGES.get(leaf.operator.name, NEGATED_MESSAGE)
        return gettext(message, field=name, value=self.operand(leaf))

    def operand(self, leaf: Leaf) -> str:
        value = leaf.value
        if isinstance(value, dict) and set(value) == {"var"}:
            return gettext("you") if value["var"] == "me" else gettext("your team")
        if leaf.operator.name == "between" and isinstance(value, list):
            return gettext("%(low)s and %(high)s", low=self.shown(leaf, value[0]),
                           high=self.shown(leaf, value[1]))
        if isinstance(value, list):
            return ", ".join(self.shown(leaf, item) for item in value)
        if leaf.operator.name == "date_is" and value in PERIOD_LABELS:
            return gettext(PERIOD_LABELS[value])
        return self.shown(leaf, value)

    def shown(self, leaf: Leaf, value: Any) -> str:
        """An operand as the field displays it (an option's label rather than its value)."""
        field = self.fields.get(leaf.field)
        if field is not None and not isinstance(value, dict):
            try:
                shown = field.type.display(field, value, self.display_context)
            except (TypeError, ValueError, KeyError, ArithmeticError, AttributeError):
                shown = ""
            if shown:
                return shown
        return str(value)
