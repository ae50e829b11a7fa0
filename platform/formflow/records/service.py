"""The record service: the only code that writes records (DESIGN.md, "The two paths").

Each function is one transaction (``db.transaction``): authorize (policy) → refuse fields the actor
may not write → coerce, validate and compute (``forms.validation``) → auto-number → ``before_write``
hooks → record + revision → ``after_write`` hooks → commit. A failure anywhere rolls all of it back,
the auto-number counter included, so numbers stay gap-free. A create checks its input before the
transaction begins (a read, no write lock held), so concurrent writers wait only for each other's writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from formflow.db import transaction, utcnow
from formflow.errors import Conflict, FieldError, ValidationFailed
from formflow.forms import storage
from formflow.forms.models import Form
from formflow.forms.validation import CompiledForm, validate
from formflow.i18n import gettext, label
from formflow.permissions import policy
from formflow.permissions.actor import Actor
from formflow.permissions.policy import FieldMask
from formflow.records import hooks, numbering, search
from formflow.records.access import current_version, field_context, load_record, mask_of
from formflow.records.hooks import RecordEvent
from formflow.records.models import Comment, Record, Revision

#: longest comment, in characters
MAX_COMMENT_LENGTH = 10_000
#: longest idempotency key a client may send
MAX_IDEMPOTENCY_KEY = 200


def create_record(session: Session, actor: Actor, form: Form, data: dict[str, Any], *,
                  idempotency_key: str | None = None) -> Record:
    """Create a record of ``form``'s current version owned by ``actor``; a repeated
    ``idempotency_key`` returns the record the first call created instead."""
    policy.require(actor, "create", form)
    _check_idempotency_key(idempotency_key)
    version = current_version(session, form)
    if idempotency_key is not None:
        existing = _by_idempotency_key(session, actor, form, idempotency_key)
        if existing is not None:
            return existing
    # Checked before the write transaction, so SQLite's single write lock is held only for the
    # writes; a concurrent create with the same key or unique value still meets the unique indexes.
    mask = mask_of(actor, form, version).for_state(None)
    _refuse_unwritable(version, mask, data)
    values = _validated(version, mask, data, field_context(session, actor, form))
    try:
        with transaction(session):
            now = utcnow()
            record = Record(workspace_id=form.workspace_id, app_id=form.app_id, form_id=form.id,
                            form_version_id=version.version_id, data=values, owner_id=actor.user_id,
                            created_at=now, updated_at=now, created_by_id=actor.user_id,
                            updated_by_id=actor.user_id, idempotency_key=idempotency_key)
            numbering.assign(session, form, version, [record.data], now, actor.timezone)
            diff = {key: [None, value] for key, value in record.data.items() if value is not None}
            event = RecordEvent("create", form, record, diff)
            hooks.run(hooks.before_write, session, actor, event)
            _index(session, record, version)
            session.add(record)
            session.flush()
            _add_revision(session, actor, record, "create", event.diff, now)
            hooks.run(hooks.after_write, session, actor, event)
            return record
    except IntegrityError as error:
        if idempotency_key is not None and _is_idempotency_violation(error):
            existing = _by_idempotency_key(session, actor, form, idempotency_key)
            if existing is not None:
                return existing
        raise duplicate_value(error, form, version) from error


def update_record(session: Session, actor: Actor, form: Form, record_id: int, changes: dict[str, Any],
                  expected_version: int) -> Record:
    """Change some fields of a record, revalidated as a whole against the form's current version.

    ``expected_version`` is the version the client edited; if the record moved on since, 409
    ``stale_version`` with the current record (masked) in ``extra["current"]``. Changing nothing
    writes nothing.
    """
    policy.require(actor, "update", form)
    version = current_version(session, form)
    try:
        with transaction(session):
            record = load_record(session, actor, form, record_id, action="update")
            mask = mask_of(actor, form, version).for_state(record.state)
            if record.version != expected_version:
                raise _stale(session, actor, form, record)
            _refuse_unwritable(version, mask, changes)
            before = dict(record.data)
            merged = {**before, **changes}
            values = _validated(version, mask, merged, field_context(session, actor, form),
                                partial_keys=list(changes))
            numbering.assign(session, form, version, [values], record.created_at, actor.timezone,
                             missing_only=True)
            diff = _diff(before, values)
            if not diff:
                return record
            now = utcnow()
            record.data = values
            record.form_version_id = version.version_id
            _touch(record, actor, now)
            event = RecordEvent("update", form, record, diff, before=before)
            hooks.run(hooks.before_write, session, actor, event)
            _index(session, record, version)
            session.flush()
            _add_revision(session, actor, record, "update", event.diff, now)
            hooks.run(hooks.after_write, session, actor, event)
            return record
    except StaleDataError as error:
        raise _stale(session, actor, form, load_record(session, actor, form, record_id)) from error
    except IntegrityError as error:
        raise duplicate_value(error, form, version) from error


def delete_record(session: Session, actor: Actor, form: Form, record_id: int,
                  expected_version: int | None = None) -> Record:
    """Move a record to the trash (soft delete); ``restore_record`` brings it back."""
    policy.require(actor, "delete", form)
    try:
        with transaction(session):
            record = load_record(session, actor, form, record_id, action="delete")
            if expected_version is not None and record.version != expected_version:
                raise _stale(session, actor, form, record)
            now = utcnow()
            record.deleted_at = now
            _touch(record, actor, now)
            _write_lifecycle(session, actor, form, record, "delete", now)
            return record
    except StaleDataError as error:
        raise _stale(session, actor, form, load_record(session, actor, form, record_id)) from error


def restore_record(session: Session, actor: Actor, form: Form, record_id: int) -> Record:
    """Bring a soft-deleted record back; 409 ``duplicate_value`` if a unique value was taken meanwhile."""
    policy.require(actor, "delete", form)
    version = current_version(session, form)
    try:
        with transaction(session):
            record = load_record(session, actor, form, record_id, trashed=True)
            now = utcnow()
            record.deleted_at = None
            _touch(record, actor, now)
            _write_lifecycle(session, actor, form, record, "restore", now)
            return record
    except IntegrityError as error:
        raise duplicate_value(error, form, version) from error


def add_comment(session: Session, actor: Actor, form: Form, record_id: int, body: str) -> Comment:
    """Add a comment to a record's timeline."""
    policy.require(actor, "comment", form)
    text = body.strip() if isinstance(body, str) else ""
    if not text:
        raise ValidationFailed([FieldError("body", "required", gettext("Write a comment first."))])
    if len(text) > MAX_COMMENT_LENGTH:
        raise ValidationFailed([FieldError("body", "too_long", gettext(
            "A comment may have at most %(limit)s characters.", limit=MAX_COMMENT_LENGTH))])
    with transaction(session):
        load_record(session, actor, form, record_id)
        comment = Comment(workspace_id=form.workspace_id, record_id=record_id, author_id=actor.user_id,
                          body=text, created_at=utcnow())
        session.add(comment)
        session.flush()
        return comment


