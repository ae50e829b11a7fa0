"""Value kinds: how conditions read, compare and bind the values of a field's kind.

A field type declares its ``value_kind`` (docs/internals.md, "Field types"); conditions only ever look at
that kind, never at the type's name. Each kind knows three things:

- ``python_value``: a stored JSON value as a comparable Python value, or None when the value is *empty*
  (null, missing, ``""``, ``[]``, ``{}``): every comparison with an empty value is false.
- ``sql_is_present``: the SQL twin of "not empty", a predicate that is never NULL. Operators compare the
  field's own expression (so expression indexes serve them) behind that guard.
- operands: which literals a condition may compare with, as Python values and as bound SQL literals.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from sqlalchemy import Boolean, ColumnElement, Date, Float, Integer, Numeric, String, and_, literal
from sqlalchemy.types import TypeEngine

from formflow.conditions import dialects
from formflow.conditions.context import DateSpan
from formflow.db import UTCDateTime
from formflow.registry import Registry

#: turns a Python operand into what SQL compares a column with (a bound value)
Binder = Callable[[Any], Any]

ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?$")
#: operands are whole seconds, like stored field values, so SQL can compare their text forms
OPERAND_DATETIME_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?$")


def parse_date(value: Any) -> date | None:
    """A ``YYYY-MM-DD`` string (or a date) as a date; None when it is not one."""
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not DATE_PATTERN.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_datetime(value: Any) -> datetime | None:
    """An ISO 8601 string (or a datetime) as an aware UTC datetime; naive values are read as UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and DATETIME_PATTERN.match(value):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_datetime(value: datetime) -> str:
    """The stored form of an instant: ISO 8601 in UTC with ``Z`` (microseconds only when present)."""
    text = value.astimezone(UTC).replace(tzinfo=None).isoformat()
    return f"{text}Z"


#: operands beyond 64-bit integers cannot be bound on SQLite or compared with BIGINT on PostgreSQL
INTEGER_RANGE = range(-(2**63), 2**63)
#: decimal operands: what NUMERIC(38, scale) columns can hold, written plainly
DECIMAL_OPERAND = re.compile(r"^-?\d{1,24}(\.\d{1,10})?$")
#: longest text operand: LIKE patterns stay well inside SQLite's 50,000-byte limit
MAX_TEXT_LENGTH = 2000


