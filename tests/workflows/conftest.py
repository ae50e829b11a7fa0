"""Workflow fixtures: the CRM's lead form and lead lifecycle, published through the services, and API
clients for an admin and two members."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from workflow_helpers import LEAD_FIELDS, LEAD_WORKFLOW

from api_helpers import ApiClient
from formflow.accounts import tokens
from formflow.accounts.models import User, Workspace
from formflow.apps.models import App
from formflow.apps.service import install_app
from formflow.forms import service as forms
from formflow.forms.models import Form
from formflow.permissions.actor import Actor, load_actor
from formflow.records.models import Record
from formflow.records.service import create_record
from formflow.workflows import service as workflows
from formflow.workflows.models import WorkflowVersion


@pytest.fixture
def crm(session: Session, admin: Actor) -> App:
    return install_app(session, admin, "crm", "CRM")


@pytest.fixture
def leads(session: Session, admin: Actor, crm: App) -> Form:
    """The lead form, published, without a workflow."""
    form = forms.create_form(
        session, admin, crm, "leads", {"en": "Leads", "zh-CN": "线索"}, {"fields": copy.deepcopy(LEAD_FIELDS)}
    )
    forms.publish(session, admin, form, confirm=True)
    return form


@pytest.fixture
def publish_workflow(session: Session, admin: Actor) -> Callable[..., WorkflowVersion]:
    """Save ``definition`` as the form's workflow draft and publish it."""

    def publish(form: Form, definition: dict[str, Any] | None = None) -> WorkflowVersion:
        workflows.save_draft(session, admin, form, copy.deepcopy(definition or LEAD_WORKFLOW))
        return workflows.publish(session, admin, form)

    return publish


@pytest.fixture
def lead_workflow(leads: Form, publish_workflow: Callable[..., WorkflowVersion]) -> WorkflowVersion:
    """The lead lifecycle, published on the lead form."""
    return publish_workflow(leads)


@pytest.fixture
def make_lead(session: Session, member: Actor, leads: Form) -> Callable[..., Record]:
    """Create a lead through the record service (as ``member`` unless ``actor`` is given)."""

    def make(actor: Actor | None = None, **data: Any) -> Record:
        return create_record(session, actor or member, leads, {"name": "ACME", **data})

    return make


@pytest.fixture
def other_member(session: Session, make_user: Callable[..., User], workspace: Workspace) -> Actor:
    return load_actor(session, make_user(workspace, name="Grace"), workspace)


@pytest.fixture
def make_api(client: FlaskClient, session: Session) -> Callable[[User, Workspace], ApiClient]:
    def make(user: User, workspace: Workspace) -> ApiClient:
        return ApiClient(client, tokens.create_token(session, user, workspace, "tests")[1])

    return make


@pytest.fixture
def admin_api(make_api, make_user, workspace: Workspace) -> ApiClient:
    return make_api(make_user(workspace, role="admin", name="Boss"), workspace)


@pytest.fixture
def rep_api(make_api, make_user, workspace: Workspace) -> ApiClient:
    return make_api(make_user(workspace, role="member", name="Rep"), workspace)
