"""Workspace isolation: ids of another workspace, guessed or enumerated, read nothing and write nothing,
through the API's every record route, search and relation references."""

from __future__ import annotations

import pytest

from formflow.accounts import tokens
from formflow.accounts.models import User
from formflow.apps.service import install_app
from formflow.forms import service as forms
from formflow.permissions.actor import load_actor
from formflow.records.models import Record

FIELDS = [{"key": "name", "type": "text", "label": {"en": "Name"}, "searchable": True},
          {"key": "customer", "type": "relation", "label": {"en": "Customer"}, "target_form": "customers",
           "display_field": "name"}]


@pytest.fixture
def stranger(session, make_workspace, make_user):
    """An admin of another workspace with the same app and forms, and a token."""
    other = make_workspace(name="Other")
    actor = load_actor(session, make_user(other, role="admin"), other)
    app = install_app(session, actor, "crm", "CRM")
    made = {}
    for key, fields in (("customers", FIELDS[:1]), ("leads", FIELDS)):
        form = forms.create_form(session, actor, app, key, {"en": key}, {"fields": fields})
        forms.publish(session, actor, form, confirm=True)
        made[key] = form
    token = tokens.create_token(session, session.get(User, actor.user_id), other, "t")[1]
    return made, {"Authorization": f"Bearer {token}"}


def test_enumerated_ids_of_another_workspace_are_all_not_found(session, client, leads, customers, make_lead,
                                                                stranger):
    ours = [make_lead(name=f"secret{index}x") for index in range(3)]
    their_forms, headers = stranger
    top = max(record.id for record in ours) + 2
    for form_id in (leads.id, customers.id, their_forms["leads"].id):
        for record_id in range(1, top):
            base = f"/api/v1/forms/{form_id}/records/{record_id}"
            for method, path, body in (("GET", base, None), ("GET", base + "/revisions", None),
                                       ("GET", base + "/comments", None),
                                       ("PATCH", base, {"data": {"name": "x"}, "version": 1}),
                                       ("DELETE", base, None), ("POST", base + "/restore", None),
                                       ("POST", base + "/comments", {"body": "hi"})):
                response = client.open(path, method=method, headers=headers, json=body)
                assert response.status_code == 404, (method, path, response.get_json())
    session.expire_all()
    assert all(session.get(Record, record.id).data["name"].startswith("secret") for record in ours)


def test_search_and_lists_never_cross_workspaces(client, leads, make_lead, stranger):
    make_lead(name="secret1x")
    their_forms, headers = stranger

    listed = client.get(f"/api/v1/forms/{their_forms['leads'].id}/records?search=secret1x", headers=headers)

    assert listed.get_json()["items"] == [] and listed.get_json()["total"] == 0
    assert client.get(f"/api/v1/forms/{leads.id}/records", headers=headers).status_code == 404


def test_a_relation_cannot_point_into_another_workspace(client, admin, session, customers, stranger):
    from formflow.records.service import create_record

    ours = create_record(session, admin, customers, {"name": "ACME"})
    their_forms, headers = stranger

    response = client.post(f"/api/v1/forms/{their_forms['leads'].id}/records", headers=headers,
                           json={"data": {"name": "x", "customer": ours.id}})

    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "customer"
