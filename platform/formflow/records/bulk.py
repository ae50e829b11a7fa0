"""Bulk create (imports, API batches): the record service's write path, made fast for many rows.

Per row only what must be per row runs in Python (coercion and validation of the version compiled
once); everything that touches the database is batched: one existence query per id kind for the
rows' references, one query per unique field and 500 values, one counter bump per auto-number
field, and executemany INSERTs through Core (no ORM unit of work) for records and revisions.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from sqlalchemy import column, insert, select, table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from formflow.db import transaction, utcnow
from formflow.errors import FieldError, ValidationFailed
from formflow.fields.base import Field
from formflow.forms.models import Form
from formflow.forms.validation import CompiledForm, validate
from formflow.i18n import gettext
from formflow.permissions.actor import Actor
from formflow.permissions.policy import FieldMask
from formflow.records import hooks, numbering, search
from formflow.records.access import Lookup, field_context, mask_of, reference_kind, referenced_ids
from formflow.records.hooks import RecordEvent
from formflow.records.models import Record
from formflow.records.service import (
    BulkResult,
    RowError,
    duplicate_value,
    masked_errors,
    unwritable_errors,
)

#: values per ``IN (...)`` when checking unique values and references
IN_BATCH = 500


class DeferredLookup:
    """A lookup that accepts every id and remembers which ones each row asked for.

    Checking references row by row would cost one query per row; this collects them so that
    ``missing`` asks the database once per kind afterwards.
    """

    def __init__(self) -> None:
        self.row = 0
        self.wanted: dict[str, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))

    def __call__(self, kind: str, ids: list[int]) -> set[int]:
        for item in ids:
            self.wanted[kind][item].add(self.row)
        return set()

    def missing(self, lookup: Lookup) -> dict[int, dict[str, set[int]]]:
        """Row index -> kind -> the ids of that kind the row references and ``lookup`` does not find."""
        result: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
        for kind, rows_by_id in self.wanted.items():
            ids = list(rows_by_id)
            for start in range(0, len(ids), IN_BATCH):
                for item in lookup(kind, ids[start:start + IN_BATCH]):
                    for row in rows_by_id[item]:
                        result[row][kind].add(item)
        return result


def create(session: Session, actor: Actor, form: Form, version: CompiledForm, rows: list[dict[str, Any]],
           *, partial: bool, chunk_size: int | None) -> BulkResult:
    """See ``records.service.bulk_create``."""
    if not isinstance(rows, list):
        raise ValidationFailed([FieldError("rows", "not_a_list", gettext("Send a list of records."))])
    mask = mask_of(actor, form, version).for_state(None)  # new records: as create_record
    good, errors = _validate_rows(session, actor, form, version, mask, rows)
    if errors and not partial:
        raise ValidationFailed(
            [FieldError(f"rows.{row.index}.{error.field}" if error.field else f"rows.{row.index}",
                        error.code, error.message) for row in errors for error in row.errors],
            title=gettext("%(count)s rows have problems; nothing was saved.", count=len(errors)),
            extra={"rows": [row.as_dict() for row in errors]})
    result = BulkResult(errors=errors)
    size = chunk_size or len(good) or 1
    for start in range(0, len(good), size):
        try:
            with transaction(session):
                result.ids.extend(_write(session, actor, form, version, good[start:start + size]))
        except IntegrityError as error:
            raise duplicate_value(error, form, version) from error
    return result


def _validate_rows(session: Session, actor: Actor, form: Form, version: CompiledForm, mask: FieldMask,
                   rows: list[dict[str, Any]]) -> tuple[list[tuple[int, dict[str, Any]]], list[RowError]]:
    context = field_context(session, actor, form)
    real_lookup = context.lookup
    deferred = DeferredLookup()
    context.lookup = deferred
    clean: dict[int, dict[str, Any]] = {}
    problems: dict[int, list[FieldError]] = {}
    writable = frozenset(key for key in version.fields if mask.can_write(key))
    for index, row in enumerate(rows):
        deferred.row = index
        if not isinstance(row, dict) or not row.keys() <= writable:
            problems[index] = unwritable_errors(version, mask, row)
            continue
        try:
            clean[index] = validate(version, row, context)
        except ValidationFailed as failure:
            problems[index] = masked_errors(failure.errors, mask)
    for index, kinds in deferred.missing(real_lookup).items():
        if index in clean:
            problems[index] = _reference_errors(version, clean.pop(index), kinds)
    for index, error in list(_duplicates(session, form, version, clean)):
        problems.setdefault(index, []).append(error)
        clean.pop(index, None)
    errors = [RowError(index, problems[index]) for index in sorted(problems)]
    return sorted(clean.items()), errors


def _reference_errors(version: CompiledForm, data: dict[str, Any], kinds: dict[str, set[int]]
                      ) -> list[FieldError]:
    errors = []
    for key, item in version.fields.items():
        kind = reference_kind(item)
        missing = sorted(set(referenced_ids(data.get(key))) & kinds.get(kind, set())) if kind else []
        if missing:
            errors.append(FieldError(key, "not_found", gettext(
                "Not found: %(ids)s", ids=", ".join(f"#{item}" for item in missing))))
    return errors


def _duplicates(session: Session, form: Form, version: CompiledForm, clean: dict[int, dict[str, Any]]
                ) -> Iterator[tuple[int, FieldError]]:
    """Rows whose unique value repeats an earlier row's, or a live record's."""
    dialect_name = session.get_bind().dialect.name
    for key, item in version.fields.items():
        if not item.unique:
            continue
        first: dict[Any, int] = {}
        for index, data in clean.items():
            value = data.get(key)
            if value is None:
                continue
            literal = item.type.sql_literal(item, value)
            if literal in first:
                yield index, _duplicate_error(key)
            else:
                first[literal] = index
        for literal in _taken(session, form, item, dialect_name, list(first)):
            yield first[literal], _duplicate_error(key)


def _taken(session: Session, form: Form, item: Field, dialect_name: str, values: list[Any]) -> Iterator[Any]:
    expression = item.type.sql_expression(item, Record.data, dialect_name)
    for start in range(0, len(values), IN_BATCH):
        batch = values[start:start + IN_BATCH]
        found = session.scalars(select(expression).where(
            Record.form_id == form.id, Record.deleted_at.is_(None), expression.in_(batch)))
        for value in found:
            literal = item.type.sql_literal(item, value)
            if literal in batch:
                yield literal


def _duplicate_error(key: str) -> FieldError:
    return FieldError(key, "duplicate_value", gettext("This value is already used."))


#: the columns bulk rows fill, as untyped lightweight tables: values arrive serialized already (JSON
#: text, timestamps converted once per chunk), so SQLAlchemy passes them through instead of running
#: type processors on every row
_RECORD_COLUMNS = ("workspace_id", "app_id", "form_id", "form_version_id", "data", "state", "owner_id",
                   "version", "search_text", "search_fields", "created_at", "updated_at", "created_by_id",
                   "updated_by_id", "workflow_version_id")
_RECORDS = table("records", *(column(name) for name in ("id", *_RECORD_COLUMNS)))
_REVISIONS = table("revisions", *(column(name) for name in (
    "workspace_id", "record_id", "action", "record_version", "diff", "actor_id", "created_at")))


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _write(session: Session, actor: Actor, form: Form, version: CompiledForm,
           rows: list[tuple[int, dict[str, Any]]]) -> list[int]:
    """Insert one chunk of validated rows with their numbers, revisions and hooks; the new ids."""
    now = utcnow()
    datas = [data for _index, data in rows]
    numbering.assign(session, form, version, datas, now, actor.timezone)
    values = [_record_values(form, version, actor, data, now) for data in datas]
    events = _events(session, actor, form, values) if hooks.before_write or hooks.after_write else None
    connection = session.connection()
    stamp = Record.__table__.c.created_at.type.bind_processor(connection.dialect)
    stored_now = stamp(now) if stamp else now
    fields = list(version.fields.values())
    dialect_name = connection.dialect.name
    for row in values:
        texts = search.field_texts(fields, row["data"])
        row.update(search_text=search.search_text(texts, dialect_name), search_fields=_dumps(texts),
                   created_at=stored_now, updated_at=stored_now)
        row["diff"] = _dumps({key: [None, value] for key, value in row["data"].items() if value is not None})
        row["data"] = _dumps(row["data"])
    # Multi-row INSERTs (SQLAlchemy's "insertmanyvalues", 1000 rows per statement). Both engines give
    # the rows of one INSERT ascending ids in VALUES order (SQLite: max rowid + 1 per row; PostgreSQL:
    # nextval per row), so the sorted ids are in input order. Asking SQLAlchemy to sort instead
    # (sort_by_parameter_order) makes SQLite insert row by row: 10x slower.
    statement = insert(_RECORDS).returning(_RECORDS.c.id)
    ids = sorted(connection.execute(statement, [{name: row[name] for name in _RECORD_COLUMNS}
                                                for row in values]).scalars())
    connection.execute(insert(_REVISIONS), [
        {"workspace_id": form.workspace_id, "record_id": record_id, "action": "create", "record_version": 1,
         "diff": row["diff"], "actor_id": actor.user_id, "created_at": stored_now}
        for record_id, row in zip(ids, values, strict=True)])
    if events is not None:
        for record_id, event in zip(ids, events, strict=True):
            event.record.id = record_id
            hooks.run(hooks.after_write, session, actor, event)
    return ids


def _record_values(form: Form, version: CompiledForm, actor: Actor, data: dict[str, Any], now: Any
                   ) -> dict[str, Any]:
    return {"workspace_id": form.workspace_id, "app_id": form.app_id, "form_id": form.id,
            "form_version_id": version.version_id, "data": data, "state": None, "workflow_version_id": None,
            "owner_id": actor.user_id, "version": 1, "created_at": now, "updated_at": now,
            "created_by_id": actor.user_id, "updated_by_id": actor.user_id}


def _events(session: Session, actor: Actor, form: Form, values: list[dict[str, Any]]) -> list[RecordEvent]:
    """Run ``before_write`` on a transient Record per row; copy back what hooks changed.

    The records hooks see are snapshots outside the session: ``before_write`` may change their state
    or data (written), ``after_write`` gets them with their ids, read-only.
    """
    events = []
    for row in values:
        record = Record(**row)
        event = RecordEvent("create", form, record,
                            {key: [None, value] for key, value in row["data"].items() if value is not None})
        hooks.run(hooks.before_write, session, actor, event)
        row.update(state=record.state, workflow_version_id=record.workflow_version_id, data=record.data,
                   owner_id=record.owner_id)
        events.append(event)
    return events
