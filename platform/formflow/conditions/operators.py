"""The operators of the condition language: one small registry entry each.

An operator declares the value kinds it applies to and the shape of its operand, and implements its
test twice: on Python values (``evaluate``) and as SQL (``compile``). Both receive values already
normalised by the kind (``ValueKind.python_value``; in SQL the field's expression behind the kind's
``sql_is_present`` guard), so an empty value never reaches an operator except the emptiness tests: every
comparison with an empty value is false, in both evaluators.
"""

from __future__ import annotations

import operator as python_operator
from collections.abc import Callable
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, and_, false, not_, true

from formflow.conditions.context import PERIODS, VARIABLES, DateSpan, EvaluationContext
from formflow.conditions.kinds import Binder, ValueKind
from formflow.i18n import gettext
from formflow.registry import Registry

#: at most this many values in an ``in`` / ``not_in`` list
MAX_LIST_VALUES = 1000
#: at most this many days in ``within_last_days`` / ``within_next_days`` (a century)
MAX_DAYS = 36500

#: every kind a comparison applies to
ORDERED_KINDS = frozenset({"number", "integer", "decimal", "date", "datetime"})
EQUATABLE_KINDS = ORDERED_KINDS | {"text", "boolean"}
ALL_KINDS = EQUATABLE_KINDS | {"list", "object"}
DATE_KINDS = frozenset({"date", "datetime"})

#: a problem with an operand: (path suffix below ".value", localized message)
Problem = tuple[str, str]


def _variable(value: Any) -> str | None:
    """The variable name of ``{"var": name}``; None for any other value."""
    if isinstance(value, dict) and set(value) == {"var"} and isinstance(value["var"], str):
        return value["var"]
    return None


def _scalar_problem(value: Any, kind: ValueKind) -> str | None:
    """Why ``value`` cannot be one operand of ``kind`` (None when it can)."""
    name = _variable(value)
    if name is not None:
        variable = VARIABLES.get(name)
        if variable is None:
            return gettext("Unknown variable %(name)s.", name=name[:64])
        if variable.is_list or not kind.accepts_user_ids:
            return gettext("The variable %(name)s cannot be used here.", name=name)
        return None
    if kind.is_operand(value):
        return None
    return gettext("Expected %(expected)s.", expected=gettext(kind.expected))


def _scalar(value: Any, kind: ValueKind, context: EvaluationContext) -> Any:
    """A checked operand as a Python value (a variable resolved; None when it has no value)."""
    name = _variable(value)
    return context.variable(name) if name is not None else kind.operand(value)


class Operand:
    """The shape of an operator's ``value``: how to check it, and how to resolve it in a context."""

    def problems(self, value: Any, kind: ValueKind) -> list[Problem]:
        """Everything wrong with ``value`` for ``kind`` (empty when it is valid)."""
        raise NotImplementedError

    def resolve(self, value: Any, kind: ValueKind, context: EvaluationContext) -> Any:
        """The checked value as Python; None when the leaf cannot match (``me`` with no user)."""
        raise NotImplementedError


class NoOperand(Operand):
    """The operator takes no value (``is_empty``)."""

    def problems(self, value: Any, kind: ValueKind) -> list[Problem]:
        return [] if value is None else [("", gettext("This operator takes no value."))]

    def resolve(self, value: Any, kind: ValueKind, context: EvaluationContext) -> Any:
        return None


class ScalarOperand(Operand):
    """One value of the field's kind, or the ``me`` variable where user ids fit."""

    def problems(self, value: Any, kind: ValueKind) -> list[Problem]:
        problem = _scalar_problem(value, kind)
        return [] if problem is None else [("", problem)]

    def resolve(self, value: Any, kind: ValueKind, context: EvaluationContext) -> Any:
        return _scalar(value, kind, context)


class PairOperand(Operand):
    """``[low, high]``, both of the field's kind."""

    def problems(self, value: Any, kind: ValueKind) -> list[Problem]:
        if not isinstance(value, list) or len(value) != 2:
            return [("", gettext("Expected a list of two values [from, to]."))]
        return [(f".{index}", problem) for index, item in enumerate(value)
                if (problem := _scalar_problem(item, kind)) is not None]

    def resolve(self, value: Any, kind: ValueKind, context: EvaluationContext) -> Any:
        low, high = (_scalar(item, kind, context) for item in value)
        return None if low is None or high is None else (low, high)


class ListOperand(Operand):
    """A list of values of the field's kind, or the ``my_team`` variable where user ids fit."""

    def problems(self, value: Any, kind: ValueKind) -> list[Problem]:
        name = _variable(value)
        if name is not None:
            variable = VARIABLES.get(name)
            if variable is None:
                return [("", gettext("Unknown variable %(name)s.", name=name[:64]))]
            if not variable.is_list or not kind.accepts_user_ids:
                return [("", gettext("The variable %(name)s cannot be used here.", name=name))]
            return []
        if not isinstance(value, list):
            return [("", gettext("Expected a list of values."))]
        if len(value) > MAX_LIST_VALUES:
            return [("", gettext("At most %(count)s values are allowed.", count=MAX_LIST_VALUES))]
        return [(f".{index}", problem) for index, item in enumerate(value)
                if (problem := _scalar_problem(item, kind)) is not None]

    def resolve(self, value: Any, kind: ValueKind, context: EvaluationContext) -> Any:
        name = _variable(value)
        items = context.variable(name) if name is not None else [
            _scalar(item, kind, context) for item in value]
        return [item for item in items if item is not None]


