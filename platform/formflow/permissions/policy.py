"""The one place that decides what an actor may see and change.

Every read starts from ``scope_filter`` and ``field_mask``; every write asks ``require``. This issue's
policy is workspace membership: members read and write the records of their workspace, admins also
manage apps and forms. Role-based scopes, pools and per-state field access build on these same three
functions (issue: permissions).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_

from formflow.errors import Forbidden
from formflow.forms.models import Form
from formflow.i18n import gettext
from formflow.permissions.actor import Actor
from formflow.records.models import Record

#: what an actor may do to a form's records, or to the form itself ("manage")
ACTIONS = ("create", "read", "update", "delete", "comment", "manage")


@dataclass(frozen=True)
class FieldMask:
    """Field keys the actor may read and may write; a key in neither is hidden."""

    readable: frozenset[str]
    writable: frozenset[str]

    def can_read(self, key: str) -> bool:
        return key in self.readable

    def can_write(self, key: str) -> bool:
        return key in self.writable

    def visible(self, data: dict) -> dict:
        """``data`` without the hidden fields."""
        return {key: value for key, value in data.items() if key in self.readable}


def can(actor: Actor, action: str, form: Form) -> bool:
    """Whether ``actor`` may take ``action`` on ``form`` (or its records)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if form.workspace_id != actor.workspace_id:
        return False
    if action == "manage":
        return actor.is_admin
    return True


def require(actor: Actor, action: str, form: Form) -> None:
    """Raise Forbidden unless ``can(actor, action, form)``."""
    if not can(actor, action, form):
        raise Forbidden(gettext("You may not %(action)s in this form.", action=gettext(action)))


def scope_filter(actor: Actor, form: Form) -> ColumnElement[bool]:
    """SQL condition on ``Record`` for the live records of ``form`` the actor may read."""
    return and_(Record.workspace_id == actor.workspace_id, Record.form_id == form.id,
                Record.deleted_at.is_(None))


def trash_filter(actor: Actor, form: Form) -> ColumnElement[bool]:
    """SQL condition on ``Record`` for the soft-deleted records of ``form`` the actor may restore."""
    return and_(Record.workspace_id == actor.workspace_id, Record.form_id == form.id,
                Record.deleted_at.is_not(None))


def field_mask(actor: Actor, form: Form, field_keys: list[str]) -> FieldMask:
    """Which of ``field_keys`` (a form version's fields) the actor may read and write."""
    keys = frozenset(field_keys) if form.workspace_id == actor.workspace_id else frozenset()
    return FieldMask(readable=keys, writable=keys)
