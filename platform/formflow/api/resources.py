"""What the API returns: each resource's JSON Schema (an OpenAPI component) next to its renderer.

A renderer turns a model (or a service's result) into the JSON its schema describes; the schemathesis
suite checks every answer against these schemas, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from formflow.accounts.models import User, Workspace
from formflow.api.definition import KEY_SCHEMA, api
from formflow.apps.models import App
from formflow.forms.models import Form, FormVersion
from formflow.permissions.actor import Actor

PROBLEM = {"$ref": "#/components/schemas/Problem"}
DATETIME = {"type": "string", "format": "date-time"}
NULLABLE_DATETIME = {"type": ["string", "null"], "format": "date-time"}
ID = {"type": "integer", "minimum": 1}
NULLABLE_ID = {"type": ["integer", "null"], "minimum": 1}
LABELS = api.component("Labels", {
    "description": "Text per language; a plain string means the same text in every language.",
    "oneOf": [
        {"type": "string", "minLength": 1, "maxLength": 200},
        {"type": "object", "minProperties": 1, "additionalProperties": False,
         "properties": {"zh-CN": {"type": "string", "maxLength": 200},
                        "en": {"type": "string", "maxLength": 200}}},
    ],
})
STORED_LABELS = {"type": ["object", "null"], "additionalProperties": {"type": "string"}}


def timestamp(value: datetime | None) -> str | None:
    """A UTC datetime as ISO 8601 with ``Z``."""
    return None if value is None else value.isoformat().replace("+00:00", "Z")


WORKSPACE = api.component("Workspace", {
    "type": "object",
    "required": ["id", "slug", "name", "timezone", "locale", "role", "user"],
    "properties": {
        "id": ID, "slug": {"type": "string"}, "name": {"type": "string"},
        "timezone": {"type": "string"}, "locale": {"type": "string"},
        "role": {"type": "string", "description": "The token user's role here."},
        "user": {"type": "object", "required": ["id", "name", "email"],
                 "properties": {"id": ID, "name": {"type": "string"}, "email": {"type": "string"}}},
    },
})


def render_workspace(workspace: Workspace, user: User, actor: Actor) -> dict[str, Any]:
    """The token's workspace and who the token acts as."""
    return {"id": workspace.id, "slug": workspace.slug, "name": workspace.name,
            "timezone": workspace.timezone, "locale": workspace.locale, "role": actor.role,
            "user": {"id": user.id, "name": user.name, "email": user.email}}


APP = api.component("App", {
    "type": "object",
    "required": ["id", "key", "name", "description", "created_at"],
    "properties": {"id": ID, "key": KEY_SCHEMA, "name": STORED_LABELS, "description": STORED_LABELS,
                   "created_at": DATETIME},
})
APP_LIST = api.component("AppList", {"type": "object", "required": ["items"],
                                     "properties": {"items": {"type": "array", "items": APP}}})
NEW_APP = api.component("NewApp", {
    "type": "object",
    "required": ["key", "name"],
    "properties": {"key": KEY_SCHEMA, "name": LABELS,
                   "description": {"oneOf": [LABELS, {"type": "null"}]}},
    "additionalProperties": False,
})


def render_app(app: App) -> dict[str, Any]:
    """An installed app."""
    return {"id": app.id, "key": app.key, "name": app.name, "description": app.description,
            "created_at": timestamp(app.created_at)}


FORM_DEFINITION = api.component("FormDefinition", {
    "type": "object",
    "description": "Fields, layout and title field (docs/internals.md, 'Form definition'); the form "
                   "service checks every attribute and answers 422 with one error per problem.",
    "required": ["fields"],
    "properties": {
        "fields": {"type": "array", "items": {"type": "object", "required": ["key", "type", "label"],
                                              "properties": {"key": KEY_SCHEMA, "type": {"type": "string"}}}},
        "layout": {"type": ["object", "null"]},
        "title_field": {"type": ["string", "null"]},
    },
})
FORM = api.component("Form", {
    "type": "object",
    "required": ["id", "app", "key", "name", "current_version", "draft_updated_at", "created_at"],
    "properties": {
        "id": ID, "app": KEY_SCHEMA, "key": KEY_SCHEMA, "name": STORED_LABELS,
        "current_version": {"type": ["integer", "null"], "minimum": 1,
                            "description": "Number of the published version records use; null before "
                                           "the first publish."},
        "draft": FORM_DEFINITION,
        "draft_updated_at": DATETIME, "created_at": DATETIME,
    },
})
FORM_LIST = api.component("FormList", {"type": "object", "required": ["items"],
                                       "properties": {"items": {"type": "array", "items": FORM}}})
NEW_FORM = api.component("NewForm", {
    "type": "object",
    "required": ["key", "name"],
    "properties": {"key": KEY_SCHEMA, "name": LABELS, "definition": FORM_DEFINITION},
    "additionalProperties": False,
})
DRAFT = api.component("Draft", {
    "type": "object", "required": ["definition"],
    "properties": {"definition": FORM_DEFINITION}, "additionalProperties": False,
})
PUBLISH = api.component("Publish", {
    "type": "object",
    "properties": {"confirm": {"type": "boolean", "default": False,
                               "description": "Publish even when the impact check lists problems."}},
    "additionalProperties": False,
})


def render_form_summary(form: Form, app_key: str, current_version: int | None) -> dict[str, Any]:
    """A form as lists show it: without its draft."""
    return {"id": form.id, "app": app_key, "key": form.key, "name": form.name,
            "current_version": current_version, "draft_updated_at": timestamp(form.draft_updated_at),
            "created_at": timestamp(form.created_at)}


def render_form(form: Form, app_key: str, current_version: int | None) -> dict[str, Any]:
    """A form with the definition being edited."""
    return {**render_form_summary(form, app_key, current_version), "draft": form.draft}


FORM_VERSION = api.component("FormVersion", {
    "type": "object",
    "required": ["id", "form", "number", "published_at", "published_by"],
    "properties": {
        "id": ID, "form": ID, "number": {"type": "integer", "minimum": 1},
        "definition": FORM_DEFINITION,
        "json_schema": {"type": "object", "description": "JSON Schema (2020-12) of the record data."},
        "published_at": DATETIME, "published_by": NULLABLE_ID,
    },
})
FORM_VERSION_LIST = api.component("FormVersionList", {
    "type": "object", "required": ["items"],
    "properties": {"items": {"type": "array", "items": FORM_VERSION}}})


def render_version_summary(version: FormVersion) -> dict[str, Any]:
    """A published version as lists show it: who and when."""
    return {"id": version.id, "form": version.form_id, "number": version.number,
            "published_at": timestamp(version.published_at), "published_by": version.published_by_id}


def render_version(version: FormVersion) -> dict[str, Any]:
    """A published version with its definition and record schema."""
    return {**render_version_summary(version), "definition": version.definition,
            "json_schema": version.json_schema}