class PeriodOperand(Operand):
    """A period name: ``today``, ``this_week``, ``last_quarter``..."""

    def problems(self, value: Any, kind: ValueKind) -> list[Problem]:
        if isinstance(value, str) and value in PERIODS:
            return []
        return [("", gettext("Expected one of: %(names)s.", names=", ".join(PERIODS)))]

    def resolve(self, value: Any, kind: ValueKind, context: EvaluationContext) -> Any:
        return context.period(value)


class DaysOperand(Operand):
    """A whole number of days, 0 to ``MAX_DAYS``, counted back (``past``) or forward from today."""

    def __init__(self, past: bool) -> None:
        self.past = past

    def problems(self, value: Any, kind: ValueKind) -> list[Problem]:
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_DAYS:
            return []
        return [("", gettext("Expected a whole number of days from 0 to %(max)s.", max=MAX_DAYS))]

    def resolve(self, value: Any, kind: ValueKind, context: EvaluationContext) -> Any:
        return context.last_days(value) if self.past else context.next_days(value)


class Operator:
    """Base of every operator: a test on a non-empty value and its SQL twin."""

    #: registry key, what JSON and users see ("gt")
    name: ClassVar[str]
    #: value kinds (``ValueKind.name``) the operator applies to
    kinds: ClassVar[frozenset[str]]
    #: the shape of the operand
    operand: ClassVar[Operand] = ScalarOperand()
    #: looks at empty values itself (the emptiness tests); others are false on empty values
    tests_emptiness: ClassVar[bool] = False

    def evaluate(self, value: Any, operand: Any, kind: ValueKind) -> bool:
        """The test on a normalised Python value (non-empty unless ``tests_emptiness``)."""
        raise NotImplementedError

    def compile(self, expression: ColumnElement[Any], operand: Any, kind: ValueKind,
                bind: Binder) -> ColumnElement[bool]:
        """The test as SQL on a normalised expression; ``bind`` turns an operand into a bound value.

        Callers put ``kind.sql_is_present`` in front (except for ``tests_emptiness``), so the result
        only needs to be right, and never NULL, for non-empty values.
        """
        raise NotImplementedError


class Comparison(Operator):
    """An ordering or equality test through Python's and SQLAlchemy's shared operator protocol."""

    test: ClassVar[Callable[[Any, Any], Any]]

    def evaluate(self, value: Any, operand: Any, kind: ValueKind) -> bool:
        return bool(type(self).test(value, operand))

    def compile(self, expression: ColumnElement[Any], operand: Any, kind: ValueKind,
                bind: Binder) -> ColumnElement[bool]:
        return type(self).test(expression, bind(operand))


registry: Registry[Operator] = Registry("operator")


@registry.register
class Equals(Comparison):
    """Equal (text is compared exactly, case included)."""

    name = "eq"
    kinds = EQUATABLE_KINDS
    test = python_operator.eq


@registry.register
class NotEquals(Comparison):
    """Not equal; false on an empty value (use ``is_empty`` for those)."""

    name = "ne"
    kinds = EQUATABLE_KINDS
    test = python_operator.ne


@registry.register
class GreaterThan(Comparison):
    """Greater than (later, for dates)."""

    name = "gt"
    kinds = ORDERED_KINDS
    test = python_operator.gt


@registry.register
class GreaterOrEqual(Comparison):
    """Greater than or equal."""

    name = "gte"
    kinds = ORDERED_KINDS
    test = python_operator.ge


@registry.register
class LessThan(Comparison):
    """Less than (earlier, for dates)."""

    name = "lt"
    kinds = ORDERED_KINDS
    test = python_operator.lt


@registry.register
class LessOrEqual(Comparison):
    """Less than or equal."""

    name = "lte"
    kinds = ORDERED_KINDS
    test = python_operator.le


@registry.register
class Between(Operator):
    """``low <= value <= high``, both ends included; an inverted range matches nothing."""

    name = "between"
    kinds = ORDERED_KINDS
    operand = PairOperand()

    def evaluate(self, value: Any, operand: Any, kind: ValueKind) -> bool:
        low, high = operand
        return bool(low <= value <= high)

    def compile(self, expression: ColumnElement[Any], operand: Any, kind: ValueKind,
                bind: Binder) -> ColumnElement[bool]:
        low, high = operand
        return and_(expression >= bind(low), expression <= bind(high))


