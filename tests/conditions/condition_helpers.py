"""Shared by the condition tests: the vectors file, its fields, and records in a real database."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from formflow.accounts.models import User, Workspace
from formflow.apps.models import App
from formflow.conditions.context import EvaluationContext
from formflow.conditions.kinds import parse_datetime
from formflow.conditions.sql import Column, compile, record_columns
from formflow.conditions.tree import Condition
from formflow.fields.base import Field
from formflow.forms.models import Form, FormVersion
from formflow.records.models import Record

VECTORS_PATH = Path(__file__).with_name("vectors.json")
#: keys of a vectors.json field that document it for other evaluators and are not definition attributes
DOCUMENTATION_KEYS = ("kind", "comment")
#: users that exist in the test database (owner, created_by and updated_by point at users)
USER_IDS = range(1, 21)
#: record data keys stored in the records table's own columns, and the column each goes to
SYSTEM_ATTRIBUTES = {"id": "id", "owner": "owner_id", "state": "state", "created_at": "created_at",
                     "updated_at": "updated_at", "created_by": "created_by_id", "updated_by": "updated_by_id"}


@cache
def vectors_file() -> dict[str, Any]:
    """The parsed vectors.json."""
    return json.loads(VECTORS_PATH.read_text(encoding="utf-8"))


def vectors() -> list[dict[str, Any]]:
    """Every vector, in file order."""
    return vectors_file()["vectors"]


def definition(field: dict[str, Any]) -> dict[str, Any]:
    """A vectors.json field as a form field definition."""
    return {key: value for key, value in field.items() if key not in DOCUMENTATION_KEYS}


def vector_fields() -> dict[str, Field]:
    """The vectors' fields as Field objects (real field types), by key."""
    return {field["key"]: Field(definition(field)) for field in vectors_file()["fields"]}


def context_of(vector: dict[str, Any]) -> EvaluationContext:
    """A vector's evaluation context."""
    return EvaluationContext.from_json(vector["context"])


class RecordStore:
    """Records of one form in a real database, queried through the SQL evaluator."""

    def __init__(self, session: Session, fields: dict[str, Field]) -> None:
        self.session = session
        self.fields = fields
        existing = set(session.scalars(select(User.id)))
        session.add_all(User(id=user_id, email=f"condition{user_id}@example.com", name=f"User {user_id}")
                        for user_id in USER_IDS if user_id not in existing)
        workspace = Workspace(name="Conditions", slug=f"conditions-{len(existing)}")
        session.add(workspace)
        session.flush()
        app = App(workspace_id=workspace.id, key="crm", name={"en": "CRM"})
        session.add(app)
        session.flush()
        definitions = [field.definition for field in fields.values()]
        form = Form(workspace_id=workspace.id, app_id=app.id, key="deals", name={"en": "Deals"},
                    draft={"fields": definitions})
        session.add(form)
        session.flush()
        version = FormVersion(form_id=form.id, number=1, definition={"fields": definitions}, json_schema={})
        session.add(version)
        session.commit()
        self.workspace_id, self.app_id = workspace.id, app.id
        self.form_id, self.version_id = form.id, version.id
        dialect_name = session.get_bind().dialect.name
        self.columns: dict[str, Column] = record_columns(fields.values(), dialect_name)

    def insert(self, data: dict[str, Any], record_id: int | None = None) -> int:
        """Store a record whose values (system fields included) are ``data``; its id."""
        attributes: dict[str, Any] = {}
        record_data = {}
        for key, value in data.items():
            if key in SYSTEM_ATTRIBUTES:
                attributes[SYSTEM_ATTRIBUTES[key]] = _system_value(key, value)
            else:
                record_data[key] = value
        if record_id is not None and "id" not in attributes:
            attributes["id"] = record_id
        record = Record(workspace_id=self.workspace_id, app_id=self.app_id, form_id=self.form_id,
                        form_version_id=self.version_id, data=record_data, **attributes)
        self.session.add(record)
        self.session.flush()
        return record.id

    def matching(self, condition: Condition, context: EvaluationContext, among: list[int]) -> set[int]:
        """Ids of the records in ``among`` the SQL evaluator says satisfy ``condition``."""
        clause = compile(condition, self.columns, context)
        return set(self.session.scalars(select(Record.id).where(Record.id.in_(among), clause)))


def _system_value(key: str, value: Any) -> Any:
    if key in ("created_at", "updated_at"):
        parsed = parse_datetime(value)
        if parsed is None:
            raise ValueError(f"{key} in a vector must be an ISO 8601 instant, not {value!r}")
        return parsed
    return value


def utc(text: str) -> datetime:
    """An ISO 8601 instant as an aware datetime."""
    parsed = parse_datetime(text)
    assert parsed is not None, text
    return parsed
