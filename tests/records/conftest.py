"""Fixtures for the record service and queries: an app, published forms (through the forms service),
and a record factory (through the record service)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from formflow.apps.models import App
from formflow.apps.service import install_app
from formflow.forms import service as forms
from formflow.forms.models import Form
from formflow.permissions.actor import Actor
from formflow.records import hooks
from formflow.records.models import Record
from formflow.records.service import create_record

#: the fields most tests use: a lead with a unique email, an amount, a stage and notes
LEAD_FIELDS: list[dict[str, Any]] = [
    {"key": "name", "type": "text", "label": {"en": "Name", "zh-CN": "姓名"}, "required": True,
     "searchable": True},
    {"key": "email", "type": "email", "label": {"en": "Email"}, "unique": True},
    {"key": "amount", "type": "number", "label": {"en": "Amount"}, "indexed": True},
    {"key": "stage", "type": "select", "label": {"en": "Stage"},
     "options": [{"value": "new", "label": {"en": "New"}}, {"value": "won", "label": {"en": "Won"}}]},
    {"key": "notes", "type": "textarea", "label": {"en": "Notes"}},
]


def field(key: str, type_: str = "text", **attributes: Any) -> dict[str, Any]:
    """A field definition with an English label."""
    return {"key": key, "type": type_, "label": {"en": key.title()}, **attributes}


@pytest.fixture
def crm(session: Session, admin: Actor) -> App:
    """An empty app in the workspace."""
    return install_app(session, admin, "crm", "CRM")


@pytest.fixture
def make_form(session: Session, admin: Actor, crm: App) -> Callable[..., Form]:
    """Create and publish a form through the forms service; ``fields`` default to LEAD_FIELDS."""

    def make(fields: list[dict[str, Any]] | None = None, key: str = "leads", **definition: Any) -> Form:
        form = forms.create_form(session, admin, crm, key, {"en": key.title()},
                                 {"fields": fields if fields is not None else LEAD_FIELDS, **definition})
        forms.publish(session, admin, form, confirm=True)
        return form

    return make


@pytest.fixture
def republish(session: Session, admin: Actor) -> Callable[..., Form]:
    """Publish a new definition of ``form``."""

    def publish(form: Form, fields: list[dict[str, Any]], **definition: Any) -> Form:
        forms.save_draft(session, admin, form, {"fields": fields, **definition})
        forms.publish(session, admin, form, confirm=True)
        return form

    return publish


@pytest.fixture
def leads(make_form: Callable[..., Form]) -> Form:
    """The lead form, published."""
    return make_form()


@pytest.fixture
def make_record(session: Session, member: Actor) -> Callable[..., Record]:
    """Create a record through the service (as ``member`` unless ``actor`` is given)."""

    def make(form: Form, actor: Actor | None = None, **data: Any) -> Record:
        return create_record(session, actor or member, form, data)

    return make


@pytest.fixture
def no_hooks(monkeypatch: pytest.MonkeyPatch) -> tuple[list, list]:
    """Empty hook lists for the test (hooks appended in it vanish afterwards)."""
    monkeypatch.setattr(hooks, "before_write", [])
    monkeypatch.setattr(hooks, "after_write", [])
    return hooks.before_write, hooks.after_write


@pytest.fixture
def statements(session: Session) -> Iterator[list[str]]:
    """The SQL statements the session's engine runs while the test collects them."""
    collected: list[str] = []
    engine = session.get_bind()

    def collect(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        collected.append(statement)

    event.listen(engine, "before_cursor_execute", collect)
    yield collected
    event.remove(engine, "before_cursor_execute", collect)


@pytest.fixture
def hide_fields(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Make fields hidden (``hidden``) or read-only (``read_only``) for one actor, through the policy."""
    from formflow.permissions import policy

    original = policy.field_mask

    def restrict(actor: Actor, hidden: tuple[str, ...] = (), read_only: tuple[str, ...] = ()) -> None:
        def field_mask(who: Actor, form: Form, field_keys: list[str]) -> policy.FieldMask:
            mask = original(who, form, field_keys)
            if who.user_id != actor.user_id:
                return mask
            return policy.FieldMask(readable=mask.readable - set(hidden),
                                    writable=mask.writable - set(hidden) - set(read_only))

        monkeypatch.setattr(policy, "field_mask", field_mask)

    return restrict


@pytest.fixture
def own_records_only(monkeypatch: pytest.MonkeyPatch) -> Callable[[Actor], None]:
    """Limit one actor's scope to the records they own, through the policy."""
    from formflow.permissions import policy

    original = policy.scope_filter

    def restrict(actor: Actor) -> None:
        def scope_filter(who: Actor, form: Form, action: str = "read") -> Any:
            condition = original(who, form, action)
            return condition & (Record.owner_id == who.user_id) if who.user_id == actor.user_id else condition

        monkeypatch.setattr(policy, "scope_filter", scope_filter)

    return restrict


@pytest.fixture
def other_member(session: Session, make_user: Callable[..., Any], workspace: Any) -> Actor:
    """A second member of the workspace."""
    from formflow.permissions.actor import load_actor

    return load_actor(session, make_user(workspace, name="Grace"), workspace)