@registry.register
class In(Operator):
    """The value is one of the listed values; a list shares at least one element with them."""

    name = "in"
    kinds = frozenset({"text", "number", "integer", "decimal", "date", "list"})
    operand = ListOperand()

    def evaluate(self, value: Any, operand: Any, kind: ValueKind) -> bool:
        return kind.is_one_of(value, operand)

    def compile(self, expression: ColumnElement[Any], operand: Any, kind: ValueKind,
                bind: Binder) -> ColumnElement[bool]:
        if not operand:
            return false()
        return kind.sql_is_one_of(expression, operand, bind)


@registry.register
class NotIn(In):
    """The value is none of the listed values (false on an empty value, like ``ne``)."""

    name = "not_in"

    def evaluate(self, value: Any, operand: Any, kind: ValueKind) -> bool:
        return not super().evaluate(value, operand, kind)

    def compile(self, expression: ColumnElement[Any], operand: Any, kind: ValueKind,
                bind: Binder) -> ColumnElement[bool]:
        if not operand:
            return true()
        return not_(kind.sql_is_one_of(expression, operand, bind))


@registry.register
class Contains(Operator):
    """Text: a case-insensitive (ASCII) substring; lists: has the element."""

    name = "contains"
    kinds = frozenset({"text", "list"})

    def evaluate(self, value: Any, operand: Any, kind: ValueKind) -> bool:
        return kind.contains(value, operand)

    def compile(self, expression: ColumnElement[Any], operand: Any, kind: ValueKind,
                bind: Binder) -> ColumnElement[bool]:
        return kind.sql_contains(expression, operand, bind)


@registry.register
class StartsWith(Operator):
    """Text begins with the operand, case-insensitively (ASCII)."""

    name = "starts_with"
    kinds = frozenset({"text"})

    def evaluate(self, value: Any, operand: Any, kind: ValueKind) -> bool:
        return kind.starts_with(value, operand)

    def compile(self, expression: ColumnElement[Any], operand: Any, kind: ValueKind,
                bind: Binder) -> ColumnElement[bool]:
        return kind.sql_starts_with(expression, operand)


@registry.register
class IsEmpty(Operator):
    """Null, missing, ``""``, ``[]`` or ``{}``."""

    name = "is_empty"
    kinds = ALL_KINDS
    operand = NoOperand()
    tests_emptiness = True

    def evaluate(self, value: Any, operand: Any, kind: ValueKind) -> bool:
        return value is None

    def compile(self, expression: ColumnElement[Any], operand: Any, kind: ValueKind,
                bind: Binder) -> ColumnElement[bool]:
        return not_(kind.sql_is_present(expression))


@registry.register
class IsNotEmpty(IsEmpty):
    """Anything but an empty value."""

    name = "is_not_empty"

    def evaluate(self, value: Any, operand: Any, kind: ValueKind) -> bool:
        return value is not None

    def compile(self, expression: ColumnElement[Any], operand: Any, kind: ValueKind,
                bind: Binder) -> ColumnElement[bool]:
        return kind.sql_is_present(expression)


class InSpan(Operator):
    """Base of the relative-date operators: the value falls in a span of whole local days."""

    kinds = DATE_KINDS

    def evaluate(self, value: Any, operand: DateSpan, kind: ValueKind) -> bool:
        return kind.in_span(value, operand)

    def compile(self, expression: ColumnElement[Any], operand: DateSpan, kind: ValueKind,
                bind: Binder) -> ColumnElement[bool]:
        return kind.sql_in_span(expression, operand, bind)


@registry.register
class DateIs(InSpan):
    """In a named period: ``today``, ``this_week``, ``last_month``, ``next_quarter``, ``this_year``..."""

    name = "date_is"
    operand = PeriodOperand()


@registry.register
class WithinLastDays(InSpan):
    """From N days before today through the end of today (N = 0: today)."""

    name = "within_last_days"
    operand = DaysOperand(past=True)


@registry.register
class WithinNextDays(InSpan):
    """From the start of today through N days after today (N = 0: today)."""

    name = "within_next_days"
    operand = DaysOperand(past=False)


def compile_guarded(operator: Operator, expression: ColumnElement[Any], operand: Any, kind: ValueKind,
                    bind: Binder) -> ColumnElement[bool]:
    """The operator's SQL, false (never NULL) where the value is empty, so ``not`` agrees with Python.

    ``operand`` is the resolved operand; None (``me`` without a user) makes the test false.
    """
    if operator.tests_emptiness:
        return operator.compile(expression, operand, kind, bind)
    if operand is None:
        return false()
    return and_(kind.sql_is_present(expression), operator.compile(expression, operand, kind, bind))


def evaluate_guarded(operator: Operator, value: Any, operand: Any, kind: ValueKind) -> bool:
    """The operator's Python test, false where the value is empty (or the operand missing)."""
    if operator.tests_emptiness:
        return operator.evaluate(value, operand, kind)
    return value is not None and operand is not None and operator.evaluate(value, operand, kind)
