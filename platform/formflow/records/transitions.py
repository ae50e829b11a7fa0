"""Workflow writes of the record service: taking a transition, and moving records to another workflow
version. Like every record write, each is one transaction built from the service's shared steps
(records/service.py); only these two functions change a record's ``state``.

A transition, in order: the record the actor may see, at the version the client saw (else 409
``stale_version``) → the transition leaves the record's state (else 409 ``transition_unavailable``)
→ the actor holds one of its roles (else 403 with the reason) → the changes are fields the actor may
write and the transition lets them edit, coerced and validated with the whole record (422) → the
compiled machine checks roles and guard on the new values (403 with the reasons, e.g. "Fill in
Amount first") and runs the actions → required fields and comment (422) → state, data, version + 1,
a ``transition`` revision whose diff includes ``state``, the comment on the timeline, hooks → commit.
A lost race on the version counter is 409 ``stale_version``; nothing is half-applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from formflow.db import transaction, utcnow
from formflow.errors import Conflict, FieldError, FormflowError, NotFound, ValidationFailed
from formflow.forms.models import Form
from formflow.forms.validation import validate
from formflow.i18n import gettext, label
from formflow.permissions import policy
from formflow.permissions.actor import Actor
from formflow.records import hooks, numbering
from formflow.records.access import current_version, field_context, load_record, mask_of
from formflow.records.hooks import RecordEvent
from formflow.records.models import Comment, Record
from formflow.records.service import (
    MAX_COMMENT_LENGTH,
    _add_revision,
    _diff,
    _index,
    _refuse_unwritable,
    _stale,
    _touch,
    _validated,
    duplicate_value,
    masked_errors,
)

#: records moved per batch by a migration
MIGRATION_BATCH = 500


def transition_record(session: Session, actor: Actor, form: Form, record_id: int, transition_key: str, *,
                      expected_version: int, changes: Mapping[str, Any] | None = None,
                      comment: str | None = None) -> Record:
    """Take the workflow transition ``transition_key`` on a record, with optional field ``changes``
    (fields the transition lets the actor edit) and a ``comment``; see the module docstring."""
    from formflow.workflows import runtime

    policy.require(actor, "transition", form)
    changes = dict(changes or {})
    text = _comment_text(comment)
    version = current_version(session, form)
    try:
        with transaction(session):
            record = load_record(session, actor, form, record_id, action="transition")
            if record.version != expected_version:
                raise _stale(session, actor, form, record)
            workflow = runtime.workflow_of(session, record)
            if workflow is None:
                raise Conflict(gettext("This record does not follow a workflow."), code="no_workflow")
            transition = workflow.transitions.get(transition_key)
            if transition is None:
                raise NotFound(gettext("This workflow has no such transition."))
            if record.state not in transition.sources:
                state = workflow.states.get(record.state) if record.state else None
                raise Conflict(gettext("%(transition)s cannot be taken from the state %(state)s.",
                                       transition=label(transition.label),
                                       state=label(state.label) if state else record.state or "-"),
                               code="transition_unavailable")
            roles = runtime.actor_roles(actor, record)
            if not transition.allows_role(roles):
                raise _refused([transition.role_refusal()])
            target = workflow.states[transition.target]
            mask = mask_of(actor, form, version).for_state(record.state)
            _refuse_unwritable(version, mask, changes)
            editable = {*transition.editable_fields, *transition.required_fields, *target.required_fields}
            uneditable = [FieldError(key, "not_editable", gettext(
                "%(transition)s does not change this field.", transition=label(transition.label)))
                for key in changes if key not in editable]
            if uneditable:
                raise ValidationFailed(uneditable)
            context = field_context(session, actor, form)
            before = dict(record.data)
            values = _validated(version, mask, {**before, **changes}, context, partial_keys=list(changes))
            run = runtime.new_run(workflow, actor, record, values)
            if not workflow.fire(transition, run):
                raise _refused(run.refusals)
            if run.changes:
                try:
                    values = validate(version, {**values, **run.changes}, context,
                                      partial_keys=list(run.changes))
                except ValidationFailed as failure:
                    failure.errors = masked_errors(failure.errors, mask)
                    raise
            errors = runtime.missing_required(
                workflow, (*transition.required_fields, *target.required_fields), values,
                runtime.REQUIRED_FOR_TRANSITION, transition=label(transition.label))
            if transition.comment_required and not text:
                errors.append(FieldError("comment", "required", gettext(
                    "%(transition)s needs a comment.", transition=label(transition.label))))
            if errors:
                raise ValidationFailed(errors)
            numbering.assign(session, form, version, [values], record.created_at, actor.timezone,
                             missing_only=True)
            now = utcnow()
            diff = {**_diff(before, values), "state": [record.state, run.state]}
            record.data = values
            record.state = run.state
            record.form_version_id = version.version_id
            _touch(record, actor, now)
            event = RecordEvent("transition", form, record, diff, before=before,
                                extra={"transition": transition.key, "comment": text})
            hooks.run(hooks.before_write, session, actor, event)
            _index(session, record, version)
            session.flush()
            _add_revision(session, actor, record, "transition", event.diff, now)
            if text:
                session.add(Comment(workspace_id=form.workspace_id, record_id=record.id,
                                    author_id=actor.user_id, body=text, created_at=now))
                session.flush()
            hooks.run(hooks.after_write, session, actor, event)
            return record
    except StaleDataError as error:
        raise _stale(session, actor, form, load_record(session, actor, form, record_id)) from error
    except IntegrityError as error:
        raise duplicate_value(error, form, version) from error


def _refused(reasons: list[str]) -> FormflowError:
    """403 ``transition_forbidden`` with the reasons (roles, guard) in ``extra["reasons"]``."""
    reasons = list(dict.fromkeys(reasons)) or [gettext("You may not take this step.")]
    return FormflowError(gettext("This step is not allowed."), status=403, code="transition_forbidden",
                         detail=" ".join(reasons), extra={"reasons": reasons})


def _comment_text(comment: Any) -> str:
    if comment is None:
        return ""
    if not isinstance(comment, str):
        raise ValidationFailed([FieldError("comment", "wrong_type", gettext("The comment must be text."))])
    text = comment.strip()
    if len(text) > MAX_COMMENT_LENGTH:
        raise ValidationFailed([FieldError("comment", "too_long", gettext(
            "A comment may have at most %(limit)s characters.", limit=MAX_COMMENT_LENGTH))])
    return text


def migrate_records(session: Session, actor: Actor, form: Form, mapping: Mapping[str, str]) -> dict[str, Any]:
    """Move every live record not on the form's current workflow version onto it (admins only).

    ``mapping`` is as for ``workflows.service.plan_migration``, whose plan this applies: 422 when the
    plan lists problems. Each record gets its new state and version, version + 1 and a ``migrate``
    revision (``{"state": [old, new], "workflow_version": [old, new]}``), all in one transaction.
    Returns the applied plan (``MigrationPlan.as_dict()``).
    """
    from formflow.workflows import service as workflows
    from formflow.workflows.models import WorkflowVersion

    plan = workflows.plan_migration(session, actor, form, mapping)
    if plan.errors:
        raise ValidationFailed(list(plan.errors), title=gettext("Some records have no state to move to"))
    workflow = workflows.compiled(session, plan.version.id)
    numbers: dict[int | None, int | None] = {None: None}
    numbers.update((move_id, number) for move_id, number in session.execute(
        select(WorkflowVersion.id, WorkflowVersion.number)
        .where(WorkflowVersion.form_id == form.id)))
    try:
        with transaction(session):
            ids = list(session.scalars(select(Record.id).where(
                policy.scope_filter(actor, form),
                Record.workflow_version_id.is_(None) | (Record.workflow_version_id != plan.version.id))
                .order_by(Record.id)))
            now = utcnow()
            for start in range(0, len(ids), MIGRATION_BATCH):
                chunk = ids[start:start + MIGRATION_BATCH]
                batch = session.scalars(select(Record).where(Record.id.in_(chunk)).order_by(Record.id)
                                        .with_for_update())
                for record in batch:
                    target = workflows.target_state(workflow, mapping, record.state)
                    _migrate(session, actor, form, record, target, plan.version.id, numbers, now)
    except StaleDataError as error:
        raise Conflict(gettext("Records changed while they were being moved; try again."),
                       code="stale_version") from error
    return plan.as_dict()


def _migrate(session: Session, actor: Actor, form: Form, record: Record, target: str | None, version_id: int,
             numbers: dict[int | None, int | None], now: Any) -> None:
    if target is None:
        raise ValidationFailed([FieldError(f"mapping.{record.state}", "unmapped_state", gettext(
            "A record is in the state %(key)s, which the new version lacks: map it to a state.",
            key=record.state))])
    diff: dict[str, list[Any]] = {"workflow_version": [numbers.get(record.workflow_version_id),
                                                       numbers.get(version_id)]}
    if record.state != target:
        diff["state"] = [record.state, target]
    record.state = target
    record.workflow_version_id = version_id
    _touch(record, actor, now)
    event = RecordEvent("migrate", form, record, diff, before=dict(record.data))
    hooks.run(hooks.before_write, session, actor, event)
    session.flush()
    _add_revision(session, actor, record, "migrate", event.diff, now)
    hooks.run(hooks.after_write, session, actor, event)
