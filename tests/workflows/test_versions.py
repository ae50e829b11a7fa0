"""Workflow versions: publishing, running records staying on theirs, and migrating them."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from workflow_helpers import LEAD_WORKFLOW

from formflow.errors import Conflict, FormflowError, ValidationFailed
from formflow.forms.models import Form
from formflow.permissions.actor import Actor
from formflow.records.models import Record, Revision
from formflow.records.transitions import migrate_records, transition_record
from formflow.workflows import service
from formflow.workflows.models import WorkflowVersion


def renamed_contacting() -> dict:
    definition = copy.deepcopy(LEAD_WORKFLOW)
    definition["states"][1] = {"key": "calling", "label": {"en": "Calling"}}
    definition["transitions"][0]["to"] = "calling"
    definition["transitions"][1]["from"] = ["calling"]
    return definition


def test_publishing_a_changed_draft_makes_the_next_version(
    leads: Form, publish_workflow, lead_workflow: WorkflowVersion
) -> None:
    second = publish_workflow(leads, renamed_contacting())
    assert (lead_workflow.number, second.number) == (1, 2)


def test_publishing_an_unchanged_draft_returns_the_current_version(
    leads: Form, publish_workflow, lead_workflow: WorkflowVersion
) -> None:
    assert publish_workflow(leads).id == lead_workflow.id


def test_publishing_without_a_draft_is_refused(session: Session, admin: Actor, leads: Form) -> None:
    with pytest.raises(Conflict) as conflict:
        service.publish(session, admin, leads)
    assert conflict.value.code == "no_workflow_draft"


def test_members_may_not_save_a_draft(session: Session, member: Actor, leads: Form) -> None:
    with pytest.raises(FormflowError) as refused:
        service.save_draft(session, member, leads, LEAD_WORKFLOW)
    assert refused.value.status == 403


def test_invalid_draft_is_refused_and_the_version_stays_live(
    session: Session, admin: Actor, leads: Form, lead_workflow: WorkflowVersion, make_lead
) -> None:
    broken = copy.deepcopy(LEAD_WORKFLOW)
    broken["transitions"][0]["to"] = "nowhere"
    with pytest.raises(ValidationFailed):
        service.save_draft(session, admin, leads, broken)
    assert make_lead().workflow_version_id == lead_workflow.id


def test_running_records_stay_on_their_version_and_new_ones_start_on_the_new(
    session: Session,
    member: Actor,
    leads: Form,
    publish_workflow,
    lead_workflow: WorkflowVersion,
    make_lead: Callable[..., Record],
) -> None:
    old = make_lead(phone="13812345678")
    second = publish_workflow(leads, renamed_contacting())
    new = make_lead()
    assert (old.workflow_version_id, new.workflow_version_id) == (lead_workflow.id, second.id)
    moved = transition_record(session, member, leads, old.id, "contact", expected_version=1)
    assert moved.state == "contacting"


def test_migration_preview_counts_records_per_move(
    session: Session,
    admin: Actor,
    member: Actor,
    leads: Form,
    publish_workflow,
    lead_workflow: WorkflowVersion,
    make_lead,
) -> None:
    for _index in range(3):
        make_lead()
    contacted = make_lead(phone="13812345678")
    transition_record(session, member, leads, contacted.id, "contact", expected_version=1)
    publish_workflow(leads, renamed_contacting())
    plan = service.plan_migration(session, admin, leads, {"contacting": "calling"})
    assert [move.as_dict() for move in plan.moves] == [
        {"from_version": 1, "from_state": "contacting", "to_state": "calling", "count": 1},
        {"from_version": 1, "from_state": "new", "to_state": "new", "count": 3},
    ]
    assert plan.errors == ()


def test_migration_plan_lists_states_without_a_target(
    session: Session,
    admin: Actor,
    member: Actor,
    leads: Form,
    publish_workflow,
    lead_workflow: WorkflowVersion,
    make_lead,
) -> None:
    record = make_lead(phone="13812345678")
    transition_record(session, member, leads, record.id, "contact", expected_version=1)
    publish_workflow(leads, renamed_contacting())
    plan = service.plan_migration(session, admin, leads, {})
    assert [(error.field, error.code) for error in plan.errors] == [("mapping.contacting", "unmapped_state")]
    with pytest.raises(ValidationFailed):
        migrate_records(session, admin, leads, {})
    session.refresh(record)
    assert (record.state, record.workflow_version_id) == ("contacting", lead_workflow.id)


def test_migration_moves_records_and_writes_revisions(
    session: Session,
    admin: Actor,
    member: Actor,
    leads: Form,
    publish_workflow,
    lead_workflow: WorkflowVersion,
    make_lead,
) -> None:
    record = make_lead(phone="13812345678")
    transition_record(session, member, leads, record.id, "contact", expected_version=1)
    second = publish_workflow(leads, renamed_contacting())
    applied = migrate_records(session, admin, leads, {"contacting": "calling"})
    assert applied["total"] == 1
    session.refresh(record)
    assert (record.state, record.workflow_version_id, record.version) == ("calling", second.id, 3)
    last = session.scalars(
        select(Revision).where(Revision.record_id == record.id).order_by(Revision.id.desc())
    ).first()
    assert (last.action, last.diff) == (
        "migrate",
        {"workflow_version": [1, 2], "state": ["contacting", "calling"]},
    )
    assert (
        transition_record(
            session, member, leads, record.id, "qualify", expected_version=3, changes={"amount": 5}
        ).state
        == "qualified"
    )


def test_records_created_before_the_workflow_migrate_to_the_initial_state(
    session: Session, admin: Actor, leads: Form, publish_workflow, make_lead
) -> None:
    record = make_lead()
    publish_workflow(leads)
    assert [move.as_dict() for move in service.plan_migration(session, admin, leads, {}).moves] == [
        {"from_version": None, "from_state": None, "to_state": "new", "count": 1}
    ]
    migrate_records(session, admin, leads, {})
    session.refresh(record)
    assert record.state == "new"


def test_mapping_to_an_unknown_state_is_an_error(
    session: Session, admin: Actor, leads: Form, lead_workflow: WorkflowVersion
) -> None:
    plan = service.plan_migration(session, admin, leads, {"contacting": "ringing"})
    assert [(error.field, error.code) for error in plan.errors] == [("mapping.contacting", "unknown_state")]


def test_published_version_is_immutable(session: Session, lead_workflow: WorkflowVersion) -> None:
    lead_workflow.definition = {"initial": "x"}
    with pytest.raises(ValueError, match="cannot change"):
        session.commit()
    session.rollback()


def test_workflow_version_ids_of_records_are_stored(
    session: Session, lead_workflow: WorkflowVersion, make_lead
) -> None:
    record = make_lead()
    assert (
        session.scalar(select(Record.workflow_version_id).where(Record.id == record.id)) == lead_workflow.id
    )
