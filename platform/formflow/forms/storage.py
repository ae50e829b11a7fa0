"""Per-form SQL objects that publishing maintains: expression indexes and the typed view.

For each ``indexed`` field: ``ix_ff_<form id>_<key>`` on ``(<expression>, id)``, partial on the form's
live records, so "filter on the field, sort by it, page by (value, id)" is one index range scan.
For each ``unique`` field: ``ux_ff_<form id>_<key>``, a UNIQUE index on ``(<expression>)`` with the same
predicate, so the database itself refuses a duplicate, whoever writes and however concurrently
(NULLs are distinct: many records may leave the field empty).

The expression is the field type's ``sql_expression`` rendered with literal values: queries that use
the same expression (with the records table's ``data`` column) match the index on both engines. The
``form_id = <id>`` predicate keeps the expression away from other forms' records, whose values under
the same key may not cast (PostgreSQL evaluates an index expression only for rows of its predicate).

The view ``ff_<app key>_<form key>`` has the system columns and one typed column per field, for BI
tools and ad-hoc SQL. Names longer than PostgreSQL's 63 characters end in a hash instead.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, column, literal, select, table, text
from sqlalchemy.engine import Dialect

from formflow.db import JSONData
from formflow.fields.base import Field

#: the records' JSON column as index and view expressions name it (unqualified)
DATA_COLUMN = column("data", JSONData)
#: longest identifier PostgreSQL keeps (it silently truncates longer ones)
MAX_IDENTIFIER = 63
#: the system columns every form view starts with
VIEW_SYSTEM_COLUMNS = ("id", "created_at", "updated_at", "owner_id", "state")

#: how to list the records table's index names, per dialect (the one place that branches on it)
_INDEX_CATALOG = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records'",
    "postgresql": "SELECT indexname FROM pg_indexes WHERE tablename = 'records' "
                  "AND schemaname = current_schema()",
}


#: statistics for the planner after new indexes; SQLite samples at most this many rows per index
_ANALYZE = {
    "sqlite": ("PRAGMA analysis_limit = 1000", "ANALYZE records"),
    "postgresql": ("ANALYZE records",),
}


def identifier(name: str) -> str:
    """``name``, or its first characters and a hash when longer than the databases allow."""
    if len(name) <= MAX_IDENTIFIER:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[:MAX_IDENTIFIER - 9]}_{digest}"


def index_prefix(form_id: int) -> tuple[str, str]:
    """Name prefixes of a form's indexes: every one starts with one of them."""
    return f"ix_ff_{form_id}_", f"ux_ff_{form_id}_"


def index_name(form_id: int, key: str, unique: bool) -> str:
    """The name of the index publishing makes for field ``key`` (``ux_`` when unique)."""
    return identifier(f"{'ux' if unique else 'ix'}_ff_{form_id}_{key}")


def view_name(app_key: str, form_key: str) -> str:
    """The name of a form's typed SQL view."""
    return identifier(f"ff_{app_key}_{form_key}")


def unique_index_fields(form_id: int, fields: dict[str, Field]) -> dict[str, str]:
    """Unique index name -> field key: lets the record service name the field of a duplicate."""
    return {index_name(form_id, key, True): key for key, item in fields.items() if item.unique}


@dataclass(frozen=True)
class IndexSpec:
    """One index publishing makes: its name and the full CREATE statement."""

    name: str
    field_key: str
    unique: bool
    sql: str


def render(expression: Any, dialect: Dialect) -> str:
    """SQL text of an expression with literal values, for DDL."""
    return str(expression.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def field_expression(field: Field, dialect: Dialect) -> Any:
    """The field's typed SQL expression over the unqualified ``data`` column."""
    return field.type.sql_expression(field, DATA_COLUMN, dialect.name)


def index_specs(form_id: int, fields: dict[str, Field], dialect: Dialect) -> dict[str, IndexSpec]:
    """The indexes ``fields`` need, by name."""
    predicate = f"form_id = {int(form_id)} AND deleted_at IS NULL"
    quote = dialect.identifier_preparer.quote
    specs: dict[str, IndexSpec] = {}
    for key, item in fields.items():
        if not item.indexed:
            continue
        expression = render(field_expression(item, dialect), dialect)
        name = index_name(form_id, key, item.unique)
        columns = f"({expression})" if item.unique else f"({expression}), id"
        sql = (f"CREATE {'UNIQUE ' if item.unique else ''}INDEX {quote(name)} ON records ({columns}) "
               f"WHERE {predicate}")
        specs[name] = IndexSpec(name=name, field_key=key, unique=item.unique, sql=sql)
    return specs


def existing_indexes(connection: Connection, form_id: int) -> set[str]:
    """Names of the form's indexes that exist in the database now."""
    prefixes = index_prefix(form_id)
    names = connection.execute(text(_INDEX_CATALOG[connection.dialect.name])).scalars()
    return {name for name in names if name.startswith(prefixes)}


def sync_indexes(connection: Connection, form_id: int, before: dict[str, Field],
                 after: dict[str, Field]) -> None:
    """Make the form's indexes those ``after`` needs: keep unchanged ones, rebuild changed, drop the rest.

    ``before`` are the fields of the previously published version: an index whose statement is the
    same for both is kept as it is (no rebuild of a large table on every publish).
    """
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    old = index_specs(form_id, before, dialect)
    new = index_specs(form_id, after, dialect)
    existing = existing_indexes(connection, form_id)
    for name in sorted(existing):
        if name not in new or name not in old or old[name].sql != new[name].sql:
            connection.execute(text(f"DROP INDEX {quote(name)}"))
            existing.discard(name)
    created = [spec for name, spec in new.items() if name not in existing]
    for spec in created:
        connection.execute(text(spec.sql))
    if created:
        # Planners know nothing of a new expression index's values until statistics are gathered:
        # without them SQLite keeps sorting through ix_records_form_live instead (measured).
        for statement in _ANALYZE[dialect.name]:
            connection.execute(text(statement))


def view_select(form_id: int, fields: dict[str, Field], dialect: Dialect) -> Any:
    """The SELECT behind a form's view: system columns, then one typed column per field."""
    columns = [column(name) for name in VIEW_SYSTEM_COLUMNS]
    columns += [field_expression(item, dialect).label(key) for key, item in fields.items()]
    return (select(*columns).select_from(table("records"))
            .where(column("form_id") == literal(int(form_id)), column("deleted_at").is_(None)))


def replace_view(connection: Connection, name: str, form_id: int, fields: dict[str, Field]) -> None:
    """Create the form's view, or replace it with the new version's columns."""
    quote = connection.dialect.identifier_preparer.quote
    body = render(view_select(form_id, fields, connection.dialect), connection.dialect)
    # DROP + CREATE rather than CREATE OR REPLACE: SQLite has no OR REPLACE for views, and
    # PostgreSQL's cannot drop or retype columns. Both are transactional DDL here.
    connection.execute(text(f"DROP VIEW IF EXISTS {quote(name)}"))
    connection.execute(text(f"CREATE VIEW {quote(name)} AS {body}"))

