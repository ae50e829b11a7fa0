"""The apps service: install, find and list the apps of a workspace."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from formflow.accounts.models import Workspace
from formflow.apps.service import get_app, install_app, list_apps
from formflow.errors import Conflict, Forbidden, NotFound, ValidationFailed
from formflow.permissions.actor import Actor, load_actor


def test_install_app_stores_key_and_names(session: Session, admin: Actor) -> None:
    names = {"en": "CRM", "zh-CN": "客户管理"}
    app = install_app(session, admin, "crm", names)
    assert (app.workspace_id, app.key, app.name) == (admin.workspace_id, "crm", names)


def test_install_app_with_a_plain_name_uses_it_for_both_languages(session: Session, admin: Actor) -> None:
    assert install_app(session, admin, "crm", "CRM").name == {"en": "CRM", "zh-CN": "CRM"}


def test_install_app_is_for_admins(session: Session, member: Actor) -> None:
    with pytest.raises(Forbidden):
        install_app(session, member, "crm", "CRM")


@pytest.mark.parametrize("key", ["CRM", "1crm", "my app", "", "a" * 64])
def test_install_app_refuses_an_invalid_key(session: Session, admin: Actor, key: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        install_app(session, admin, key, "CRM")
    assert [error.field for error in raised.value.errors] == ["key"]


def test_install_app_refuses_a_taken_key(session: Session, admin: Actor) -> None:
    install_app(session, admin, "crm", "CRM")
    with pytest.raises(Conflict) as raised:
        install_app(session, admin, "crm", "CRM 2")
    assert raised.value.code == "duplicate_key"


def test_get_app_finds_it_by_key(session: Session, admin: Actor) -> None:
    app = install_app(session, admin, "crm", "CRM")
    assert get_app(session, admin, "crm").id == app.id


def test_get_app_of_another_workspace_is_not_found(
        session: Session, admin: Actor, make_workspace: Callable[..., Workspace],
        make_user: Callable[..., object]) -> None:
    install_app(session, admin, "crm", "CRM")
    other = make_workspace(name="Other")
    stranger = load_actor(session, make_user(other, role="admin"), other)
    with pytest.raises(NotFound):
        get_app(session, stranger, "crm")


def test_list_apps_lists_the_workspace_apps_by_key(session: Session, admin: Actor) -> None:
    install_app(session, admin, "sales", "Sales")
    install_app(session, admin, "crm", "CRM")
    assert [app.key for app in list_apps(session, admin)] == ["crm", "sales"]
