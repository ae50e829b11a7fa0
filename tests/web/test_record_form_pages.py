"""The record form pages with the test client: rendering, saving, errors kept inline, no JavaScript."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from record_form_fixtures import Crm, crm_fixture  # noqa: F401
from sqlalchemy import select
from sqlalchemy.orm import Session
from web_helpers import log_in

from formflow.records.models import Record

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_IDEMPOTENCY = re.compile(r'name="_idempotency_key" value="([^"]+)"')


@pytest.fixture
def browser(client: FlaskClient, crm: Crm) -> FlaskClient:
    """The test client logged in as the CRM's admin."""
    assert log_in(client, crm.user).status_code == 302
    return client


def page_tokens(client: FlaskClient, path: str) -> dict[str, str]:
    """The hidden inputs a form page hands out: CSRF token and idempotency key."""
    html = client.get(path).get_data(as_text=True)
    tokens = {"csrf_token": _TOKEN.search(html).group(1)}
    key = _IDEMPOTENCY.search(html)
    if key:
        tokens["_idempotency_key"] = key.group(1)
    return tokens


def post_form(client: FlaskClient, path: str, fields: dict[str, Any], **extra: Any) -> Any:
    """Post a record form as a browser without JavaScript would: every field's marker and value."""
    data: dict[str, Any] = {**page_tokens(client, path), "_fields": list(fields), **extra}
    data.update(fields)
    return client.post(path, data=data)


def stored(session: Session, form_id: int) -> list[dict[str, Any]]:
    session.expire_all()
    return [record.data for record in session.scalars(select(Record).where(Record.form_id == form_id))]


def test_new_lead_page_renders_every_field(browser: FlaskClient, crm: Crm) -> None:
    html = browser.get(crm.url(crm.leads)).get_data(as_text=True)
    for label in ("联系人", "手机号", "阶段", "无效原因", "所在地区"):
        assert label in html
