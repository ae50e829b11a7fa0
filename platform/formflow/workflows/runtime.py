"""Running workflows: who holds which roles, which transitions a user may take and why not, and the
record-service hooks that start records in the initial state and keep the state out of every other
write.

The state is a system column only transitions change (``records.transitions``). Create and update
cannot name it (``state`` is a reserved key, refused as an unknown field); the hooks below add, inside
the record service's transaction: a new record of a form with a published workflow starts on that
version's initial state (bulk creates too); an update, delete or restore that would change the
state or the workflow version is refused; and an update may not change a field the record's current
state makes read-only or hidden for all of the actor's roles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from formflow.conditions.context import EvaluationContext
from formflow.conditions.python import record_values
from formflow.db import utcnow
from formflow.errors import Conflict, FieldError, ValidationFailed
from formflow.i18n import gettext, label
from formflow.permissions.actor import Actor
from formflow.records import hooks
from formflow.records.hooks import RecordEvent
from formflow.records.models import Record
from formflow.workflows.compiler import CompiledTransition, CompiledWorkflow, TransitionRun, compiled
from formflow.workflows.guards import N_
from formflow.workflows.models import Workflow

#: roles every workspace member holds besides their own (admins and jobs are members too)
MEMBER_ROLES = {"admin": frozenset({"admin", "member"}), "system": frozenset({"admin", "member"}),
                "member": frozenset({"member"})}
_EMPTY = (None, "", [], {})
#: messages of ``missing_required``
REQUIRED_IN_STATE = N_("%(field)s is required in the state %(state)s")
REQUIRED_FOR_TRANSITION = N_("%(field)s is required for %(transition)s")


def actor_roles(actor: Actor, record: Record | None) -> frozenset[str]:
    """The workflow roles ``actor`` holds for ``record``: the membership's, plus ``owner``."""
    roles = MEMBER_ROLES.get(actor.role, frozenset({actor.role}))
    if record is not None and actor.user_id is not None and record.owner_id == actor.user_id:
        roles |= {"owner"}
    return roles


def current_workflow_version_id(session: Session, form_id: int) -> int | None:
    """The id of the workflow version new records of the form start on (None: no published workflow).

    Remembered for the rest of the session's transaction, so a bulk create asks once.
    """
    transaction = session.get_transaction()
    cached = session.info.get("formflow.workflow_versions")
    if cached is None or cached[0] is not transaction:
        cached = (transaction, {})
        session.info["formflow.workflow_versions"] = cached
    versions: dict[int, int | None] = cached[1]
    if form_id not in versions:
        versions[form_id] = session.scalar(select(Workflow.current_version_id)
                                           .where(Workflow.form_id == form_id))
    return versions[form_id]


def forget_current_version(session: Session) -> None:
    """Drop the transaction's remembered versions (after publishing a workflow)."""
    session.info.pop("formflow.workflow_versions", None)


def workflow_of(session: Session, record: Record) -> CompiledWorkflow | None:
    """The compiled workflow version the record runs on, or None."""
    if record.workflow_version_id is None:
        return None
    return compiled(session, record.workflow_version_id)


def new_run(workflow: CompiledWorkflow, actor: Actor, record: Record, data: Mapping[str, Any]
            ) -> TransitionRun:
    """A run of the record (with ``data`` as its field values) for one attempt by ``actor``."""
    now = utcnow()
    values = record_values(record)
    values.update(data)
    context = EvaluationContext(user_id=actor.user_id, team_user_ids=actor.team_user_ids,
                                timezone=actor.timezone, now=now)
    return TransitionRun(state=record.state or workflow.initial, roles=actor_roles(actor, record),
                         values=values, context=context, actor_user_id=actor.user_id, timezone=actor.timezone,
                         now=now)


@dataclass(frozen=True)
class TransitionOption:
    """A transition leaving the record's state, as the record page and API list it."""

    transition: CompiledTransition
    target_label: dict[str, str]
    #: True when the user may take it now
    allowed: bool
    #: why not (roles, guard), in the current locale; empty when allowed
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """The API's JSON of the option."""
        item = self.transition
        return {"key": item.key, "label": label(item.label), "to": item.target,
                "to_label": label(self.target_label), "allowed": self.allowed, "reasons": list(self.reasons),
                "comment_required": item.comment_required, "required_fields": list(item.required_fields),
                "editable_fields": list(item.editable_fields)}


