"""Fixtures for the policy: an app with a customers form and a leads form (relation, phone, money,
notes), people with app roles and departments, and records owned by whom a test says."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from formflow.accounts.models import Department, Workspace
from formflow.apps.models import App
from formflow.apps.service import install_app
from formflow.forms import service as forms
from formflow.forms.models import Form
from formflow.permissions import policy
from formflow.permissions import service as permissions
from formflow.permissions.actor import Actor, load_actor
from formflow.records.models import Record
from formflow.records.service import create_record

CUSTOMER_FIELDS: list[dict[str, Any]] = [
    {"key": "name", "type": "text", "label": {"en": "Name"}, "required": True, "searchable": True},
    {"key": "phone", "type": "phone", "label": {"en": "Phone"}},
]
LEAD_FIELDS: list[dict[str, Any]] = [
    {"key": "name", "type": "text", "label": {"en": "Name"}, "required": True, "searchable": True,
     "indexed": True},
    {"key": "phone", "type": "phone", "label": {"en": "Phone"}, "searchable": True},
    {"key": "email", "type": "email", "label": {"en": "Email"}},
    {"key": "amount", "type": "number", "label": {"en": "Amount"}, "indexed": True},
    {"key": "cost", "type": "number", "label": {"en": "Cost"}},
    {"key": "notes", "type": "textarea", "label": {"en": "Notes"}, "searchable": True},
    {"key": "stage", "type": "select", "label": {"en": "Stage"},
     "options": [{"value": "new", "label": {"en": "New"}}, {"value": "won", "label": {"en": "Won"}}]},
    {"key": "customer", "type": "relation", "label": {"en": "Customer"}, "target_form": "customers",
     "display_field": "name"},
]
_names = itertools.count()


@pytest.fixture(autouse=True)
def fresh_rules() -> None:
    """Every test starts without cached rules (form ids repeat across test databases)."""
    policy._RULES.clear()  # noqa: SLF001 - the cache is process-wide


@pytest.fixture
def crm(session: Session, admin: Actor) -> App:
    return install_app(session, admin, "crm", "CRM")


@pytest.fixture
def make_form(session: Session, admin: Actor, crm: App) -> Callable[..., Form]:
    def make(key: str, fields: list[dict[str, Any]]) -> Form:
        form = forms.create_form(session, admin, crm, key, {"en": key.title()}, {"fields": fields})
        forms.publish(session, admin, form, confirm=True)
        return form

    return make


@pytest.fixture
def customers(make_form: Callable[..., Form]) -> Form:
    return make_form("customers", CUSTOMER_FIELDS)


@pytest.fixture
def leads(make_form: Callable[..., Form], customers: Form) -> Form:
    return make_form("leads", LEAD_FIELDS)


@pytest.fixture
def make_department(session: Session, workspace: Workspace) -> Callable[..., Department]:
    def make(name: str, parent: Department | None = None, manager: Actor | None = None) -> Department:
        department = Department(workspace_id=workspace.id, name=name,
                                parent_id=parent.id if parent is not None else None,
                                manager_id=manager.user_id if manager is not None else None)
        session.add(department)
        session.commit()
        return department

    return make


@pytest.fixture
def make_person(session: Session, make_user: Callable[..., Any], workspace: Workspace, admin: Actor,
                crm: App) -> Callable[..., Actor]:
    """A member with an app role (default ``member``) and a department; returns the loaded actor."""

    def make(app_role: str = "member", department: Department | None = None, name: str | None = None,
             role: str = "member") -> Actor:
        user = make_user(workspace, role=role, name=name or f"Person {next(_names)}",
                         department_id=department.id if department is not None else None)
        if app_role != "member":
            if app_role not in permissions.roles_of(session, crm):
                permissions.create_role(session, admin, crm, app_role, {"en": app_role.title()})
            permissions.assign_role(session, admin, crm, user.id, app_role)
        return reload(user.id)

    def reload(user_id: int) -> Actor:
        from formflow.accounts.models import User

        actor = load_actor(session, session.get(User, user_id), workspace)
        assert actor is not None
        return actor

    make.reload = reload  # type: ignore[attr-defined]
    return make


@pytest.fixture
def make_lead(session: Session, admin: Actor, leads: Form) -> Callable[..., Record]:
    """A lead created by ``owner`` (default: the admin), with a name and any other values."""

    def make(owner: Actor | None = None, **data: Any) -> Record:
        return create_record(session, owner or admin, leads, {"name": f"Lead {next(_names)}", **data})

    return make


@pytest.fixture
def rules(session: Session, admin: Actor, crm: App) -> Callable[..., None]:
    """Set a role's grants (``{action: scope}``) and field levels on a form through the service
    (creating the role when the app has none of that name)."""

    def set_rules(form: Form, role: str, grants: dict[str, Any] | None = None,
                  fields: dict[str, str] | None = None, state: str = "") -> None:
        if role not in permissions.roles_of(session, crm):
            permissions.create_role(session, admin, crm, role, {"en": role.title()})
        if grants is not None:
            permissions.set_permissions(session, admin, form, role, grants)
        if fields:
            permissions.set_field_access(session, admin, form, role, fields, state=state)

    return set_rules
