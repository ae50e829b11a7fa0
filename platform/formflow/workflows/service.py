"""Workflows of forms: save the draft, publish immutable versions, and preview moving running records
from older versions onto the current one (``records.transitions.migrate_records`` applies it).

A definition is checked against the fields of the form's current published version; an invalid draft
or publish is refused with every problem listed and the version in force stays live. Management is
for admins (``policy.require(actor, "manage", form)``); reading the workflow for anyone who may read
the form's records.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from formflow.db import transaction, utcnow
from formflow.errors import Conflict, FieldError, NotFound, ValidationFailed
from formflow.forms.models import Form
from formflow.i18n import gettext, label
from formflow.permissions import policy
from formflow.permissions.actor import Actor
from formflow.records.access import current_version, load_record
from formflow.records.models import Record
from formflow.workflows import runtime
from formflow.workflows.compiler import CompiledWorkflow, compiled
from formflow.workflows.definition import workflow_problems
from formflow.workflows.models import Workflow, WorkflowVersion


def get_workflow(session: Session, actor: Actor, form: Form) -> Workflow | None:
    """The form's workflow (draft and current version), or None when it has none yet."""
    policy.require(actor, "read", form)
    return session.scalar(select(Workflow).where(Workflow.form_id == form.id))


def _problems(session: Session, form: Form, definition: Any) -> list[FieldError]:
    return workflow_problems(definition, current_version(session, form).fields)


def save_draft(session: Session, actor: Actor, form: Form, definition: dict[str, Any]) -> Workflow:
    """Check ``definition`` against the form's current fields and store it as the draft (admins only).

    422 lists every problem; the published version (if any) is untouched either way.
    """
    policy.require(actor, "manage", form)
    errors = _problems(session, form, definition)
    if errors:
        raise ValidationFailed(errors, title=gettext("The workflow definition has problems"))
    with transaction(session):
        workflow = session.scalar(select(Workflow).where(Workflow.form_id == form.id).with_for_update())
        if workflow is None:
            workflow = Workflow(workspace_id=form.workspace_id, form_id=form.id)
            session.add(workflow)
        workflow.draft = copy.deepcopy(definition)
        workflow.draft_updated_at = utcnow()
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(gettext("Someone else saved this workflow at the same time; try again."),
                           code="workflow_conflict") from None
    return workflow


def publish(session: Session, actor: Actor, form: Form) -> WorkflowVersion:
    """Publish the draft as the workflow's next immutable version (admins only).

    The draft is checked again (the form may have changed since it was saved). A draft equal to the
    version in force returns that version. Records already running stay on their version until an
    admin migrates them; new records start on the new one.
    """
    policy.require(actor, "manage", form)
    form_version = current_version(session, form)
    with transaction(session):
        workflow = session.scalar(select(Workflow).where(Workflow.form_id == form.id).with_for_update()
                                  .execution_options(populate_existing=True))
        if workflow is None or workflow.draft is None:
            raise Conflict(gettext("Save a workflow draft before publishing."), code="no_workflow_draft")
        definition = copy.deepcopy(workflow.draft)
        errors = workflow_problems(definition, form_version.fields)
        if errors:
            raise ValidationFailed(errors, title=gettext("The workflow definition has problems"))
        if workflow.current_version_id is not None:
            current = session.get(WorkflowVersion, workflow.current_version_id)
            if current is not None and current.definition == definition:
                return current
        number = (session.scalar(select(func.max(WorkflowVersion.number))
                                 .where(WorkflowVersion.workflow_id == workflow.id)) or 0) + 1
        version = WorkflowVersion(workflow_id=workflow.id, form_id=form.id, number=number,
                                  definition=definition, form_version_id=form_version.version_id,
                                  published_by_id=actor.user_id)
        session.add(version)
        session.flush()
        workflow.current_version_id = version.id
        session.flush()
        runtime.forget_current_version(session)
    return version


def list_versions(session: Session, actor: Actor, form: Form) -> list[WorkflowVersion]:
    """The workflow's published versions, newest first."""
    policy.require(actor, "read", form)
    return list(session.scalars(select(WorkflowVersion).where(WorkflowVersion.form_id == form.id)
                                .order_by(WorkflowVersion.number.desc())))


