"""Keyset cursors: where a page ended, as an opaque token, and the SQL for "rows after it".

A token is base64url JSON ``{"s": [sort keys], "v": [the last row's value of each]}``; the keys end
with the id, the tiebreaker that makes the order total.
It carries no secret: the scope filter applies to every page, so a forged cursor can only skip
rows the actor may see anyway. Every part is checked against the query's sort, and each value
against the type of its sort expression, so a tampered token is a 400 ``invalid_cursor``, never a
database error.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    DateTime,
    Float,
    Integer,
    Numeric,
    String,
    and_,
    false,
    literal,
    or_,
)
from sqlalchemy.types import TypeDecorator, TypeEngine

from formflow.errors import BadRequest
from formflow.i18n import gettext

#: integers SQL can compare (BIGINT)
BIGINT = 2**63
#: decimals stay within NUMERIC(38, s): no exponent beyond 10^±38
DECIMAL_DIGITS = 38
#: longest text value a cursor may carry
MAX_TEXT = 10_000
#: longest token accepted, in characters
MAX_TOKEN = 40_000


def value_kind(type_: TypeEngine[Any]) -> str | None:
    """How a sort expression's values travel in a cursor, from its SQL type; None: not sortable."""
    if isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    for kind, classes in _KINDS:
        if isinstance(type_, classes):
            return kind
    return None


_KINDS: tuple[tuple[str, Any], ...] = (
    ("boolean", Boolean), ("integer", Integer), ("float", Float), ("decimal", Numeric),
    ("datetime", DateTime), ("text", String),
)


@dataclass(frozen=True)
class SortKey:
    """One ORDER BY term: the name the client gave, its expression, direction and cursor kind."""

    name: str
    expression: ColumnElement[Any]
    descending: bool
    kind: str

    def ordering(self) -> ColumnElement[Any]:
        return self.expression.desc() if self.descending else self.expression.asc()


def _invalid() -> BadRequest:
    return BadRequest(gettext("The cursor is not valid for this list; start again from the first page."),
                      code="invalid_cursor")


def _encode_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"d": str(value)}
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    return value


def encode(keys: list[SortKey], values: list[Any]) -> str:
    """The token for the row with these sort ``values`` (one per key)."""
    body = {"s": [key.name for key in keys], "v": [_encode_value(value) for value in values]}
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_value(kind: str, value: Any) -> Any:
    if value is None:
        return None
    return _DECODERS[kind](value)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _invalid()
    return value


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not -BIGINT <= value < BIGINT:
        raise _invalid()
    return value


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _invalid()
    return float(value)


def _decimal(value: Any) -> Decimal:
    if not isinstance(value, dict) or set(value) != {"d"} or not isinstance(value["d"], str):
        raise _invalid()
    try:
        number = Decimal(value["d"])
    except InvalidOperation:
        raise _invalid() from None
    if not number.is_finite() or len(value["d"]) > 80 or (number and abs(number.adjusted()) > DECIMAL_DIGITS):
        raise _invalid()
    return number


def _datetime(value: Any) -> datetime:
    if not isinstance(value, dict) or set(value) != {"t"} or not isinstance(value["t"], str):
        raise _invalid()
    try:
        moment = datetime.fromisoformat(value["t"])
    except ValueError:
        raise _invalid() from None
    if moment.tzinfo is None:
        raise _invalid()
    return moment


def _text(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT or "\x00" in value:
        raise _invalid()
    return value


_DECODERS = {"boolean": _boolean, "integer": _integer, "float": _float, "decimal": _decimal,
             "datetime": _datetime, "text": _text}


def decode(token: str, keys: list[SortKey]) -> list[Any]:
    """The sort values a token holds; 400 ``invalid_cursor`` unless it fits ``keys``."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN:
        raise _invalid()
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        body = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _invalid() from None
    if (not isinstance(body, dict) or set(body) != {"s", "v"}
            or body["s"] != [key.name for key in keys]
            or not isinstance(body["v"], list) or len(body["v"]) != len(keys)):
        raise _invalid()
    return [_decode_value(key.kind, value) for key, value in zip(keys, body["v"], strict=True)]


def after(keys: list[SortKey], values: list[Any], nulls_largest: bool) -> ColumnElement[bool]:
    """SQL: the row comes strictly after the one with sort ``values`` in the order of ``keys``.

    ``keys`` end with a unique key (the id), so "after" is a strict total order. ``nulls_largest``
    is the engine's own NULL order (PostgreSQL sorts NULLs as the largest values, SQLite as the
    smallest), which the ORDER BY keeps so that the per-field expression indexes can serve it.
    """
    condition: ColumnElement[bool] = false()
    for key, value in reversed(list(zip(keys, values, strict=True))):
        expression = key.expression
        nulls_after = key.descending != nulls_largest
        if value is None:
            strict = false() if nulls_after else expression.is_not(None)
            tie = expression.is_(None)
        else:
            bound = literal(value, expression.type)  # a bound value: SQL compares booleans too
            greater = expression < bound if key.descending else expression > bound
            strict = or_(greater, expression.is_(None)) if nulls_after else greater
            tie = expression == bound
        condition = or_(strict, and_(tie, condition))
    return condition


@dataclass(frozen=True)
class Seek:
    """The rows after a cursor as index ranges: ``bound`` holds every non-empty one of them (a range on
    the first sort key, so an index on it starts at the cursor instead of the first row), and ``tail``,
    when not None, the empty ones, which all come after the others and need a query of their own."""

    bound: ColumnElement[bool]
    tail: ColumnElement[bool] | None


def seek(keys: list[SortKey], values: list[Any], nulls_largest: bool) -> Seek | None:
    """The index ranges of the rows ``after`` the cursor, or None when its first value is empty (then
    the rows after are a range of ``first IS NULL`` already)."""
    first, value = keys[0], values[0]
    if value is None:
        return None
    bound = literal(value, first.expression.type)
    within = first.expression <= bound if first.descending else first.expression >= bound
    nulls_after = first.descending != nulls_largest
    return Seek(within, first.expression.is_(None) if nulls_after else None)

