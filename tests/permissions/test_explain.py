"""explain: why a user can or cannot see or change a record or a field, agreeing with the policy."""

from __future__ import annotations

from sqlalchemy import update

from formflow.permissions import pools
from formflow.permissions import service as permissions
from formflow.permissions.explain import explain
from formflow.records.models import Record


def test_an_admin_may_do_everything(leads, admin, make_lead):
    result = explain(admin, leads, make_lead(name="x"), "cost")

    assert all(result.decisions.values()) and result.field_level == "write"


def test_an_out_of_scope_record_is_explained(session, leads, make_person, make_lead, rules):
    rep, other = make_person("rep"), make_person("rep")
    rules(leads, "rep", {"create": "all", "read": "own", "update": "own"})
    theirs = make_lead(other, name="theirs")

    result = explain(rep, leads, theirs)

    assert result.decisions["read"] is False and result.decisions["update"] is False
    assert any("the records they own" in reason for reason in result.reasons)
    assert any("outside every scope" in reason for reason in result.reasons)


def test_an_own_record_is_readable_and_changeable(leads, make_person, make_lead, rules):
    rep = make_person("rep")
    rules(leads, "rep", {"create": "all", "read": "own", "update": "own"})

    result = explain(rep, leads, make_lead(rep, name="mine"))

    assert (result.decisions["read"], result.decisions["update"], result.decisions["delete"]) == (True, True,
                                                                                                   False)
    assert "The user owns this record." in result.reasons


def test_a_field_level_names_the_state_that_overrides_it(session, leads, make_person, make_lead, rules):
    rep = make_person("rep")
    rules(leads, "rep", fields={"cost": "read"})
    rules(leads, "rep", fields={"cost": "hidden"}, state="won")
    lead = make_lead(name="x")
    session.execute(update(Record).where(Record.id == lead.id).values(state="won"))
    session.commit()
    session.refresh(lead)

    result = explain(rep, leads, lead, "cost")

    assert result.field_level == "hidden"
    assert any("in the state won" in reason for reason in result.reasons)


def test_a_pooled_record_names_its_pool(session, admin, leads, make_person, make_lead, rules):
    rep = make_person("rep")
    rules(leads, "rep", {"read": "own"})
    permissions.create_pool(session, admin, leads, "east", {"en": "East"}, member_roles=["rep"])
    lead = pools.move_to_pool(session, admin, leads, make_lead(name="x").id, "east", "new")

    result = explain(rep, leads, lead)

    assert result.decisions["read"] is True
    assert any("pool East, which the user belongs to" in reason for reason in result.reasons)


def test_another_workspace_is_refused(leads, make_lead, make_workspace, make_user, session):
    from formflow.permissions.actor import load_actor

    other = make_workspace(name="Other")
    stranger = load_actor(session, make_user(other, role="admin"), other)

    result = explain(stranger, leads, make_lead(name="x"))

    assert not any(result.decisions.values())
