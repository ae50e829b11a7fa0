"""Taking transitions through the record service: one transaction, a revision, nothing half-applied."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from formflow.errors import Conflict, FormflowError, NotFound, ValidationFailed
from formflow.forms.models import Form
from formflow.i18n import use_locale
from formflow.permissions.actor import Actor
from formflow.records.models import Comment, Record, Revision
from formflow.records.service import bulk_create, create_record, update_record
from formflow.records.transitions import transition_record
from formflow.workflows.models import WorkflowVersion


def take(session: Session, actor: Actor, form: Form, record: Record, key: str, **kwargs) -> Record:
    return transition_record(session, actor, form, record.id, key, expected_version=record.version, **kwargs)


def revisions(session: Session, record: Record) -> list[Revision]:
    return list(
        session.scalars(select(Revision).where(Revision.record_id == record.id).order_by(Revision.id))
    )


def test_new_record_starts_in_the_initial_state_of_the_current_version(
    lead_workflow: WorkflowVersion, make_lead
) -> None:
    record = make_lead()
    assert (record.state, record.workflow_version_id) == ("new", lead_workflow.id)


def test_record_of_a_form_without_workflow_has_no_state(leads: Form, make_lead) -> None:
    record = make_lead()
    assert (record.state, record.workflow_version_id) == (None, None)


def test_bulk_created_records_start_in_the_initial_state(
    session: Session, member: Actor, leads: Form, lead_workflow: WorkflowVersion
) -> None:
    result = bulk_create(session, member, leads, [{"name": "A"}, {"name": "B"}])
    rows = session.execute(
        select(Record.state, Record.workflow_version_id).where(Record.id.in_(result.ids))
    ).all()
    assert rows == [("new", lead_workflow.id)] * 2


def test_transition_moves_the_state_and_writes_one_revision_with_the_state_diff(
    session: Session, member: Actor, leads: Form, lead_workflow: WorkflowVersion, make_lead
) -> None:
    record = make_lead(phone="13812345678")
    moved = take(session, member, leads, record, "contact", changes={"notes": "called"})
    assert (moved.state, moved.version) == ("contacting", 2)
    last = revisions(session, record)[-1]
    assert (last.action, last.record_version) == ("transition", 2)
    assert last.diff == {"state": ["new", "contacting"], "notes": [None, "called"]}


def test_comment_of_a_transition_lands_on_the_timeline(
    session: Session, admin: Actor, member: Actor, leads: Form, lead_workflow: WorkflowVersion, make_lead
) -> None:
    record = make_lead(phone="13812345678", amount=5000)
    record = take(session, member, leads, record, "contact")
    record = take(session, member, leads, record, "qualify")
    take(session, admin, leads, record, "convert", comment="Signed today")
    bodies = session.scalars(select(Comment.body).where(Comment.record_id == record.id)).all()
    assert bodies == ["Signed today"]


def test_actions_run_with_the_transition(
    session: Session, admin: Actor, member: Actor, leads: Form, lead_workflow: WorkflowVersion, make_lead
) -> None:
    record = make_lead(phone="13812345678", amount=5000)
    record = take(session, member, leads, record, "contact")
    record = take(session, member, leads, record, "qualify")
    record = take(session, admin, leads, record, "convert", comment="ok")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    assert (record.state, record.data["converted_on"]) == ("converted", today)


def test_role_refusal_is_forbidden_with_the_reason(
    session: Session, member: Actor, leads: Form, lead_workflow: WorkflowVersion, make_lead
) -> None:
    record = make_lead(phone="13812345678", amount=5000)
    record = take(session, member, leads, record, "contact")
    record = take(session, member, leads, record, "qualify")
    with pytest.raises(FormflowError) as refused:
        take(session, member, leads, record, "convert", comment="ok")
    assert refused.value.extra["reasons"] == ["Only administrators may Convert."]


def test_guard_refusal_names_the_missing_field_in_chinese(
    session: Session, member: Actor, leads: Form, lead_workflow: WorkflowVersion, make_lead
) -> None:
    record = make_lead(phone="13812345678")
    record = take(session, member, leads, record, "contact")
    with use_locale("zh_CN"), pytest.raises(FormflowError) as refused:
        take(session, member, leads, record, "qualify")
    assert refused.value.extra["reasons"] == ["需要先填写预计成交金额"]
    assert refused.value.code == "transition_forbidden"


def test_guard_sees_the_changes_sent_with_the_transition(
    session: Session, member: Actor, leads: Form, lead_workflow: WorkflowVersion, make_lead
) -> None:
    record = make_lead(phone="13812345678")
    record = take(session, member, leads, record, "contact")
    moved = take(session, member, leads, record, "qualify", changes={"amount": 12000})
    assert (moved.state, moved.data["amount"]) == ("qualified", 12000)


def test_stale_version_is_a_conflict_carrying_the_current_record(
    session: Session, member: Actor, leads: Form, lead_workflow: WorkflowVersion, make_lead
) -> None:
    record = make_lead(phone="13812345678")
    update_record(session, member, leads, record.id, {"notes": "x"}, 1)
    with pytest.raises(Conflict) as conflict:
        transition_record(session, member, leads, record.id, "contact", expected_version=1)
    assert conflict.value.code == "stale_version"
    assert conflict.value.extra["current"]["version"] == 2


def test_transition_not_leaving_the_state_is_unavailable(
    session: Session, member: Actor, leads: Form, lead_workflow: WorkflowVersion, make_lead
) -> None:
    record = make_lead()
    with pytest.raises(Conflict) as conflict:
        take(session, member, leads, record, "qualify")
    assert conflict.value.code == "transition_unavailable"


def test_unknown_transition_is_not_found(
    session: Session, member: Actor, leads: Form, lead_workflow: WorkflowVersion, make_lead
) -> None:
    with pytest.raises(NotFound):
        take(session, member, leads, make_lead(), "teleport")


def test_record_without_workflow_refuses_transitions(
    session: Session, member: Actor, leads: Form, make_lead
) -> None:
    with pytest.raises(Conflict) as conflict:
        take(session, member, leads, make_lead(), "contact")
    assert conflict.value.code == "no_workflow"


@pytest.mark.parametrize(
    ("key", "changes", "comment", "field", "code"),
    [
        ("contact", {"amount": 5}, None, "amount", "not_editable"),
        ("contact", {"phone": "123"}, None, "phone", "invalid_phone"),
        ("contact", {"state": "invalid"}, None, "state", "unknown_field"),
        ("disqualify", {}, None, "reason", "required"),
        ("disqualify", {"reason": "spam"}, 42, "comment", "wrong_type"),
    ],
)
def test_bad_transition_input_is_refused_and_nothing_changes(
    session: Session,
    member: Actor,
    leads: Form,
    lead_workflow: WorkflowVersion,
    make_lead,
    key: str,
    changes: dict,
    comment: object,
    field: str,
    code: str,
) -> None:
    record = make_lead(phone="13812345678")
    with pytest.raises(ValidationFailed) as failure:
        take(session, member, leads, record, key, changes=changes, comment=comment)
    assert (field, code) in {(error.field, error.code) for error in failure.value.errors}
    session.refresh(record)
    assert (record.state, record.version, len(revisions(session, record))) == ("new", 1, 1)


def test_comment_required_transition_refuses_an_empty_comment(
    session: Session, admin: Actor, member: Actor, leads: Form, lead_workflow: WorkflowVersion, make_lead
) -> None:
    record = make_lead(phone="13812345678", amount=1)
    record = take(session, member, leads, record, "contact")
    record = take(session, member, leads, record, "qualify")
    with pytest.raises(ValidationFailed) as failure:
        take(session, admin, leads, record, "convert", comment="   ")
    assert [(error.field, error.code) for error in failure.value.errors] == [("comment", "required")]


def test_required_field_of_the_target_state_is_enforced(
    session: Session, admin: Actor, leads: Form, publish_workflow, make_lead
) -> None:
    definition = {
        "initial": "open",
        "states": [
            {"key": "open", "label": {"en": "Open"}},
            {"key": "won", "label": {"en": "Won"}, "terminal": True, "required_fields": ["amount"]},
        ],
        "transitions": [{"key": "win", "label": {"en": "Win"}, "from": ["open"], "to": "won"}],
    }
    publish_workflow(leads, definition)
    record = make_lead()
    with pytest.raises(ValidationFailed) as failure:
        take(session, admin, leads, record, "win")
    assert [(error.field, error.code) for error in failure.value.errors] == [("amount", "required")]
    assert take(session, admin, leads, record, "win", changes={"amount": 3}).state == "won"


def test_initial_state_required_fields_apply_on_create(
    session: Session, member: Actor, leads: Form, publish_workflow
) -> None:
    definition = {
        "initial": "open",
        "states": [
            {"key": "open", "label": {"en": "Open"}, "required_fields": ["phone"]},
            {"key": "done", "label": {"en": "Done"}, "terminal": True},
        ],
        "transitions": [{"key": "finish", "label": {"en": "Finish"}, "from": ["open"], "to": "done"}],
    }
    publish_workflow(leads, definition)
    with pytest.raises(ValidationFailed) as failure:
        create_record(session, member, leads, {"name": "A"})
    assert [(error.field, error.code) for error in failure.value.errors] == [("phone", "required")]
    assert session.scalar(select(func.count()).select_from(Record)) == 0


@pytest.mark.parametrize("write", ["create", "update", "bulk"])
def test_state_cannot_be_written_as_data(
    session: Session, member: Actor, leads: Form, lead_workflow: WorkflowVersion, make_lead, write: str
) -> None:
    record = make_lead()
    with pytest.raises(FormflowError) as failure:
        if write == "create":
            create_record(session, member, leads, {"name": "B", "state": "converted"})
        elif write == "update":
            update_record(session, member, leads, record.id, {"state": "converted"}, 1)
        else:
            bulk_create(session, member, leads, [{"name": "C", "state": "converted"}])
    assert failure.value.status in (403, 422)
    assert any(error.field.endswith("state") for error in failure.value.errors)
    assert set(session.scalars(select(Record.state))) == {"new"}


def test_update_that_changes_the_state_behind_the_service_is_refused(
    session: Session,
    member: Actor,
    leads: Form,
    lead_workflow: WorkflowVersion,
    make_lead,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from formflow.records import hooks

    def sneak(_session, _actor, event) -> None:
        event.record.state = "converted"

    monkeypatch.setattr(hooks, "before_write", [sneak, *hooks.before_write])
    record = make_lead()
    with pytest.raises(Conflict) as conflict:
        update_record(session, member, leads, record.id, {"notes": "x"}, 1)
    assert conflict.value.code == "state_read_only"
    session.refresh(record)
    assert (record.state, record.version) == ("new", 1)


def test_state_makes_a_field_read_only_for_members_but_not_for_admins(
    session: Session, admin: Actor, member: Actor, leads: Form, lead_workflow: WorkflowVersion, make_lead
) -> None:
    record = make_lead(phone="13812345678", amount=10)
    record = take(session, member, leads, record, "contact")
    record = take(session, member, leads, record, "qualify")
    with pytest.raises(ValidationFailed) as failure:
        update_record(session, member, leads, record.id, {"amount": 20}, record.version)
    assert [(error.field, error.code) for error in failure.value.errors] == [("amount", "read_only")]
    assert (
        update_record(session, admin, leads, record.id, {"amount": 20}, record.version).data["amount"] == 20
    )


def test_owner_role_lets_the_records_owner_take_the_transition(
    session: Session, member: Actor, other_member: Actor, leads: Form, publish_workflow, make_lead
) -> None:
    definition = {
        "initial": "open",
        "states": [
            {"key": "open", "label": {"en": "Open"}},
            {"key": "done", "label": {"en": "Done"}, "terminal": True},
        ],
        "transitions": [
            {"key": "finish", "label": {"en": "Finish"}, "from": ["open"], "to": "done", "roles": ["owner"]}
        ],
    }
    publish_workflow(leads, definition)
    record = make_lead()
    with pytest.raises(FormflowError):
        take(session, other_member, leads, record, "finish")
    assert take(session, member, leads, record, "finish").state == "done"


def test_transition_needs_the_transition_permission_not_update(
    session: Session, admin: Actor, member: Actor, leads: Form, lead_workflow: WorkflowVersion, make_lead
) -> None:
    from formflow.permissions import service as permissions

    record = make_lead(phone="13812345678")
    permissions.set_permissions(session, admin, leads, "member", {"create": "all", "read": "all",
                                                                  "update": "all"})
    with pytest.raises(FormflowError) as refused:
        take(session, member, leads, record, "contact")
    assert refused.value.status == 403
    assert session.get(Record, record.id).state == "new"