def is_number(value: Any) -> bool:
    """A JSON number (bool is not one)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def is_bindable_number(value: Any) -> bool:
    """A JSON number both databases can take as a parameter (integers within 64 bits)."""
    return is_number(value) and (not isinstance(value, int) or value in INTEGER_RANGE)


def fold_case(text: str) -> str:
    """ASCII-only lower case, the same folding the SQL evaluator does (non-ASCII keeps its case)."""
    return text.translate(ASCII_LOWER)


def same_json(left: Any, right: Any) -> bool:
    """JSON equality: numbers by value, anything else by type and value (``True`` is not ``1``)."""
    if is_number(left) and is_number(right):
        return bool(left == right)
    return type(left) is type(right) and bool(left == right)


class ValueKind:
    """How conditions treat the values of one value kind (base: opaque JSON, only emptiness)."""

    #: the kind's name, as field types declare it in ``value_kind``
    name: ClassVar[str]
    #: what an operand must be, for messages ("a number"); a msgid, translated where shown
    expected: ClassVar[str] = "no value"
    #: SQL type of a bound operand when the column comes without a Field to ask (system columns)
    sql_type: ClassVar[TypeEngine[Any]] = String()
    #: the ``{"var": "me"}`` user id (and ``my_team`` lists) may stand for an operand of this kind
    accepts_user_ids: ClassVar[bool] = False

    def python_value(self, stored: Any) -> Any:
        """A stored value as a comparable Python value; None when empty or not of this kind."""
        return None if stored in (None, "", [], {}) else stored

    def sql_is_present(self, expression: ColumnElement[Any]) -> ColumnElement[bool]:
        """SQL: the value is not empty (true or false, never NULL), where ``python_value`` is not None."""
        return expression.is_not(None)

    def is_operand(self, value: Any) -> bool:
        """Whether a literal in a condition is a valid operand of this kind."""
        return False

    def operand(self, value: Any) -> Any:
        """A valid literal operand as the Python value ``python_value`` compares with."""
        return self.python_value(value)

    def stored(self, operand: Any) -> Any:
        """A Python operand back in the stored JSON form (what ``FieldType.sql_literal`` receives)."""
        return operand

    def sql_literal(self, operand: Any) -> ColumnElement[Any]:
        """A bound parameter for a Python operand, typed for a plain (non-JSON) column."""
        return literal(operand, self.sql_type)

    def is_one_of(self, value: Any, operands: list[Any]) -> bool:
        """``in``: the (non-empty) value equals one of the operands."""
        return any(same_json(value, operand) for operand in operands)

    def sql_is_one_of(self, expression: ColumnElement[Any], operands: list[Any],
                      bind: Binder) -> ColumnElement[bool]:
        """``in`` as SQL, for a non-empty list of operands."""
        return expression.in_([bind(operand) for operand in operands])

    def contains(self, value: Any, operand: Any) -> bool:
        """``contains`` on a (non-empty) value; only kinds that list the operator define it."""
        raise NotImplementedError(f"{self.name} values have no contains")

    def sql_contains(self, expression: ColumnElement[Any], operand: Any,
                     bind: Binder) -> ColumnElement[bool]:
        """``contains`` as SQL."""
        raise NotImplementedError(f"{self.name} values have no contains")

    def in_span(self, value: Any, span: DateSpan) -> bool:
        """The relative-date tests: the (non-empty) value falls in ``span``."""
        raise NotImplementedError(f"{self.name} values are not dates")

    def sql_in_span(self, expression: ColumnElement[Any], span: DateSpan,
                    bind: Binder) -> ColumnElement[bool]:
        """The relative-date tests as SQL."""
        raise NotImplementedError(f"{self.name} values are not dates")


class TextKind(ValueKind):
    """Strings: text, textarea, email, url, phone, select, auto-number."""

    name = "text"
    expected = "a text of at most 2000 characters"

    def python_value(self, stored: Any) -> Any:
        return stored if isinstance(stored, str) and stored != "" else None

    def sql_is_present(self, expression: ColumnElement[Any]) -> ColumnElement[bool]:
        return and_(expression.is_not(None), expression != literal("", String()))

    def is_operand(self, value: Any) -> bool:
        return isinstance(value, str) and len(value) <= MAX_TEXT_LENGTH

    def operand(self, value: Any) -> Any:
        return value

    def contains(self, value: Any, operand: Any) -> bool:
        return fold_case(operand) in fold_case(value)

    def sql_contains(self, expression: ColumnElement[Any], operand: Any,
                     bind: Binder) -> ColumnElement[bool]:
        pattern = dialects.like_pattern(fold_case(operand))
        return dialects.FoldCase(expression).like(literal(pattern, String()), escape=dialects.LIKE_ESCAPE)

    def starts_with(self, value: Any, operand: Any) -> bool:
        """``starts_with``: a case-insensitive (ASCII) prefix."""
        return fold_case(value).startswith(fold_case(operand))

    def sql_starts_with(self, expression: ColumnElement[Any], operand: Any) -> ColumnElement[bool]:
        """``starts_with`` as SQL."""
        pattern = dialects.like_pattern(fold_case(operand), prefix="")
        return dialects.FoldCase(expression).like(literal(pattern, String()), escape=dialects.LIKE_ESCAPE)


class NumberKind(ValueKind):
    """JSON numbers compared as numbers: number, percent, rating."""

    name = "number"
    expected = "a number"
    sql_type = Float()

    def python_value(self, stored: Any) -> Any:
        return stored if is_number(stored) else None

    def is_operand(self, value: Any) -> bool:
        return is_bindable_number(value)


class IntegerKind(NumberKind):
    """Whole numbers: integer fields, user ids, single relations, system ids."""

    name = "integer"
    expected = "a whole number"
    sql_type = Integer()
    accepts_user_ids = True

    def python_value(self, stored: Any) -> Any:
        return stored if is_number(stored) and float(stored).is_integer() else None

    def is_operand(self, value: Any) -> bool:
        return is_bindable_number(value) and self.python_value(value) is not None


class DecimalKind(ValueKind):
    """Exact decimals stored as strings (currency), compared numerically."""

    name = "decimal"
    expected = "a decimal number"
    sql_type = Numeric(38, 10)

    def python_value(self, stored: Any) -> Any:
        if isinstance(stored, Decimal):
            return stored if stored.is_finite() else None
        if is_number(stored):
            stored = str(stored)
        if not isinstance(stored, str) or stored == "":
            return None
        try:
            value = Decimal(stored)
        except InvalidOperation:
            return None
        return value if value.is_finite() else None

    def is_operand(self, value: Any) -> bool:
        if is_bindable_number(value):
            return abs(value) < 10**24
        return isinstance(value, str) and DECIMAL_OPERAND.match(value) is not None

    def stored(self, operand: Any) -> Any:
        return str(operand)


class BooleanKind(ValueKind):
    """true / false."""

    name = "boolean"
    expected = "true or false"
    sql_type = Boolean()

    def python_value(self, stored: Any) -> Any:
        return stored if isinstance(stored, bool) else None

    def is_operand(self, value: Any) -> bool:
        return isinstance(value, bool)


class DateKind(ValueKind):
    """Calendar dates stored as ``YYYY-MM-DD``."""

    name = "date"
    expected = "a date (YYYY-MM-DD)"
    sql_type = Date()

    def python_value(self, stored: Any) -> Any:
        return parse_date(stored)

    def is_operand(self, value: Any) -> bool:
        return parse_date(value) is not None

    def stored(self, operand: Any) -> Any:
        return operand.isoformat()

    def in_span(self, value: Any, span: DateSpan) -> bool:
        return span.contains_date(value)

    def sql_in_span(self, expression: ColumnElement[Any], span: DateSpan,
                    bind: Binder) -> ColumnElement[bool]:
        return and_(expression >= bind(span.first), expression <= bind(span.last))


class DatetimeKind(ValueKind):
    """Instants stored as ISO 8601 UTC strings (``...Z``); operands without an offset are UTC."""

    name = "datetime"
    expected = "a date and time (ISO 8601)"
    sql_type = UTCDateTime()

    def python_value(self, stored: Any) -> Any:
        return parse_datetime(stored)

    def is_operand(self, value: Any) -> bool:
        return (isinstance(value, str) and OPERAND_DATETIME_PATTERN.match(value) is not None
                and parse_datetime(value) is not None)

    def stored(self, operand: Any) -> Any:
        return format_datetime(operand)

    def in_span(self, value: Any, span: DateSpan) -> bool:
        return span.contains_instant(value)

    def sql_in_span(self, expression: ColumnElement[Any], span: DateSpan,
                    bind: Binder) -> ColumnElement[bool]:
        start, end = span.utc_bounds()
        return and_(expression >= bind(start), expression < bind(end))


class ListKind(ValueKind):
    """JSON arrays (multiselect, many relations, attachments, subtables): membership, not order."""

    name = "list"
    expected = "a text or a number"
    accepts_user_ids = True

    def python_value(self, stored: Any) -> Any:
        return stored if isinstance(stored, list) and stored else None

    def sql_is_present(self, expression: ColumnElement[Any]) -> ColumnElement[bool]:
        return dialects.IsNonEmptyArray(expression)

    def is_operand(self, value: Any) -> bool:
        return (isinstance(value, str) and len(value) <= MAX_TEXT_LENGTH) or is_bindable_number(value)

    def operand(self, value: Any) -> Any:
        return value

    def is_one_of(self, value: Any, operands: list[Any]) -> bool:
        """``in`` on a list: it shares at least one element with the operands."""
        return any(same_json(item, operand) for item in value for operand in operands)

    def sql_is_one_of(self, expression: ColumnElement[Any], operands: list[Any],
                      bind: Binder) -> ColumnElement[bool]:
        return dialects.ListOverlaps(expression, *(dialects.json_scalar(item) for item in operands))

    def contains(self, value: Any, operand: Any) -> bool:
        """``contains`` on a list: one element equals the operand (exactly, case included)."""
        return any(same_json(item, operand) for item in value)

    def sql_contains(self, expression: ColumnElement[Any], operand: Any,
                     bind: Binder) -> ColumnElement[bool]:
        return dialects.ListContains(expression, dialects.json_scalar(operand))


class ObjectKind(ValueKind):
    """JSON objects (region): only emptiness is defined."""

    name = "object"
    expected = "no value"

    def python_value(self, stored: Any) -> Any:
        return stored if isinstance(stored, dict) and stored else None

    def sql_is_present(self, expression: ColumnElement[Any]) -> ColumnElement[bool]:
        return dialects.IsNonEmptyObject(expression)


registry: Registry[ValueKind] = Registry("value kind")
for _kind in (TextKind, NumberKind, IntegerKind, DecimalKind, BooleanKind, DateKind, DatetimeKind,
              ListKind, ObjectKind):
    registry.register(_kind)
