"""The audit log through the API: what is logged (refused fields, mass-assignment, other workspaces' ids,
forged and revoked tokens, refused actions) and who may read it (admins, GET /api/v1/audit)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from formflow.accounts import tokens
from formflow.accounts.models import ApiToken, User
from formflow.db import utcnow
from formflow.permissions import audit
from formflow.permissions.models import AuditEntry

PREFIX = "/api/v1"


@pytest.fixture
def call(client) -> Callable[..., Any]:
    """``call(method, path, token, json=None)`` against /api/v1."""

    def request(method: str, path: str, token: str | None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return client.open(PREFIX + path, method=method, headers=headers, **kwargs)

    return request


@pytest.fixture
def token_of(session, workspace) -> Callable[..., str]:
    def make(actor) -> str:
        return tokens.create_token(session, session.get(User, actor.user_id), workspace, "tests")[1]

    return make


def kinds(session) -> list[tuple[str, list[str]]]:
    session.rollback()
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id))
    return [(entry.kind, entry.fields) for entry in entries]


def test_a_refused_field_write_is_403_naming_the_field_and_logged(session, call, token_of, leads, make_person,
                                                                  make_lead, rules):
    rep = make_person("rep")
    lead = make_lead(rep, name="mine", cost=1)
    rules(leads, "rep", fields={"cost": "read"})

    response = call("PATCH", f"/forms/{leads.id}/records/{lead.id}", token_of(rep),
                    json={"data": {"cost": 9}, "version": 1})

    body = response.get_json()
    assert response.status_code == 403 and body["code"] == "field_forbidden"
    assert body["errors"][0]["field"] == "cost"
    assert kinds(session) == [("field_refused", ["cost"])]
    assert session.get(type(lead), lead.id).data["cost"] == 1


def test_mass_assignment_of_system_fields_is_refused_and_logged(session, call, token_of, leads, make_person):
    rep = make_person()

    response = call("POST", f"/forms/{leads.id}/records", token_of(rep),
                    json={"data": {"name": "x", "owner": 1, "created_by": 1}})

    assert response.status_code == 403
    assert {error["field"] for error in response.get_json()["errors"]} == {"owner", "created_by"}
    assert kinds(session) == [("mass_assignment", ["created_by", "owner"])]


def test_an_id_of_another_workspace_is_not_found_and_logged(session, call, token_of, leads, make_lead,
                                                            make_workspace, make_user):
    from formflow.permissions.actor import load_actor

    lead = make_lead(name="ours")
    other = make_workspace(name="Other")
    stranger = load_actor(session, make_user(other, role="admin"), other)
    token = tokens.create_token(session, session.get(User, stranger.user_id), other, "t")[1]
    foreign_form = _a_form_of(session, stranger, other)

    response = call("GET", f"/forms/{foreign_form.id}/records/{lead.id}", token)

    assert response.status_code == 404
    assert kinds(session) == [("cross_workspace", [])]
    entry = session.scalar(select(AuditEntry))
    assert (entry.workspace_id, entry.record_id) == (other.id, lead.id)


def _a_form_of(session, actor, workspace):
    from formflow.apps.service import install_app
    from formflow.forms import service as forms

    app = install_app(session, actor, "other", "Other")
    form = forms.create_form(session, actor, app, "things", {"en": "Things"},
                             {"fields": [{"key": "name", "type": "text", "label": {"en": "Name"}}]})
    forms.publish(session, actor, form, confirm=True)
    return form


def test_a_forged_token_is_401_and_logged_without_a_workspace(session, call):
    response = call("GET", "/workspace", "ff_" + "x" * 43)

    assert response.status_code == 401
    entry = session.scalar(select(AuditEntry))
    assert (entry.kind, entry.workspace_id, entry.detail["prefix"]) == ("invalid_token", None, "ff_xxxxxxx")


def test_a_revoked_token_is_401_and_logged_for_its_workspace(session, call, token_of, member, workspace):
    token = token_of(member)
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == tokens.hash_token(token)))
    row.revoked_at = utcnow()
    session.commit()

    response = call("GET", "/workspace", token)

    assert response.status_code == 401
    entry = session.scalar(select(AuditEntry))
    assert (entry.kind, entry.workspace_id, entry.user_id) == ("revoked_token", workspace.id, member.user_id)


def test_a_refused_action_is_logged(session, call, token_of, leads, make_person, rules):
    rep = make_person("rep")
    rules(leads, "rep", {"read": "own"})

    response = call("POST", f"/forms/{leads.id}/records", token_of(rep), json={"data": {"name": "x"}})

    assert response.status_code == 403
    entry = session.scalar(select(AuditEntry))
    assert (entry.kind, entry.detail) == ("forbidden_action", {"action": "create"})


def test_admins_read_the_log_newest_first_by_kind_and_page(session, call, token_of, admin, member):
    for kind in ("field_refused", "mass_assignment", "field_refused"):
        audit.record(session, member, kind, fields=["cost"])

    first = call("GET", "/audit?kind=field_refused&limit=1", token_of(admin)).get_json()
    second = call("GET", f"/audit?kind=field_refused&limit=1&before={first['next_before']}",
                  token_of(admin)).get_json()

    assert [item["kind"] for item in first["items"] + second["items"]] == ["field_refused", "field_refused"]
    assert first["items"][0]["id"] > second["items"][0]["id"]
    assert first["items"][0]["user"] == member.user_id


def test_members_may_not_read_the_log(call, token_of, member):
    assert call("GET", "/audit", token_of(member)).status_code == 403


def test_admins_see_only_their_workspace(session, call, token_of, admin, make_workspace):
    audit.record(session, audit.Subject(make_workspace(name="Other").id, None), "field_refused")

    assert call("GET", "/audit", token_of(admin)).get_json()["items"] == []


def test_the_audit_endpoint_is_in_the_openapi_document(client):
    document = client.get(f"{PREFIX}/openapi.json").get_json()

    assert "get" in document["paths"]["/audit"]
    assert "AuditEntry" in document["components"]["schemas"]


def test_an_entry_survives_the_rollback_of_the_refused_write(session, member):
    session.rollback()
    with pytest.raises(RuntimeError), session.begin():
        audit.record(session, member, "field_refused", fields=["cost"])
        raise RuntimeError("the write fails")

    assert kinds(session) == [("field_refused", ["cost"])]
