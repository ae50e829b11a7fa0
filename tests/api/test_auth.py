"""Authentication: bearer tokens for everything, the browser session only for same-origin reads."""

from __future__ import annotations

import pytest

from api_helpers import ApiClient, assert_problem
from formflow.accounts import tokens


def test_a_valid_token_reaches_the_workspace(api):
    response = api.get("/workspace")
    assert response.status_code == 200
    assert response.get_json()["role"] == "admin"


def test_missing_token_is_401_with_a_bearer_challenge(anonymous_api):
    response = anonymous_api.get("/workspace")
    body = assert_problem(response, 401, "unauthorized")
    assert body["reason"] == "missing_token"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="formflow"'


@pytest.mark.parametrize("header", [
    "Bearer ff_forged0000000000000000000000000000000000000",
    "Bearer not-even-our-format",
    "Bearer " + "ff_" + "a" * 1000,
])
def test_forged_token_is_401_invalid_token(client, header):
    response = client.get("/api/v1/workspace", headers={"Authorization": header})
    body = assert_problem(response, 401, "unauthorized")
    assert body["reason"] == "invalid_token"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "Token ff_abc"])
def test_malformed_authorization_is_401_invalid_request(client, header):
    response = client.get("/api/v1/workspace", headers={"Authorization": header})
    assert assert_problem(response, 401, "unauthorized")["reason"] == "invalid_request"


def test_revoked_token_is_401(client, session, admin_user, workspace):
    token, plaintext = tokens.create_token(session, admin_user, workspace, "soon revoked")
    tokens.revoke_token(session, token.id)
    assert_problem(ApiClient(client, plaintext).get("/workspace"), 401, "unauthorized")


def test_deactivated_users_token_is_401(client, session, admin_user, workspace, make_token):
    plaintext = make_token(admin_user, workspace)
    admin_user.is_active = False
    session.commit()
    assert_problem(ApiClient(client, plaintext).get("/workspace"), 401, "unauthorized")


def test_unauthenticated_write_is_401_and_writes_nothing(anonymous_api, api):
    response = anonymous_api.post("/apps", json={"key": "crm", "name": "CRM"})
    assert_problem(response, 401, "unauthorized")
    assert api.get("/apps").get_json()["items"] == []


def test_openapi_document_needs_no_token(anonymous_api):
    assert anonymous_api.get("/openapi.json").status_code == 200


def _login(client, user) -> None:
    with client.session_transaction() as browser_session:
        browser_session["_user_id"] = str(user.id)
        browser_session["_fresh"] = True


def test_browser_session_reads_when_it_names_its_workspace(client, admin_user, workspace):
    _login(client, admin_user)
    response = client.get("/api/v1/workspace", headers={"X-Formflow-Workspace": workspace.slug,
                                                        "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 200
    assert response.get_json()["slug"] == workspace.slug


def test_browser_session_without_workspace_header_is_401(client, admin_user):
    _login(client, admin_user)
    assert_problem(client.get("/api/v1/workspace"), 401, "unauthorized")


def test_browser_session_from_another_site_is_401(client, admin_user, workspace):
    _login(client, admin_user)
    response = client.get("/api/v1/workspace", headers={"X-Formflow-Workspace": workspace.slug,
                                                        "Sec-Fetch-Site": "cross-site"})
    assert_problem(response, 401, "unauthorized")


def test_browser_session_cannot_write(client, admin_user, workspace):
    _login(client, admin_user)
    response = client.post("/api/v1/apps", json={"key": "crm", "name": "CRM"},
                           headers={"X-Formflow-Workspace": workspace.slug})
    assert_problem(response, 401, "unauthorized")


def test_browser_session_for_a_foreign_workspace_is_401(client, admin_user, make_workspace):
    _login(client, admin_user)
    other = make_workspace(name="Other")
    response = client.get("/api/v1/workspace", headers={"X-Formflow-Workspace": other.slug})
    assert_problem(response, 401, "unauthorized")
