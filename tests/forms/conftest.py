"""Fixtures for form tests: an app, forms made and published through the service, records inserted
directly with the Record model (the record service is not under test here), a compiled zh_CN catalog."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy.orm import Session

from formflow import i18n
from formflow.apps.models import App
from formflow.apps.service import install_app
from formflow.db import utcnow
from formflow.fields.base import FieldContext
from formflow.forms import service as forms
from formflow.forms.models import Form
from formflow.permissions.actor import Actor
from formflow.records.models import Record


def field(key: str, type_: str = "text", **attributes: Any) -> dict[str, Any]:
    """A field definition with an English label (the key, titled)."""
    return {"key": key, "type": type_, "label": {"en": key.replace("_", " ").title()}, **attributes}


def definition(*fields: dict[str, Any], **rest: Any) -> dict[str, Any]:
    """A form definition of ``fields``."""
    return {"fields": list(fields), **rest}


@pytest.fixture
def crm(session: Session, admin: Actor) -> App:
    """An empty app "crm" in the workspace."""
    return install_app(session, admin, "crm", "CRM")


@pytest.fixture
def make_form(session: Session, admin: Actor, crm: App) -> Callable[..., Form]:
    """Create a form with ``fields`` and publish it (unless ``publish=False``)."""

    def make(*fields: dict[str, Any], key: str = "leads", publish: bool = True, **rest: Any) -> Form:
        form = forms.create_form(session, admin, crm, key, {"en": key.title()}, definition(*fields, **rest))
        if publish:
            forms.publish(session, admin, form)
        return form

    return make


@pytest.fixture
def republish(session: Session, admin: Actor) -> Callable[..., Any]:
    """Save ``fields`` as the draft of ``form`` and publish it."""

    def run(form: Form, *fields: dict[str, Any], confirm: bool = False, **rest: Any) -> Any:
        forms.save_draft(session, admin, form, definition(*fields, **rest))
        return forms.publish(session, admin, form, confirm=confirm)

    return run


@pytest.fixture
def insert_records(session: Session) -> Callable[..., list[Record]]:
    """Insert records of ``form`` straight into the table, one per data dict, and commit."""

    def insert(form: Form, *rows: dict[str, Any], deleted: bool = False) -> list[Record]:
        now = utcnow()
        records = [Record(workspace_id=form.workspace_id, app_id=form.app_id, form_id=form.id,
                          form_version_id=form.current_version_id, data=row, created_at=now, updated_at=now,
                          deleted_at=now if deleted else None)
                   for row in rows]
        session.add_all(records)
        session.commit()
        return records

    return insert


@pytest.fixture
def context() -> FieldContext:
    """An English field context."""
    return FieldContext(locale="en")


@pytest.fixture
def zh_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The zh_CN catalog compiled from messages.po into a temporary folder, used by formflow.i18n."""
    source = i18n.TRANSLATIONS_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po"
    target = tmp_path / "catalog" / "zh_CN" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with source.open("rb") as po_file:
        catalog = read_po(po_file, locale="zh_CN")
    with (target / "messages.mo").open("wb") as mo_file:
        write_mo(mo_file, catalog)
    monkeypatch.setattr(i18n, "TRANSLATIONS_DIR", tmp_path / "catalog")
    i18n._translations.cache_clear()
    yield
    i18n._translations.cache_clear()


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages in English unless a test asks for Chinese (the default locale is zh_CN)."""
    with i18n.use_locale("en"):
        yield
