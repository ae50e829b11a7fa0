"""Numbers: number, integer, percent, rating (JSON numbers) and currency (an exact decimal string).

Rounding policy: ``number`` and ``percent`` round half-up to the field's ``decimals`` when it sets them
(they are measurements); ``currency`` never rounds: input with more decimal places than the field's
``scale`` is refused, so money is never changed silently.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar

from sqlalchemy import ColumnElement

from formflow.errors import FieldError
from formflow.fields import registry
from formflow.fields.base import (
    CoercionError,
    Examples,
    Field,
    FieldContext,
    FieldType,
    definition_error,
    is_blank,
)
from formflow.fields.sql import dialect

_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,3})?$")
#: separators and symbols people type around digits
_NOISE = str.maketrans("", "", ",_ '\u00a0")
#: largest magnitude a JSON number field keeps: beyond it floats lose whole units
LIMIT = Decimal(10) ** 15
#: input at or beyond this is refused before any arithmetic (rounding would overflow Decimal's precision)
HUGE = Decimal(10) ** 27
#: JavaScript's Number.MAX_SAFE_INTEGER: larger integers do not survive the browser
SAFE_INTEGER = 2**53 - 1
#: currency symbols shown before amounts; other codes are shown as "CODE 1,234.50"
CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$"}
_SYMBOL_CHARACTERS = "".join(sorted(set("".join(CURRENCY_SYMBOLS.values())))) + "￥"


def decimal_input(raw: Any, context: FieldContext, strip: str = "") -> Decimal | None:
    """Input as a finite Decimal: numbers, or strings like "12.5", "1,234", "１２"; None when blank.

    Floats convert through their shortest repr, so 0.1 becomes Decimal("0.1"), not its binary value.
    ``strip`` lists extra characters to drop (currency symbols, "%").
    """
    if is_blank(raw):
        return None
    if isinstance(raw, bool):
        raise CoercionError("not_number", context.translate("Enter a number"))
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))
    elif isinstance(raw, str):
        text = unicodedata.normalize("NFKC", raw).translate(_NOISE).strip(strip + " ")
        if not _NUMBER.match(text):
            raise CoercionError("not_number", context.translate("Enter a number"))
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise CoercionError("not_number", context.translate("Enter a number")) from None
    else:
        raise CoercionError("not_number", context.translate("Enter a number"))
    if not value.is_finite():
        raise CoercionError("not_number", context.translate("Enter a number"))
    if abs(value) >= HUGE:
        raise CoercionError("out_of_range", context.translate("The number is too large"))
    return value


def json_number(value: Decimal) -> int | float:
    """A Decimal as the JSON number stored: an int when whole, else the nearest float."""
    return int(value) if value == value.to_integral_value() else float(value)


def grouped(value: Decimal, places: int | None = None) -> str:
    """``1234.5`` -> ``"1,234.5"``; with ``places``, exactly that many decimals."""
    if places is None:
        return f"{value.normalize():,f}" if value != value.to_integral_value() else f"{int(value):,}"
    return f"{value:,.{places}f}"


@registry.register
class NumberField(FieldType):
    """A number (JSON number, SQL double); ``decimals`` rounds input half-up."""

    name = "number"
    widget = "number"
    value_kind = "number"
    #: the suffix display adds ("%" for percent)
    unit: ClassVar[str] = ""
    #: largest magnitude accepted
    limit: ClassVar[Decimal] = LIMIT
    examples = Examples(
        config={"min": -1000, "max": 100000},
        valid=("12.5", "1,234", 3, 0.1, "-7", "１２", "1e3", Decimal("2.25")),
        invalid=("abc", "12..5", True, [1], "NaN", "inf", 100001, "-1000.5"),
    )

    def config_schema(self) -> dict[str, Any]:
        return {
            "min": {"type": "number"},
            "max": {"type": "number"},
            "decimals": {"type": "integer", "minimum": 0, "maximum": 10},
        }

    def check_definition(self, field: Field, fields: dict[str, Field]) -> list[FieldError]:
        low, high = field.get("min"), field.get("max")
        if low is not None and high is not None and low > high:
            return [definition_error(field, "min_above_max", "The minimum is above the maximum")]
        return []

    def value_schema(self, field: Field) -> dict[str, Any]:
        low, high = field.get("min"), field.get("max")
        return {
            "type": "number",
            "minimum": -int(LIMIT) if low is None else low,
            "maximum": int(LIMIT) if high is None else high,
        }

    def to_decimal(self, field: Field, raw: Any, context: FieldContext) -> Decimal | None:
        """Input as a Decimal within the field's limits, rounded to its ``decimals``."""
        value = decimal_input(raw, context, strip=self.unit)
        if value is None:
            return None
        if field.get("decimals") is not None:
            value = value.quantize(Decimal(1).scaleb(-int(field.get("decimals"))), rounding=ROUND_HALF_UP)
        if abs(value) > self.limit:
            raise CoercionError("out_of_range", context.translate("The number is too large"))
        low, high = field.get("min"), field.get("max")
        if low is not None and value < Decimal(str(low)):
            raise CoercionError("below_min", context.translate("Enter %(min)s or more", min=low))
        if high is not None and value > Decimal(str(high)):
            raise CoercionError("above_max", context.translate("Enter %(max)s or less", max=high))
        return value

    def coerce(self, field: Field, raw: Any, context: FieldContext) -> int | float | None:
        value = self.to_decimal(field, raw, context)
        return None if value is None else json_number(value)

    def sql_expression(self, field: Field, data_column: Any, dialect_name: str) -> ColumnElement[Any]:
        return dialect(dialect_name).number(data_column, (field.key,))

    def sql_literal(self, field: Field, value: Any) -> Any:
        return float(value) if value is not None else None

    def display(self, field: Field, value: Any, context: FieldContext) -> str:
        if value is None:
            return ""
        places = field.get("decimals")
        return (
            grouped(
                Decimal(repr(value)) if isinstance(value, float) else Decimal(value),
                None if places is None else int(places),
            )
            + self.unit
        )

    def client_hints(self, field: Field) -> dict[str, Any]:
        places = field.get("decimals")
        hints: dict[str, Any] = {
            "input_type": "number",
            "inputmode": "decimal",
            "step": "any" if places is None else str(Decimal(1).scaleb(-int(places))),
        }
        for name in ("min", "max"):
            if field.get(name) is not None:
                hints[name] = field.get(name)
        return hints


