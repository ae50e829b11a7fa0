"""What publishing a definition would do to the records a form already has.

Each impact names a field, counts the records concerned and says it in the current locale. Blocking
impacts (a published key changing type, duplicates under a new unique field) refuse the publish;
the others need the admin's confirmation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from formflow.fields.base import Field
from formflow.forms.definition import fields_of
from formflow.forms.models import Form, FormVersion
from formflow.i18n import gettext, label
from formflow.records.models import Record

#: records loaded at a time when checking stored values against a changed field
SCAN_BATCH = 1000


@dataclass(frozen=True)
class Impact:
    """One consequence of publishing for existing records."""

    #: new_required, removed_field, type_changed, duplicate_values, invalid_values
    kind: str
    field: str
    #: records concerned
    count: int
    message: str
    #: True: the publish is refused whatever the admin confirms
    blocking: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "field": self.field, "count": self.count, "message": self.message,
                "blocking": self.blocking}


def published_types(session: Session, form: Form) -> dict[str, str]:
    """The type every key of ``form`` was ever published with (a key keeps its first type forever)."""
    types: dict[str, str] = {}
    definitions = session.scalars(
        select(FormVersion.definition).where(FormVersion.form_id == form.id).order_by(FormVersion.number))
    for definition in definitions:
        for item in definition.get("fields", []):
            types.setdefault(item["key"], item["type"])
    return types


def current_definition(session: Session, form: Form) -> dict[str, Any] | None:
    """The definition of the form's current published version, if any."""
    if form.current_version_id is None:
        return None
    return session.scalar(select(FormVersion.definition).where(FormVersion.id == form.current_version_id))


def compute_impact(session: Session, form: Form, definition: dict[str, Any]) -> list[Impact]:
    """Every impact of publishing ``definition`` (a checked definition) in place of the current version."""
    before = fields_of(current_definition(session, form) or {"fields": []})
    after = fields_of(definition)
    history = published_types(session, form)
    impacts: list[Impact] = []
    changed: list[Field] = []
    for key, item in after.items():
        if key in history and history[key] != item.type.name:
            impacts.append(Impact("type_changed", key, _count(session, form, None), gettext(
                "'%(field)s' was published as %(old)s; a published field cannot change its type to %(new)s",
                field=key, old=history[key], new=item.type.name), blocking=True))
            continue
        old = before.get(key)
        if _newly_required(item, old):
            count = _count(session, form, _expression(item, session).is_(None))
            if count:
                impacts.append(Impact("new_required", key, count, gettext(
                    "%(count)s records have no value for the newly required field '%(field)s'",
                    count=count, field=_name(item))))
        if item.unique and (old is None or not old.unique):
            impacts.extend(_duplicates(session, form, item))
        if old is not None and old.definition != item.definition and not item.type.computed:
            changed.append(item)
    for key, old in before.items():
        if key not in after:
            count = _count(session, form, _expression(old, session).is_not(None))
            if count:
                impacts.append(Impact("removed_field", key, count, gettext(
                    "'%(field)s' is removed: %(count)s records keep their values, no longer shown",
                    field=_name(old), count=count)))
    impacts.extend(_invalid_values(session, form, changed))
    return impacts


def _newly_required(item: Field, old: Field | None) -> bool:
    return item.required and not item.type.computed and (old is None or not old.required)


def _name(item: Field) -> str:
    return label(item.label) or item.key


def _expression(item: Field, session: Session) -> ColumnElement[Any]:
    return item.type.sql_expression(item, Record.data, session.get_bind().dialect.name)


def _live(form: Form) -> ColumnElement[bool]:
    return and_(Record.form_id == form.id, Record.deleted_at.is_(None))


def _count(session: Session, form: Form, condition: ColumnElement[bool] | None) -> int:
    query = select(func.count()).select_from(Record).where(_live(form))
    if condition is not None:
        query = query.where(condition)
    return int(session.scalar(query) or 0)


def _duplicates(session: Session, form: Form, item: Field) -> list[Impact]:
    """A new unique field whose existing values repeat cannot be published."""
    expression = _expression(item, session)
    groups = (select(expression.label("value"), func.count().label("records"))
              .where(_live(form), expression.is_not(None))
              .group_by(expression).having(func.count() > 1).subquery())
    values, records = session.execute(
        select(func.count(), func.coalesce(func.sum(groups.c.records), 0))).one()
    if not values:
        return []
    return [Impact("duplicate_values", item.key, int(records), gettext(
        "%(count)s records share %(values)s values of '%(field)s'; "
        "remove the duplicates before making it unique",
        count=int(records), values=int(values), field=_name(item)), blocking=True)]


def _invalid_values(session: Session, form: Form, changed: list[Field]) -> list[Impact]:
    """Stored values a changed field definition no longer accepts (an option removed, a lower limit...)."""
    if not changed:
        return []
    validators = {item.key: Draft202012Validator(item.type.value_schema(item),
                                                 format_checker=Draft202012Validator.FORMAT_CHECKER)
                  for item in changed}
    counts = dict.fromkeys(validators, 0)
    for data in _stored_data(session, form):
        for key, validator in validators.items():
            value = data.get(key)
            if value is not None and not validator.is_valid(value):
                counts[key] += 1
    return [Impact("invalid_values", key, count, gettext(
        "%(count)s records have values of '%(field)s' that the new definition refuses; "
        "they keep them until edited",
        count=count, field=_name(next(item for item in changed if item.key == key))))
        for key, count in counts.items() if count]


def _stored_data(session: Session, form: Form) -> Iterator[dict[str, Any]]:
    query = select(Record.data).where(_live(form)).order_by(Record.id).execution_options(yield_per=SCAN_BATCH)
    for data in session.scalars(query):
        if isinstance(data, dict):
            yield data