def options(workflow: CompiledWorkflow, actor: Actor, record: Record) -> list[TransitionOption]:
    """Every transition leaving the record's state, with whether ``actor`` may take it and why not."""
    run = new_run(workflow, actor, record, record.data or {})
    found = []
    for transition in workflow.transitions_from(run.state):
        reasons: list[str] = []
        if not transition.allows_role(run.roles):
            reasons.append(transition.role_refusal())
        else:
            reasons.extend(workflow.guard_reasons(transition, run))
        found.append(TransitionOption(transition, workflow.states[transition.target].label, not reasons,
                                      tuple(reasons)))
    return found


def access_level(workflow: CompiledWorkflow, state: str | None, roles: frozenset[str], key: str) -> str:
    """``write``, ``read`` or ``hidden``: what the state lets an actor with ``roles`` do with a field.

    Only the roles that mention the field count, and the most permissive of them wins; a field no role
    of the actor mentions is ``write`` (the policy's field mask decides then).
    """
    compiled_state = workflow.states.get(state) if state is not None else None
    if compiled_state is None:
        return "write"
    levels = [compiled_state.field_access[role][key] for role in roles
              if key in compiled_state.field_access.get(role, {})]
    if not levels:
        return "write"
    return min(levels, key=("write", "read", "hidden").index)


def missing_required(workflow: CompiledWorkflow, keys: tuple[str, ...], data: Mapping[str, Any],
                     message: str, **params: Any) -> list[FieldError]:
    """Errors for the fields of ``keys`` that are empty in ``data``."""
    errors = []
    for key in dict.fromkeys(keys):
        if data.get(key) in _EMPTY:
            field = workflow.fields.get(key)
            errors.append(FieldError(key, "required", gettext(
                message, field=label(field.label) if field is not None else key, **params)))
    return errors


# --- record-service hooks ------------------------------------------------------------------------


def start_in_initial_state(session: Session, actor: Actor, event: RecordEvent) -> None:
    """``before_write``: a new record of a form with a published workflow starts in its initial state."""
    if event.kind != "create":
        return
    version_id = current_workflow_version_id(session, event.form.id)
    if version_id is None:
        return
    workflow = compiled(session, version_id)
    record = event.record
    record.state = workflow.initial
    record.workflow_version_id = version_id
    initial = workflow.states[workflow.initial]
    errors = missing_required(workflow, initial.required_fields, record.data or {}, REQUIRED_IN_STATE,
                              state=label(initial.label))
    if errors:
        raise ValidationFailed(errors)


def keep_state(session: Session, actor: Actor, event: RecordEvent) -> None:
    """``before_write``: no write but a transition (or a migration) changes the state or workflow version."""
    if event.kind not in ("update", "delete", "restore"):
        return
    state = inspect(event.record)
    if state.attrs.state.history.has_changes() or state.attrs.workflow_version_id.history.has_changes():
        raise Conflict(gettext("Only a workflow transition can change the state of a record."),
                       code="state_read_only")


def enforce_state_field_access(session: Session, actor: Actor, event: RecordEvent) -> None:
    """``before_write``: an update may not change a field that the record's state makes read-only or
    hidden for the actor."""
    if event.kind != "update":
        return
    workflow = workflow_of(session, event.record)
    if workflow is None:
        return
    roles = actor_roles(actor, event.record)
    errors = []
    for key in event.diff:
        field = workflow.fields.get(key)
        if field is not None and field.type.computed:
            continue  # a formula follows the fields it reads; only input is checked
        level = access_level(workflow, event.record.state, roles, key)
        if level == "hidden":
            errors.append(FieldError(key, "unknown_field",
                                     gettext("'%(key)s' is not a field of this form", key=key)))
        elif level == "read":
            errors.append(FieldError(key, "read_only", gettext(
                "%(label)s cannot be changed in this state", label=label(field.label) if field else key)))
    if errors:
        raise ValidationFailed(errors)


#: the hooks ``install`` adds, in order
HOOKS = (start_in_initial_state, keep_state, enforce_state_field_access)


def install() -> None:
    """Add the workflow hooks to the record service (idempotent; ``create_app`` calls it)."""
    for hook in HOOKS:
        if hook not in hooks.before_write:
            hooks.before_write.append(hook)