@dataclass
class RowError:
    """The problems of one row of a bulk create, by its index in the input."""

    index: int
    errors: list[FieldError]

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "errors": [error.as_dict() for error in self.errors]}


@dataclass
class BulkResult:
    """What a bulk create wrote: the new record ids (in input order) and the rows it refused."""

    ids: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def bulk_create(session: Session, actor: Actor, form: Form, rows: list[dict[str, Any]], *,
                partial: bool = False, chunk_size: int | None = None) -> BulkResult:
    """Create many records at once: every row validated, each with its revision.

    A bad row (validation, or a unique value already taken or repeated in the input) is reported
    with its index; unless ``partial``, nothing is written then (422 listing every bad row). All
    rows go in one transaction, or with ``chunk_size`` one transaction per chunk (a failure then
    keeps the chunks already committed).
    """
    from formflow.records import bulk

    policy.require(actor, "create", form)
    version = current_version(session, form)
    return bulk.create(session, actor, form, version, rows, partial=partial, chunk_size=chunk_size)


# --- shared steps --------------------------------------------------------------------------------


def _check_idempotency_key(key: str | None) -> None:
    if key is not None and (not isinstance(key, str) or not 0 < len(key) <= MAX_IDEMPOTENCY_KEY):
        raise ValidationFailed([FieldError("idempotency_key", "invalid", gettext(
            "The idempotency key must be 1 to %(limit)s characters.", limit=MAX_IDEMPOTENCY_KEY))])


def _by_idempotency_key(session: Session, actor: Actor, form: Form, key: str) -> Record | None:
    return session.scalar(select(Record).where(
        Record.workspace_id == actor.workspace_id, Record.form_id == form.id, Record.idempotency_key == key))


def _is_idempotency_violation(error: IntegrityError) -> bool:
    return "idempotency" in str(error.orig)