def current_workflow(session: Session, actor: Actor, form: Form) -> tuple[WorkflowVersion, CompiledWorkflow]:
    """The version in force and its compiled machine; NotFound when none is published."""
    policy.require(actor, "read", form)
    version_id = session.scalar(select(Workflow.current_version_id).where(Workflow.form_id == form.id))
    version = session.get(WorkflowVersion, version_id) if version_id is not None else None
    if version is None:
        raise NotFound(gettext("This form has no published workflow."))
    return version, compiled(session, version.id)


def transition_options(session: Session, actor: Actor, form: Form, record_id: int) -> dict[str, Any]:
    """The record's state and the transitions leaving it, each ``allowed`` for ``actor`` or with the
    ``reasons`` why not (the JSON the API and the record page use)."""
    policy.require(actor, "read", form)
    record = load_record(session, actor, form, record_id)
    workflow = runtime.workflow_of(session, record)
    if workflow is None:
        return {"state": record.state, "state_label": None, "version": record.version, "items": []}
    state = workflow.states.get(record.state) if record.state else None
    return {"state": record.state, "state_label": label(state.label) if state is not None else None,
            "version": record.version,
            "items": [option.as_dict() for option in runtime.options(workflow, actor, record)]}


@dataclass(frozen=True)
class MigrationMove:
    """A group of records a migration moves: from a version and state to a state of the current one."""

    from_version: int | None
    from_state: str | None
    to_state: str | None
    count: int

    def as_dict(self) -> dict[str, Any]:
        return {"from_version": self.from_version, "from_state": self.from_state, "to_state": self.to_state,
                "count": self.count}


@dataclass(frozen=True)
class MigrationPlan:
    """What moving a form's records to the current workflow version does: the moves, and the states
    that have no place in the new version (a plan with problems cannot be applied)."""

    version: WorkflowVersion
    moves: tuple[MigrationMove, ...]
    errors: tuple[FieldError, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"to_version": self.version.number, "moves": [move.as_dict() for move in self.moves],
                "total": sum(move.count for move in self.moves),
                "errors": [error.as_dict() for error in self.errors]}


def plan_migration(session: Session, actor: Actor, form: Form, mapping: Mapping[str, str]) -> MigrationPlan:
    """Preview moving every live record not on the current version onto it (admins only).

    ``mapping`` maps old state keys to states of the current version; a state it does not name keeps
    its key when the current version has that state, records without a state go to the initial
    state, and any other state is an error (listed with its count).
    """
    policy.require(actor, "manage", form)
    version, workflow = current_workflow(session, actor, form)
    errors = [FieldError(f"mapping.{source}", "unknown_state",
                         gettext("Unknown state %(key)s.", key=str(target)[:64]))
              for source, target in mapping.items() if target not in workflow.states]
    numbers = dict(session.execute(select(WorkflowVersion.id, WorkflowVersion.number)
                                   .where(WorkflowVersion.form_id == form.id)).all())
    groups = session.execute(
        select(Record.workflow_version_id, Record.state, func.count())
        .where(policy.scope_filter(actor, form),
               Record.workflow_version_id.is_(None) | (Record.workflow_version_id != version.id))
        .group_by(Record.workflow_version_id, Record.state)
        .order_by(Record.workflow_version_id, Record.state)).all()
    moves = []
    for version_id, state, count in groups:
        target = target_state(workflow, mapping, state)
        if target is None:
            errors.append(FieldError(f"mapping.{state}", "unmapped_state", gettext(
                "%(count)s records are in the state %(key)s, which the new version lacks: map it to a state.",
                count=count, key=state)))
        moves.append(MigrationMove(numbers.get(version_id) if version_id is not None else None, state, target,
                                   count))
    return MigrationPlan(version, tuple(moves), tuple(errors))


def target_state(workflow: CompiledWorkflow, mapping: Mapping[str, str], state: str | None) -> str | None:
    """Where a migration puts a record in ``state`` (None when nowhere: the plan reports it)."""
    if state is None:
        return mapping.get("", workflow.initial)
    if state in mapping:
        return mapping[state] if mapping[state] in workflow.states else None
    return state if state in workflow.states else None