@registry.register
class PercentField(NumberField):
    """A percentage kept as the number people type: 12.5 means 12.5 % (formulas divide by 100)."""

    name = "percent"
    unit = "%"
    examples = Examples(
        config={"decimals": 2},
        valid=("12.5%", "99", 0.333, "-3", "100.004"),
        invalid=("half", "%", False, {"p": 1}),
    )

    def client_hints(self, field: Field) -> dict[str, Any]:
        return {**super().client_hints(field), "suffix": "%"}


@registry.register
class IntegerField(NumberField):
    """A whole number (JSON integer, SQL BIGINT) within JavaScript's safe range."""

    name = "integer"
    value_kind = "integer"
    limit = Decimal(SAFE_INTEGER)
    examples = Examples(
        config={},
        valid=("42", 7, "-3", "1,000", "12.0", 0),
        invalid=("12.5", 1.5, "abc", True, str(2**60)),
    )

    def config_schema(self) -> dict[str, Any]:
        return {"min": {"type": "integer"}, "max": {"type": "integer"}}

    def value_schema(self, field: Field) -> dict[str, Any]:
        low, high = field.get("min"), field.get("max")
        return {
            "type": "integer",
            "minimum": -SAFE_INTEGER if low is None else low,
            "maximum": SAFE_INTEGER if high is None else high,
        }

    def coerce(self, field: Field, raw: Any, context: FieldContext) -> int | None:
        value = self.to_decimal(field, raw, context)
        if value is None:
            return None
        if value != value.to_integral_value():
            raise CoercionError("not_integer", context.translate("Enter a whole number"))
        return int(value)

    def sql_expression(self, field: Field, data_column: Any, dialect_name: str) -> ColumnElement[Any]:
        return dialect(dialect_name).integer(data_column, (field.key,))

    def sql_literal(self, field: Field, value: Any) -> Any:
        return int(value) if value is not None else None

    def client_hints(self, field: Field) -> dict[str, Any]:
        return {**super().client_hints(field), "inputmode": "numeric", "step": "1"}


@registry.register
class RatingField(IntegerField):
    """A score from 1 to ``max`` (default 5) stars."""

    name = "rating"
    widget = "rating"
    #: stars when the definition sets no ``max``
    default_max: ClassVar[int] = 5
    examples = Examples(config={"max": 5}, valid=("3", 1, 5, "4"), invalid=(0, 6, "2.5", "many", True))

    def config_schema(self) -> dict[str, Any]:
        return {"max": {"type": "integer", "minimum": 2, "maximum": 10}}

    def check_definition(self, field: Field, fields: dict[str, Field]) -> list[FieldError]:
        return []

    def highest(self, field: Field) -> int:
        """The top score."""
        return int(field.get("max") or self.default_max)

    def value_schema(self, field: Field) -> dict[str, Any]:
        return {"type": "integer", "minimum": 1, "maximum": self.highest(field)}

    def to_decimal(self, field: Field, raw: Any, context: FieldContext) -> Decimal | None:
        value = decimal_input(raw, context)
        if value is not None and not 1 <= value <= self.highest(field):
            raise CoercionError(
                "out_of_range", context.translate("Choose from 1 to %(max)s", max=self.highest(field))
            )
        return value

    def display(self, field: Field, value: Any, context: FieldContext) -> str:
        return "" if value is None else f"{value}/{self.highest(field)}"

    def client_hints(self, field: Field) -> dict[str, Any]:
        return {
            "input_type": "rating",
            "inputmode": "numeric",
            "min": 1,
            "max": self.highest(field),
            "step": "1",
        }


