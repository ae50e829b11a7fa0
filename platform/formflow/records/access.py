"""What the record service and queries share: the form's current version, the actor's field mask,
the record the actor may see, and the id lookups coercion uses."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from formflow.accounts.models import Membership
from formflow.db import utcnow
from formflow.errors import Conflict, NotFound
from formflow.fields.base import Field, FieldContext
from formflow.forms.models import Form
from formflow.forms.validation import CompiledForm
from formflow.i18n import current_locale, gettext
from formflow.permissions import policy
from formflow.permissions.actor import Actor
from formflow.permissions.policy import FieldMask
from formflow.records.models import Attachment, Record

#: prefix of the lookup / title kind of relation fields: ``record:<target form key>``
RECORD_KIND = "record:"


def current_version(session: Session, form: Form) -> CompiledForm:
    """The form's published version, compiled; 409 ``form_not_published`` when it has none."""
    from formflow.forms.service import compiled

    if form.current_version_id is None:
        raise Conflict(gettext("Publish the form before adding records."), code="form_not_published")
    return compiled(session, form.current_version_id)


def mask_of(actor: Actor, form: Form, version: CompiledForm) -> FieldMask:
    """The actor's field mask over the version's fields."""
    return policy.field_mask(actor, form, list(version.fields))


def load_record(session: Session, actor: Actor, form: Form, record_id: int, *, trashed: bool = False,
                action: str = "read") -> Record:
    """The live (or, with ``trashed``, soft-deleted) record in the actor's scope for ``action``;
    NotFound otherwise (an id of another workspace is also logged)."""
    condition = policy.trash_filter(actor, form) if trashed else policy.scope_filter(actor, form, action)
    record = session.scalar(select(Record).where(condition, Record.id == record_id))
    if record is None:
        policy.note_missing_record(session, actor, record_id)
        raise NotFound(gettext("Record not found."))
    return record


def reference_kind(field: Field) -> str | None:
    """The lookup and title kind of a field holding ids (``user``, ``record:<form key>``...), else None.

    Reference types declare it as ``kind``: a string, or a method of the field when it depends on
    the definition (a relation's target form).
    """
    kind = getattr(field.type, "kind", None)
    kind = kind(field) if callable(kind) else kind
    return kind if isinstance(kind, str) else None


def target_form_key(field: Field) -> str | None:
    """The form key a relation field points at (its kind is ``record:<key>``), else None."""
    kind = reference_kind(field)
    return kind[len(RECORD_KIND):] if kind is not None and kind.startswith(RECORD_KIND) else None


def referenced_ids(value: Any) -> list[int]:
    """The ids a reference value holds (one id or a list of them)."""
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, int) and not isinstance(item, bool)]


def sibling_form(session: Session, form: Form, key: str) -> Form | None:
    """The form called ``key`` in ``form``'s app."""
    return session.scalar(select(Form).where(Form.app_id == form.app_id, Form.key == key))


class Lookup:
    """``FieldContext.lookup``: which of some ids of a kind the actor cannot reference.

    Kinds: ``user`` (members of the workspace), ``record:<form key>`` (records of that form of the
    same app inside the actor's scope), ``attachment`` (files of the workspace).
    """

    def __init__(self, session: Session, actor: Actor, form: Form) -> None:
        self.session = session
        self.actor = actor
        self.form = form
        self.kinds: dict[str, Callable[[str, set[int]], Iterable[int]]] = {
            "user": self._users, "attachment": self._attachments}

    def __call__(self, kind: str, ids: list[int]) -> set[int]:
        wanted = set(ids)
        if kind.startswith(RECORD_KIND):
            found = set(self._records(kind[len(RECORD_KIND):], wanted))
        elif kind in self.kinds:
            found = set(self.kinds[kind](kind, wanted))
        else:
            raise ValueError(f"unknown lookup kind {kind!r}")
        return wanted - found

    def _users(self, _kind: str, ids: set[int]) -> Iterable[int]:
        return self.session.scalars(select(Membership.user_id).where(
            Membership.workspace_id == self.actor.workspace_id, Membership.user_id.in_(ids)))

    def _attachments(self, _kind: str, ids: set[int]) -> Iterable[int]:
        return self.session.scalars(select(Attachment.id).where(
            Attachment.workspace_id == self.actor.workspace_id, Attachment.id.in_(ids)))

    def _records(self, form_key: str, ids: set[int]) -> Iterable[int]:
        target = sibling_form(self.session, self.form, form_key)
        if target is None:
            return ()
        return self.session.scalars(select(Record.id).where(policy.scope_filter(self.actor, target),
                                                            Record.id.in_(ids)))


def field_context(session: Session, actor: Actor, form: Form) -> FieldContext:
    """The coercion context of a write by ``actor``: timezone, locale, now, id lookups."""
    return FieldContext(timezone=actor.timezone, locale=current_locale(), actor_user_id=actor.user_id,
                        now=utcnow(), lookup=Lookup(session, actor, form),
                        extra={"team_user_ids": actor.team_user_ids})
