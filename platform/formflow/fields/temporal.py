"""Dates and times.

``date`` is stored as ``"2026-11-23"``; ``datetime`` as UTC ``"2026-11-23T08:00:00Z"`` (whole seconds,
always this width). Both stay text in SQL: their ISO forms sort and compare correctly as strings (see
fields/sql.py). Datetime input without an offset is read in the workspace timezone
(``FieldContext.timezone``) and displayed back in it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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

#: 2026-11-23, 2026/11/23, 2026.11.23, 2026年11月23日 (months and days may have one digit)
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?$")
_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)


def zone(name: str) -> ZoneInfo:
    """The IANA timezone ``name``; UTC when the name is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_date(text: str) -> date | None:
    """A date from the formats people type; None when it is not one."""
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def parse_datetime(text: str, timezone: str) -> datetime | None:
    """An aware datetime from ISO-like text; without an offset it is local time in ``timezone``."""
    text = text.strip()
    offset = _OFFSET.search(text)
    tzinfo: Any = zone(timezone)
    if offset:
        text = text[: offset.start()].strip()
        marker = offset.group(1).upper()
        parsed_offset = datetime.strptime("+0000" if marker == "Z" else marker.replace(":", ""), "%z")
        tzinfo = parsed_offset.tzinfo
    parts = re.split(r"T|\s+", text, maxsplit=1)
    time_part = parts[1] if len(parts) > 1 else ""
    day = parse_date(parts[0])
    if day is None:
        return None
    moment = time()
    if time_part:
        match = _TIME.match(time_part.strip())
        if not match:
            return None
        try:
            moment = time(int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))
        except ValueError:
            return None
    return datetime.combine(day, moment, tzinfo=tzinfo)


def utc_text(moment: datetime) -> str:
    """An aware datetime as the stored UTC text, whole seconds."""
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def from_utc_text(value: str) -> datetime:
    """The stored UTC text as an aware datetime."""
    return datetime.fromisoformat(value.removesuffix("Z")).replace(tzinfo=UTC)


@registry.register
class DateField(FieldType):
    """A calendar day, ``"2026-11-23"``; ``min``/``max`` bound it."""

    name = "date"
    widget = "date"
    value_kind = "date"
    examples = Examples(
        config={},
        valid=(
            "2026-11-23",
            "2026/1/5",
            "2026年11月3日",
            date(2025, 12, 31),
            "20240229",
            datetime(2026, 1, 1, 23, 30, tzinfo=UTC),
        ),
        invalid=("2026-02-30", "next week", 20261123, True, ["2026-11-23"], "2026-13-01"),
    )

    def config_schema(self) -> dict[str, Any]:
        return {"min": {"type": "string", "format": "date"}, "max": {"type": "string", "format": "date"}}

    def check_definition(self, field: Field, fields: dict[str, Field]) -> list[FieldError]:
        low, high = field.get("min"), field.get("max")
        if low and high and low > high:
            return [definition_error(field, "min_above_max", "The minimum is above the maximum")]
        return []

    def value_schema(self, field: Field) -> dict[str, Any]:
        return {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}

    def coerce(self, field: Field, raw: Any, context: FieldContext) -> str | None:
        if is_blank(raw):
            return None
        if isinstance(raw, datetime):
            # a moment becomes the day it is in the workspace
            day = (
                (raw if raw.tzinfo else raw.replace(tzinfo=zone(context.timezone)))
                .astimezone(zone(context.timezone))
                .date()
            )
        elif isinstance(raw, date):
            day = raw
        elif isinstance(raw, str):
            day = parse_date(raw.strip())
            if day is None:
                moment = parse_datetime(raw, context.timezone)
                day = moment.astimezone(zone(context.timezone)).date() if moment else None
        else:
            day = None
        if day is None:
            raise CoercionError("not_date", context.translate("Enter a date like 2026-11-23"))
        text = day.isoformat()
        low, high = field.get("min"), field.get("max")
        if low and text < low:
            raise CoercionError("below_min", context.translate("Enter %(min)s or later", min=low))
        if high and text > high:
            raise CoercionError("above_max", context.translate("Enter %(max)s or earlier", max=high))
        return text

    def sql_expression(self, field: Field, data_column: Any, dialect_name: str) -> ColumnElement[Any]:
        return dialect(dialect_name).text(data_column, (field.key,))

    def sql_literal(self, field: Field, value: Any) -> Any:
        return value.isoformat() if isinstance(value, date) else value

    def client_hints(self, field: Field) -> dict[str, Any]:
        hints: dict[str, Any] = {"input_type": "date"}
        for name in ("min", "max"):
            if field.get(name):
                hints[name] = field.get(name)
        return hints


@registry.register
class DatetimeField(FieldType):
    """A moment, stored in UTC (``"2026-11-23T08:00:00Z"``), shown in the workspace timezone."""

    name = "datetime"
    widget = "datetime"
    value_kind = "datetime"
    examples = Examples(
        config={},
        valid=(
            "2026-11-23T16:00",
            "2026-11-23 09:30:15",
            "2026-11-23T08:00:00Z",
            "2026-11-23T16:00:00+08:00",
            datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            "2026-11-24",
        ),
        invalid=("tomorrow", "2026-11-23T25:00", "2026-11-23T10:00+99:00", 1700000000, False, ["x"]),
    )

    def value_schema(self, field: Field) -> dict[str, Any]:
        return {"type": "string", "format": "date-time", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"}

    def coerce(self, field: Field, raw: Any, context: FieldContext) -> str | None:
        if is_blank(raw):
            return None
        moment: datetime | None = None
        if isinstance(raw, datetime):
            moment = raw if raw.tzinfo else raw.replace(tzinfo=zone(context.timezone))
        elif isinstance(raw, str):
            try:
                moment = parse_datetime(raw, context.timezone)
            except ValueError:
                moment = None
        if moment is None:
            raise CoercionError(
                "not_datetime", context.translate("Enter a date and time like 2026-11-23 16:00")
            )
        try:
            return utc_text(moment)
        except (OverflowError, ValueError):
            raise CoercionError(
                "out_of_range", context.translate("Enter a date and time like 2026-11-23 16:00")
            ) from None

    def sql_expression(self, field: Field, data_column: Any, dialect_name: str) -> ColumnElement[Any]:
        return dialect(dialect_name).text(data_column, (field.key,))

    def sql_literal(self, field: Field, value: Any) -> Any:
        if isinstance(value, datetime):
            return utc_text(value if value.tzinfo else value.replace(tzinfo=UTC))
        return value

    def display(self, field: Field, value: Any, context: FieldContext) -> str:
        if value is None:
            return ""
        local = from_utc_text(value).astimezone(zone(context.timezone))
        return f"{local.date().isoformat()} {local:%H:%M}"

    def client_hints(self, field: Field) -> dict[str, Any]:
        # the widget shows and sends local time (datetime-local); the server reads it in the workspace zone
        return {"input_type": "datetime-local", "step": 60}