def unwritable_errors(version: CompiledForm, mask: FieldMask, data: Any) -> list[FieldError]:
    """Errors for input keys the actor may not write: unknown or hidden ones look alike."""
    if not isinstance(data, dict):
        return [FieldError("data", "not_an_object", gettext("The record must be an object"))]
    errors = []
    for key in data:
        if not mask.can_show(key) or key not in version.fields:
            errors.append(FieldError(key, "unknown_field",
                                     gettext("'%(key)s' is not a field of this form", key=key)))
        elif not mask.can_write(key):
            errors.append(FieldError(key, "read_only", gettext(
                "%(label)s cannot be changed", label=label(version.fields[key].label) or key)))
    return errors


def _refuse_unwritable(version: CompiledForm, mask: FieldMask, data: Any) -> None:
    errors = unwritable_errors(version, mask, data)
    if errors:
        raise policy.refused_write(mask, errors)


def masked_errors(errors: list[FieldError], mask: FieldMask) -> list[FieldError]:
    """Validation errors with those about hidden fields made anonymous (never name a hidden field)."""
    shown: list[FieldError] = []
    for error in errors:
        if error.field and not mask.can_read(error.field.split(".", 1)[0]):
            error = FieldError("", "hidden_field_invalid", gettext(
                "A field you cannot see is not valid; ask an administrator."))
            if error in shown:
                continue
        shown.append(error)
    return shown


def _validated(version: CompiledForm, mask: FieldMask, data: dict[str, Any], context: Any,
               partial_keys: list[str] | None = None) -> dict[str, Any]:
    try:
        return validate(version, data, context, partial_keys=partial_keys)
    except ValidationFailed as failure:
        failure.errors = masked_errors(failure.errors, mask)
        raise


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{key: [old, new]}`` for the keys whose value changed."""
    return {key: [before.get(key), after.get(key)] for key in dict.fromkeys([*before, *after])
            if before.get(key) != after.get(key)}


def _index(session: Session, record: Record, version: CompiledForm) -> None:
    texts = search.field_texts(version.fields.values(), record.data)
    record.search_fields = texts
    record.search_text = search.search_text(texts, session.get_bind().dialect.name)


def _touch(record: Record, actor: Actor, now: datetime) -> None:
    record.version += 1
    record.updated_at = now
    record.updated_by_id = actor.user_id


_INSERT_REVISION = insert(Revision.__table__)


def _add_revision(session: Session, actor: Actor, record: Record, action: str, diff: dict[str, Any],
                  now: datetime) -> None:
    # a Core INSERT: nothing reads the revision back in this request, so no ORM unit of work for it
    session.execute(_INSERT_REVISION, {
        "workspace_id": record.workspace_id, "record_id": record.id, "action": action,
        "record_version": record.version, "diff": diff, "actor_id": actor.user_id, "created_at": now})


def _write_lifecycle(session: Session, actor: Actor, form: Form, record: Record, kind: str,
                     now: datetime) -> None:
    event = RecordEvent(kind, form, record, {}, before=dict(record.data))
    hooks.run(hooks.before_write, session, actor, event)
    session.flush()
    _add_revision(session, actor, record, kind, event.diff, now)
    hooks.run(hooks.after_write, session, actor, event)


def _stale(session: Session, actor: Actor, form: Form, record: Record) -> Conflict:
    from formflow.records.queries import serialize_record

    session.refresh(record)
    version = current_version(session, form)
    current = serialize_record(session, actor, form, record, version=version)
    return Conflict(gettext("Someone else changed this record; review the current values and try again."),
                    code="stale_version", extra={"current": current})


def duplicate_value(error: IntegrityError, form: Form, version: CompiledForm) -> Exception:
    """409 ``duplicate_value`` naming the unique field whose index refused the write.

    Publishing names the unique indexes (``forms.storage.unique_index_fields``); PostgreSQL reports
    the index's name, SQLite names it for expression indexes ("UNIQUE constraint failed: index 'ux_…'").
    Any other integrity error is returned as it is.
    """
    orig = error.orig
    reported = getattr(getattr(orig, "diag", None), "constraint_name", None) or str(orig)
    for index, key in storage.unique_index_fields(form.id, version.fields).items():
        if re.search(rf"\b{re.escape(index)}\b", reported):
            item = version.fields[key]
            problem = FieldError(key, "duplicate_value", gettext("This value is already used."))
            return Conflict(gettext("%(label)s must be unique: this value is already used.",
                                    label=label(item.label) or key), code="duplicate_value",
                            errors=[problem], extra={"field": key})
    return error