@registry.register
class CurrencyField(FieldType):
    """Money: stored as the exact decimal string ("1234.50", ``scale`` places), compared as NUMERIC.

    Input with more places than ``scale`` is refused, never rounded. At most 15 whole digits, which
    SQLite (no decimal type: it compares as doubles) still orders exactly.
    """

    name = "currency"
    widget = "currency"
    value_kind = "decimal"
    #: places after the point when the definition sets no ``scale``
    default_scale: ClassVar[int] = 2
    #: most whole digits
    max_digits: ClassVar[int] = 15
    examples = Examples(
        config={"currency": "CNY"},
        valid=("1234.5", "¥1,234.56", 0.1, "0.30", 7, "-12", Decimal("99.99"), "100.000"),
        invalid=("12.345", "abc", True, [1], "1e20", "NaN", "1" * 16),
    )

    def config_schema(self) -> dict[str, Any]:
        return {
            "scale": {"type": "integer", "minimum": 0, "maximum": 6},
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "min": {"type": ["number", "string"]},
            "max": {"type": ["number", "string"]},
        }

    def scale(self, field: Field) -> int:
        """Places after the decimal point."""
        scale = field.get("scale")
        return self.default_scale if scale is None else int(scale)

    def check_definition(self, field: Field, fields: dict[str, Field]) -> list[FieldError]:
        errors = []
        bounds = {}
        for name in ("min", "max"):
            if field.get(name) is None:
                continue
            try:
                bounds[name] = Decimal(str(field.get(name)))
            except InvalidOperation:
                errors.append(definition_error(field, "bad_bound", "%(name)s is not a number", name=name))
        if len(bounds) == 2 and bounds["min"] > bounds["max"]:
            errors.append(definition_error(field, "min_above_max", "The minimum is above the maximum"))
        return errors

    def value_schema(self, field: Field) -> dict[str, Any]:
        scale = self.scale(field)
        fraction = rf"\.[0-9]{{{scale}}}" if scale else ""
        return {"type": "string", "pattern": rf"^-?(0|[1-9][0-9]{{0,{self.max_digits - 1}}}){fraction}$"}

    def coerce(self, field: Field, raw: Any, context: FieldContext) -> str | None:
        value = decimal_input(raw, context, strip=_SYMBOL_CHARACTERS)
        if value is None:
            return None
        scale = self.scale(field)
        quantum = Decimal(1).scaleb(-scale)
        if value != value.quantize(quantum, rounding=ROUND_HALF_UP):
            raise CoercionError(
                "too_many_places", context.translate("Enter at most %(scale)s decimal places", scale=scale)
            )
        value = value.quantize(quantum) + 0  # + 0 turns -0.00 into 0.00
        if abs(value) >= Decimal(10) ** self.max_digits:
            raise CoercionError("out_of_range", context.translate("The amount is too large"))
        low, high = field.get("min"), field.get("max")
        if low is not None and value < Decimal(str(low)):
            raise CoercionError("below_min", context.translate("Enter %(min)s or more", min=low))
        if high is not None and value > Decimal(str(high)):
            raise CoercionError("above_max", context.translate("Enter %(max)s or less", max=high))
        return f"{value:f}"

    def sql_expression(self, field: Field, data_column: Any, dialect_name: str) -> ColumnElement[Any]:
        return dialect(dialect_name).decimal(data_column, (field.key,), self.scale(field))

    def sql_literal(self, field: Field, value: Any) -> Any:
        if value is None:
            return None
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))

    def display(self, field: Field, value: Any, context: FieldContext) -> str:
        if value is None:
            return ""
        amount = Decimal(str(value))
        code = field.get("currency") or "CNY"
        symbol = CURRENCY_SYMBOLS.get(code, f"{code} ")
        sign = "-" if amount < 0 else ""
        return f"{sign}{symbol}{grouped(abs(amount), self.scale(field))}"

    def client_hints(self, field: Field) -> dict[str, Any]:
        code = field.get("currency") or "CNY"
        scale = self.scale(field)
        hints: dict[str, Any] = {
            "input_type": "text",
            "inputmode": "decimal" if scale else "numeric",
            "step": str(Decimal(1).scaleb(-scale)),
            "currency": code,
            "symbol": CURRENCY_SYMBOLS.get(code, code),
        }
        for name in ("min", "max"):
            if field.get(name) is not None:
                hints[name] = str(field.get(name))
        return hints
