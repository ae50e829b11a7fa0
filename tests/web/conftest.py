"""Fixtures for page tests: CSRF-aware login with the test client, apps and forms, and the browser set."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from web_helpers import log_in

from browser_conftest import *  # noqa: F403 - the reusable browser fixtures (live_server, viewport...)
from formflow.accounts.models import User, Workspace
from formflow.apps.models import App
from formflow.forms.models import Form, FormVersion


@pytest.fixture
def logged_in(client: FlaskClient) -> Callable[[User], FlaskClient]:
    """Log ``user`` in on the test client and return the client."""

    def login(user: User) -> FlaskClient:
        response = log_in(client, user)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return login


@pytest.fixture
def make_app(session: Session) -> Callable[..., App]:
    """Install an app straight into ``workspace`` (no service: these tests are about pages)."""

    def make(workspace: Workspace, key: str = "crm", name: dict[str, str] | None = None,
             description: dict[str, str] | None = None) -> App:
        app = App(workspace_id=workspace.id, key=key, name=name or {"en": "Sales CRM", "zh-CN": "销售管理"},
                  description=description)
        session.add(app)
        session.commit()
        return app

    return make


@pytest.fixture
def make_form(session: Session) -> Callable[..., Form]:
    """Add a form to an app; ``published`` gives it a first version."""

    def make(app: App, key: str = "leads", name: dict[str, str] | None = None,
             published: bool = True) -> Form:
        definition = {"fields": [{"key": "name", "type": "text", "label": {"en": "Name", "zh-CN": "姓名"}}]}
        form = Form(workspace_id=app.workspace_id, app_id=app.id, key=key,
                    name=name or {"en": "Leads", "zh-CN": "线索"}, draft=definition)
        session.add(form)
        session.flush()
        if published:
            version = FormVersion(form_id=form.id, number=1, definition=definition,
                                  json_schema={"type": "object"})
            session.add(version)
            session.flush()
            form.current_version_id = version.id
        session.commit()
        return form

    return make
