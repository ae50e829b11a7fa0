"""The policy: record scopes per action, field access per role and state, masked values, and the
refusals of writes to fields a role may not write."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from formflow.errors import FieldError, Forbidden, NotFound, ValidationFailed
from formflow.permissions import policy
from formflow.permissions.models import AuditEntry
from formflow.records.queries import RecordQuery, get_record, list_revisions, query_records
from formflow.records.service import create_record, delete_record, update_record


def names(page) -> list[str]:
    return sorted(item["data"]["name"] for item in page.items)


def listed(session, actor, form, **query) -> list[str]:
    return names(query_records(session, actor, form, RecordQuery(**query)))


# --- scopes ---------------------------------------------------------------------------------------


def test_a_role_without_rules_keeps_the_defaults(session, leads, make_person, make_lead):
    rep, other = make_person(), make_person()
    make_lead(other, name="theirs")

    assert listed(session, rep, leads) == ["theirs"]
    assert policy.can(rep, "update", leads) and not policy.can(rep, "manage", leads)


def test_own_scope_lists_only_the_records_the_user_owns(session, leads, make_person, make_lead, rules):
    rep, other = make_person("rep"), make_person("rep")
    rules(leads, "rep", {"create": "all", "read": "own"})
    make_lead(rep, name="mine")
    make_lead(other, name="theirs")

    page = query_records(session, rep, leads, RecordQuery())

    assert names(page) == ["mine"]
    assert page.total == 1


def test_subordinates_scope_covers_the_managed_department_subtree(session, leads, make_person, make_lead,
                                                                  make_department, rules):
    boss = make_person("manager")
    sales = make_department("Sales", manager=boss)
    east = make_department("East", parent=sales)
    elsewhere = make_department("Support")
    near, far, outsider = make_person(department=sales), make_person(department=east), \
        make_person(department=elsewhere)
    boss = make_person.reload(boss.user_id)
    rules(leads, "manager", {"create": "all", "read": "subordinates"})
    for owner, name in ((boss, "boss"), (near, "near"), (far, "far"), (outsider, "outsider")):
        make_lead(owner, name=name)

    assert listed(session, boss, leads) == ["boss", "far", "near"]


def test_team_scope_covers_the_department_of_the_user(session, leads, make_person, make_lead, make_department,
                                                      rules):
    sales, support = make_department("Sales"), make_department("Support")
    rep, mate, stranger = (make_person("rep", sales), make_person("rep", sales), make_person("rep", support))
    rep = make_person.reload(rep.user_id)  # the team is read when the actor is loaded
    rules(leads, "rep", {"create": "all", "read": "team"})
    make_lead(mate, name="mate")
    make_lead(stranger, name="stranger")

    assert listed(session, rep, leads) == ["mate"]


def test_condition_scope_uses_the_condition_tree(session, leads, make_person, make_lead, rules):
    rep = make_person("rep")
    rules(leads, "rep", {"read": {"condition": {"field": "amount", "op": "gte", "value": 100}}})
    make_lead(name="big", amount=500)
    make_lead(name="small", amount=5)

    assert listed(session, rep, leads) == ["big"]


def test_an_action_without_a_rule_is_refused(session, leads, make_person, make_lead, rules):
    rep = make_person("rep")
    rules(leads, "rep", {"read": "all"})
    lead = make_lead(name="x")

    with pytest.raises(Forbidden):
        create_record(session, rep, leads, {"name": "new"})
    with pytest.raises(Forbidden):
        delete_record(session, rep, leads, lead.id)


def test_update_scope_is_narrower_than_read_scope(session, leads, make_person, make_lead, rules):
    rep, other = make_person("rep"), make_person("rep")
    rules(leads, "rep", {"create": "all", "read": "all", "update": "own"})
    theirs = make_lead(other, name="theirs")

    assert get_record(session, rep, leads, theirs.id)["data"]["name"] == "theirs"
    with pytest.raises(NotFound):
        update_record(session, rep, leads, theirs.id, {"amount": 1}, 1)


def test_records_of_another_workspace_are_never_in_scope(session, leads, make_lead, make_workspace,
                                                        make_user):
    from formflow.permissions.actor import load_actor

    lead = make_lead(name="ours")
    elsewhere = make_workspace(name="Other")
    stranger = load_actor(session, make_user(elsewhere, role="admin"), elsewhere)

    assert not policy.can(stranger, "read", leads)
    assert session.scalars(select(lead.__class__.id).where(policy.scope_filter(stranger, leads))).all() == []


# --- field access ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("level", "readable", "writable", "masked"), [
    ("hidden", False, False, False),
    ("masked", False, False, True),
    ("read", True, False, False),
    ("write", True, True, False),
])
def test_field_levels_make_the_mask(leads, make_person, rules, level, readable, writable, masked):
    rep = make_person("rep")
    rules(leads, "rep", fields={"cost": level})

    mask = policy.field_mask(rep, leads, ["name", "cost"])

    assert (mask.can_read("cost"), mask.can_write("cost"), "cost" in mask.masked) == (readable, writable,
                                                                                      masked)
    assert mask.can_write("name")


def test_hidden_fields_are_not_returned_filtered_sorted_or_searched(session, leads, make_person, make_lead,
                                                                    rules):
    rep = make_person("rep")
    rules(leads, "rep", fields={"notes": "hidden", "cost": "hidden"})
    make_lead(name="Ada", notes="zebra secret", cost=7)

    item = query_records(session, rep, leads, RecordQuery()).items[0]

    assert "notes" not in item["data"] and "cost" not in item["data"]
    assert listed(session, rep, leads, search="zebra") == []
    with pytest.raises(ValidationFailed):
        query_records(session, rep, leads, RecordQuery(filter={"field": "cost", "op": "eq", "value": 7}))
    with pytest.raises(Exception) as refused:
        query_records(session, rep, leads, RecordQuery(sort=["cost"]))
    assert refused.value.code == "bad_sort"


def test_masked_phone_shows_only_its_mask(session, leads, make_person, make_lead, rules):
    rep = make_person("rep")
    rules(leads, "rep", fields={"phone": "masked", "email": "masked"})
    lead = make_lead(name="Ada", phone="13812345678", email="ada.lovelace@example.com")

    data = get_record(session, rep, leads, lead.id)["data"]

    assert data["phone"] == "138****5678"
    assert data["email"] == "a****@example.com"
    assert listed(session, rep, leads, search="13812345678") == []


def test_a_state_overrides_the_default_access(session, leads, make_person, make_lead, rules):
    rep = make_person("rep")
    rules(leads, "rep", fields={"amount": "write"})
    rules(leads, "rep", fields={"amount": "hidden"}, state="won")
    open_lead = make_lead(name="open", amount=5)
    won = make_lead(name="won", amount=9)
    session.execute(policy.Record.__table__.update().where(policy.Record.id == won.id).values(state="won"))
    session.commit()

    page = query_records(session, rep, leads, RecordQuery())
    items = {item["data"]["name"]: item["data"] for item in page.items}

    assert items["open"]["amount"] == 5 and "amount" not in items["won"]
    with pytest.raises(Exception) as refused:
        query_records(session, rep, leads, RecordQuery(sort=["amount"]))
    assert refused.value.code == "bad_sort"
    with pytest.raises(ValidationFailed):
        update_record(session, rep, leads, won.id, {"amount": 1}, won.version)
    assert update_record(session, rep, leads, open_lead.id, {"amount": 6}, 1).data["amount"] == 6


def test_revisions_leave_out_fields_the_state_hides(session, leads, make_person, make_lead, rules, admin):
    rep = make_person("rep")
    rules(leads, "rep", fields={"cost": "hidden"})
    lead = make_lead(name="x", cost=1)
    update_record(session, admin, leads, lead.id, {"cost": 2}, 1)
    update_record(session, admin, leads, lead.id, {"name": "y"}, 2)

    revisions = list_revisions(session, rep, leads, lead.id)

    assert all("cost" not in revision["diff"] for revision in revisions)
    assert [revision["action"] for revision in revisions] == ["update", "create"]


# --- refused writes -------------------------------------------------------------------------------


def codes(failure: ValidationFailed) -> dict[str, str]:
    return {error.field: error.code for error in failure.errors}


@pytest.mark.parametrize(("level", "code"), [("read", "read_only"), ("masked", "read_only"),
                                             ("hidden", "unknown_field")])
def test_a_write_to_a_field_the_role_may_not_write_is_403_naming_it(session, leads, make_person, make_lead,
                                                                   rules, level, code):
    rep = make_person("rep")
    rules(leads, "rep", fields={"cost": level})
    lead = make_lead(rep, name="mine")

    with pytest.raises(policy.FieldsRefused) as refused:
        update_record(session, rep, leads, lead.id, {"cost": 3}, 1)

    assert refused.value.status == 403 and refused.value.code == "field_forbidden"
    assert codes(refused.value) == {"cost": code}
    session.rollback()
    assert session.get(lead.__class__, lead.id).data.get("cost") is None


def test_refused_writes_are_audited_by_kind(session, leads, make_person, make_lead, rules):
    rep = make_person("rep")
    rules(leads, "rep", fields={"cost": "read"})
    lead = make_lead(rep, name="mine")

    for changes in ({"cost": 3}, {"owner": 1, "state": "won"}):
        with pytest.raises(policy.FieldsRefused):
            update_record(session, rep, leads, lead.id, changes, 1)

    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(entry.kind, entry.fields, entry.user_id) for entry in entries] == [
        ("field_refused", ["cost"], rep.user_id), ("mass_assignment", ["owner", "state"], rep.user_id)]


def test_a_field_refusal_is_still_a_validation_failure_with_field_errors():
    refused = policy.FieldsRefused([FieldError("cost", "read_only", "no")])

    assert isinstance(refused, ValidationFailed) and refused.detail == "cost"
