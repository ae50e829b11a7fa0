"""The one place where condition SQL differs between SQLite and PostgreSQL.

Each construct is a small SQL function element compiled per dialect, so ``conditions.sql.compile``
builds one dialect-neutral expression and the database's compiler picks the spelling. Values are always
bound parameters. Supported: ``sqlite`` (JSON1: ``json_each``, ``json_type``) and ``postgresql`` (JSONB
containment ``@>``). Any other dialect refuses to compile instead of producing wrong SQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Float, String, literal
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Boolean

#: LIKE's escape character in patterns built by ``like_pattern``
LIKE_ESCAPE = "!"


def like_pattern(text: str, prefix: str = "%", suffix: str = "%") -> str:
    """A LIKE pattern matching ``text`` literally: ``%``, ``_`` and the escape char are escaped."""
    escaped = (text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%")
               .replace("_", LIKE_ESCAPE + "_"))
    return f"{prefix}{escaped}{suffix}"


def json_scalar(value: str | int | float) -> ColumnElement[Any]:
    """A bound list element (string or number), typed so PostgreSQL can build JSON from it."""
    if isinstance(value, str):
        return literal(value, String())
    if isinstance(value, int):
        return literal(value, BigInteger())
    return literal(value, Float())


class _Unsupported(FunctionElement[Any]):
    """Base of the constructs below: no default spelling, only the dialects named here."""

    inherit_cache = True


class FoldCase(_Unsupported):
    """ASCII-only lower case of a text expression (non-ASCII letters keep their case on every engine)."""

    type = String()
    inherit_cache = True


class HasJsonItems(_Unsupported):
    """True (never NULL) when the JSON expression is a non-empty container of ``json_type``."""

    type = Boolean()
    inherit_cache = True
    #: the container type, as both engines name it
    json_type = ""


class IsNonEmptyArray(HasJsonItems):
    """A JSON array with at least one element."""

    inherit_cache = True
    json_type = "array"


class IsNonEmptyObject(HasJsonItems):
    """A JSON object with at least one key."""

    inherit_cache = True
    json_type = "object"


class ListContains(_Unsupported):
    """``(array, element)``: the JSON array has an element equal to the bound scalar."""

    type = Boolean()
    inherit_cache = True


class ListOverlaps(_Unsupported):
    """``(array, element, ...)``: the JSON array has an element equal to one of the bound scalars."""

    type = Boolean()
    inherit_cache = True


@compiles(_Unsupported)
def _unsupported(element: _Unsupported, compiler: Any, **kw: Any) -> str:
    raise CompileError(f"conditions do not support the {compiler.dialect.name!r} database")


def _arguments(element: FunctionElement[Any], compiler: Any, **kw: Any) -> list[str]:
    return [compiler.process(argument, **kw) for argument in element.clauses]


# --- SQLite (JSON1) ---------------------------------------------------------------------------

@compiles(FoldCase, "sqlite")
def _fold_case_sqlite(element: FoldCase, compiler: Any, **kw: Any) -> str:
    # SQLite's built-in lower() folds ASCII only (no ICU in the shipped builds)
    (text,) = _arguments(element, compiler, **kw)
    return f"lower({text})"


@compiles(IsNonEmptyArray, "sqlite")
@compiles(IsNonEmptyObject, "sqlite")
def _has_items_sqlite(element: HasJsonItems, compiler: Any, **kw: Any) -> str:
    # json_type(NULL) is NULL: CASE turns that into a definite false
    (value,) = _arguments(element, compiler, **kw)
    return (f"(CASE WHEN json_type({value}) = '{element.json_type}' "
            f"AND EXISTS (SELECT 1 FROM json_each({value})) THEN 1 ELSE 0 END = 1)")


@compiles(ListContains, "sqlite")
@compiles(ListOverlaps, "sqlite")
def _list_sqlite(element: FunctionElement[Any], compiler: Any, **kw: Any) -> str:
    array, *elements = _arguments(element, compiler, **kw)
    return (f"EXISTS (SELECT 1 FROM json_each({array}) AS ff_item "
            f"WHERE ff_item.value IN ({', '.join(elements)}))")


# --- PostgreSQL (JSONB) -----------------------------------------------------------------------

@compiles(FoldCase, "postgresql")
def _fold_case_postgresql(element: FoldCase, compiler: Any, **kw: Any) -> str:
    # lower() follows the database's ctype (C.UTF-8 folds non-ASCII too); the "C" collation keeps it
    # to ASCII, like SQLite and the Python evaluator
    (text,) = _arguments(element, compiler, **kw)
    return f'lower(({text}) COLLATE "C")'


@compiles(IsNonEmptyArray, "postgresql")
@compiles(IsNonEmptyObject, "postgresql")
def _has_items_postgresql(element: HasJsonItems, compiler: Any, **kw: Any) -> str:
    (value,) = _arguments(element, compiler, **kw)
    value = f"CAST({value} AS JSONB)"
    empty = "'[]'::jsonb" if element.json_type == "array" else "'{}'::jsonb"
    return (f"(CASE WHEN jsonb_typeof({value}) = '{element.json_type}' AND {value} <> {empty} "
            "THEN true ELSE false END)")


@compiles(ListContains, "postgresql")
@compiles(ListOverlaps, "postgresql")
def _list_postgresql(element: FunctionElement[Any], compiler: Any, **kw: Any) -> str:
    # containment (@>) compares JSON numbers numerically and strings exactly, like Python's ==
    array, *elements = _arguments(element, compiler, **kw)
    tests = [f"CAST({array} AS JSONB) @> jsonb_build_array({item})" for item in elements]
    return f"({' OR '.join(tests)})"
