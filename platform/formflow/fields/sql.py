"""SQL access to values inside the records' JSON column: the one place that branches on the dialect.

Every expression renders its JSON path inline (no bound parameters) and uses only immutable
functions and casts, so the same expression works in WHERE / ORDER BY / GROUP BY and in
``CREATE INDEX`` (publishing builds expression indexes from it, DESIGN.md "Storage").

Orders that hold on both engines:

- text compares by code point (PostgreSQL gets ``COLLATE "C"``, SQLite's default BINARY already is),
  so filters and sorts agree with Python's ``str`` order whatever the database's locale is;
- dates (``2026-11-23``) and UTC datetimes (``2026-11-23T08:00:00Z``, always this width) are kept as
  text: their ISO forms compare correctly as strings, and PostgreSQL's text-to-date casts are not
  immutable (they depend on ``DateStyle``), so they could not be indexed;
- currency casts to ``NUMERIC(38, scale)``: exact on PostgreSQL; SQLite has no decimal type and
  compares NUMERIC affinity values as 64-bit floats, exact up to 15 significant digits.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Float,
    Numeric,
    String,
    Text,
    cast,
    exists,
    func,
    literal,
    select,
    text,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

#: field and column keys, the only names that go into a JSON path (so inlining them is safe)
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class Inline(ColumnElement[str]):
    """A string constant rendered inline as SQL text ('$.amount'), never as a bound parameter.

    Unlike ``literal_column`` it is no column, so ``Index(name, expression)`` still finds its table.
    """

    inherit_cache = True
    _traverse_internals = [("value", InternalTraversal.dp_string)]
    type = String()

    def __init__(self, value: str) -> None:
        self.value = value


@compiles(Inline)
def _render_inline(element: Inline, compiler: Any, **kw: Any) -> str:
    return "'" + element.value.replace("'", "''") + "'"


def _checked(path: tuple[str, ...]) -> tuple[str, ...]:
    for part in path:
        if not KEY_PATTERN.match(part):
            raise ValueError(f"not a field key: {part!r}")
    return path


class JsonDialect:
    """JSON access for one database engine."""

    name: str

    def text(self, data_column: Any, path: tuple[str, ...]) -> ColumnElement[str]:
        """The scalar at ``path`` as text (a JSON string's content; numbers as their digits)."""
        raise NotImplementedError

    def json(self, data_column: Any, path: tuple[str, ...]) -> ColumnElement[Any]:
        """The JSON value at ``path`` (lists, objects), SQL NULL when absent or JSON null."""
        raise NotImplementedError

    def boolean(self, data_column: Any, path: tuple[str, ...]) -> ColumnElement[bool]:
        """The JSON boolean at ``path``."""
        raise NotImplementedError

    def list_contains(self, data_column: Any, path: tuple[str, ...], item: Any) -> ColumnElement[bool]:
        """The JSON list at ``path`` holds the scalar ``item`` (bound as a parameter)."""
        raise NotImplementedError

    def number(self, data_column: Any, path: tuple[str, ...]) -> ColumnElement[float]:
        """The number at ``path`` as a double."""
        return cast(self.text(data_column, path), Float)

    def integer(self, data_column: Any, path: tuple[str, ...]) -> ColumnElement[int]:
        """The integer at ``path`` as a BIGINT."""
        return cast(self.text(data_column, path), BigInteger)

    def decimal(self, data_column: Any, path: tuple[str, ...], scale: int) -> ColumnElement[Any]:
        """The decimal string at ``path`` as NUMERIC(38, scale)."""
        return cast(self.text(data_column, path), Numeric(38, scale, asdecimal=True))


class SqliteJson(JsonDialect):
    """SQLite JSON1: ``json_extract`` returns SQL text/integer/real, and JSON text for containers."""

    name = "sqlite"

    def _path(self, path: tuple[str, ...]) -> Any:
        return Inline("$." + ".".join(_checked(path)))

    def text(self, data_column: Any, path: tuple[str, ...]) -> ColumnElement[str]:
        return func.json_extract(data_column, self._path(path), type_=String)

    def json(self, data_column: Any, path: tuple[str, ...]) -> ColumnElement[Any]:
        return func.json_extract(data_column, self._path(path), type_=Text)

    def boolean(self, data_column: Any, path: tuple[str, ...]) -> ColumnElement[bool]:
        # json_extract gives 1 / 0 for true / false
        return type_coerce(func.json_extract(data_column, self._path(path)), Boolean)

    def list_contains(self, data_column: Any, path: tuple[str, ...], item: Any) -> ColumnElement[bool]:
        elements = func.json_each(data_column, self._path(path)).table_valued("value")
        return exists(select(literal(1)).select_from(elements).where(elements.c.value == item))


class PostgresJson(JsonDialect):
    """PostgreSQL JSONB: ``->`` and ``->>`` with inline keys; text in the "C" collation."""

    name = "postgresql"

    def _object(self, data_column: Any, path: tuple[str, ...]) -> Any:
        value = data_column
        for part in _checked(path)[:-1]:
            value = value.op("->", return_type=JSONB)(Inline(part))
        return value

    def text(self, data_column: Any, path: tuple[str, ...]) -> ColumnElement[str]:
        value = self._object(data_column, path).op("->>", return_type=Text)(Inline(path[-1]))
        return value.collate("C")

    def _raw_text(self, data_column: Any, path: tuple[str, ...]) -> ColumnElement[str]:
        return self._object(data_column, path).op("->>", return_type=Text)(Inline(path[-1]))

    def json(self, data_column: Any, path: tuple[str, ...]) -> ColumnElement[Any]:
        value = self._object(data_column, path).op("->", return_type=JSONB)(Inline(path[-1]))
        return func.nullif(value, text("'null'::jsonb"), type_=JSONB)

    def boolean(self, data_column: Any, path: tuple[str, ...]) -> ColumnElement[bool]:
        return cast(self._raw_text(data_column, path), Boolean)

    def number(self, data_column: Any, path: tuple[str, ...]) -> ColumnElement[float]:
        return cast(self._raw_text(data_column, path), Float)

    def integer(self, data_column: Any, path: tuple[str, ...]) -> ColumnElement[int]:
        return cast(self._raw_text(data_column, path), BigInteger)

    def decimal(self, data_column: Any, path: tuple[str, ...], scale: int) -> ColumnElement[Any]:
        return cast(self._raw_text(data_column, path), Numeric(38, scale, asdecimal=True))

    def list_contains(self, data_column: Any, path: tuple[str, ...], item: Any) -> ColumnElement[bool]:
        value = self._object(data_column, path).op("->", return_type=JSONB)(Inline(path[-1]))
        probe = cast(literal(json.dumps([item], ensure_ascii=False), Text), JSONB)
        return value.op("@>", is_comparison=True)(probe)


_DIALECTS: dict[str, JsonDialect] = {entry.name: entry for entry in (SqliteJson(), PostgresJson())}


def dialect(name: str) -> JsonDialect:
    """JSON access for the dialect ``name`` ("sqlite" or "postgresql")."""
    try:
        return _DIALECTS[name]
    except KeyError:
        raise ValueError(f"unsupported database dialect {name!r}") from None
