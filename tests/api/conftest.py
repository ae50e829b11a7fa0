"""API fixtures: a bearer token for an admin and a member, and a client that sends it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api_helpers import LEADS_DEFINITION, ApiClient
from formflow.accounts import tokens
from formflow.accounts.models import User, Workspace


@pytest.fixture
def admin_user(make_user: Callable[..., User], workspace: Workspace) -> User:
    return make_user(workspace, role="admin", name="Api Admin")


@pytest.fixture
def member_user(make_user: Callable[..., User], workspace: Workspace) -> User:
    return make_user(workspace, role="member", name="Api Member")


@pytest.fixture
def make_token(session: Session) -> Callable[[User, Workspace], str]:
    def make(user: User, workspace: Workspace, name: str = "tests") -> str:
        return tokens.create_token(session, user, workspace, name)[1]

    return make


@pytest.fixture
def api(client: FlaskClient, make_token, admin_user: User, workspace: Workspace) -> ApiClient:
    """An API client acting as a workspace admin."""
    return ApiClient(client, make_token(admin_user, workspace))


@pytest.fixture
def member_api(client: FlaskClient, make_token, member_user: User, workspace: Workspace) -> ApiClient:
    """An API client acting as a plain member."""
    return ApiClient(client, make_token(member_user, workspace))


@pytest.fixture
def anonymous_api(client: FlaskClient) -> ApiClient:
    return ApiClient(client, None)


@pytest.fixture
def other_api(client: FlaskClient, make_token, make_user, make_workspace) -> ApiClient:
    """An admin of another workspace."""
    other = make_workspace(name="Other")
    return ApiClient(client, make_token(make_user(other, role="admin", name="Stranger"), other))


@pytest.fixture
def app_key(api: ApiClient) -> str:
    assert api.post("/apps", json={"key": "crm", "name": "CRM"}).status_code == 201
    return "crm"


@pytest.fixture
def form_id(api: ApiClient, app_key: str) -> int:
    """A published 'leads' form (name, amount, stage, email)."""
    response = api.post(f"/apps/{app_key}/forms", json={"key": "leads", "name": "Leads",
                                                         "definition": LEADS_DEFINITION})
    assert response.status_code == 201, response.get_json()
    form = response.get_json()["id"]
    assert api.post(f"/forms/{form}/publish", json={}).status_code == 201
    return form


@pytest.fixture
def make_record(api: ApiClient, form_id: int) -> Callable[..., dict]:
    def make(**data: object) -> dict:
        response = api.post(f"/forms/{form_id}/records", json={"data": {"name": "ACME", **data}})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return make
