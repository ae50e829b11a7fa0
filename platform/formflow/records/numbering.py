"""Auto-numbers: gap-free sequences per form, field and period, handed out inside the record's transaction.

The counter row is bumped with one upsert (``INSERT … ON CONFLICT DO UPDATE SET value = value + n
RETURNING value``), which creates a missing row and survives two writers racing to create it. The
bump holds the counter (PostgreSQL: a row lock until commit; SQLite: writers are serialized by
``BEGIN IMMEDIATE`` already), so concurrent saves get consecutive numbers, and a save that rolls
back gives its number back: the next save gets it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from formflow.fields.base import Field
from formflow.forms.models import Form
from formflow.forms.validation import CompiledForm
from formflow.records.models import AutoNumberCounter

#: the dialect's INSERT with ON CONFLICT (the one place numbering branches on the dialect)
_UPSERT: dict[str, Callable[..., Any]] = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}


def is_numbered(field: Field) -> bool:
    """Whether the field's type hands out sequence numbers (it has ``period`` and ``render``)."""
    return callable(getattr(field.type, "period", None)) and callable(getattr(field.type, "render", None))


def numbered_fields(version: CompiledForm) -> list[Field]:
    """The version's auto-number fields."""
    return [item for item in version.fields.values() if is_numbered(item)]


def bump(session: Session, form_id: int, field_key: str, period: str, count: int = 1) -> int:
    """Add ``count`` to the counter and return its new value: the numbers are value-count+1 … value."""
    table = AutoNumberCounter.__table__
    upsert = _UPSERT[session.get_bind().dialect.name](table)
    statement = (upsert.values(form_id=form_id, field_key=field_key, period=period, value=count)
                 .on_conflict_do_update(index_elements=[table.c.form_id, table.c.field_key, table.c.period],
                                        set_={"value": table.c.value + count})
                 .returning(table.c.value))
    return int(session.execute(statement).scalar_one())


def assign(session: Session, form: Form, version: CompiledForm, rows: list[dict[str, Any]], now: datetime,
           timezone: str, *, missing_only: bool = False) -> None:
    """Give each row (record data, changed in place) its numbers, in row order.

    ``missing_only`` numbers only rows without a value yet (a field added after they were made).
    """
    for item in numbered_fields(version):
        period = item.type.period(item, now, timezone)
        waiting = [row for row in rows if not (missing_only and row.get(item.key))]
        if not waiting:
            continue
        last = bump(session, form.id, item.key, period, len(waiting))
        for offset, row in enumerate(waiting):
            row[item.key] = item.type.render(item, last - len(waiting) + 1 + offset, now, timezone)

