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
from formflow.conditions import tree as condition_tree
from formflow.forms.definition import definition_schema
from formflow.forms.models import Form, FormVersion
from formflow.permissions.actor import Actor
from formflow.records.models import Comment

PROBLEM = {"$ref": "#/components/schemas/Problem"}
DATETIME = {"type": "string", "format": "date-time"}
NULLABLE_DATETIME = {"type": ["string", "null"], "format": "date-time"}
ID = {"type": "integer", "minimum": 1}
NULLABLE_ID = {"type": ["integer", "null"], "minimum": 1}
LABEL_TEXTS = api.component("LabelTexts", {
    "type": "object", "minProperties": 1, "additionalProperties": False,
    "description": "Text per language.",
    "properties": {"zh-CN": {"type": "string", "maxLength": 200}, "en": {"type": "string", "maxLength": 200}},
})
LABELS = api.component("Labels", {
    "description": "Text per language; a plain string means the same text in every language.",
    "oneOf": [{"type": "string", "minLength": 1, "maxLength": 200}, LABEL_TEXTS],
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
                   "description": {"oneOf": [LABEL_TEXTS, {"type": "null"}]}},
    "additionalProperties": False,
})


def render_app(app: App) -> dict[str, Any]:
    """An installed app."""
    return {"id": app.id, "key": app.key, "name": app.name, "description": app.description,
            "created_at": timestamp(app.created_at)}


def _embedded(prefix: str, schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``$defs`` moved into components named ``prefix + Name``.

    Components live in the OpenAPI document, where a nested ``#/$defs/...`` would resolve against
    the document root; so definitions become components and references are rewritten to them.
    """
    names = {name: prefix + name.title().replace("_", "") for name in schema.get("$defs", {})}

    def rewrite(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: (_rewrite_ref(item, names) if key == "$ref" else rewrite(item))
                    for key, item in value.items() if key not in ("$defs", "$schema", "$id")}
        if isinstance(value, list):
            return [rewrite(item) for item in value]
        return value

    for name, definition in schema.get("$defs", {}).items():
        api.component(names[name], rewrite(definition))
    return rewrite(schema)


def _rewrite_ref(reference: str, names: dict[str, str]) -> str:
    name = reference.removeprefix("#/$defs/")
    return f"#/components/schemas/{names[name]}" if name in names else reference


FORM_DEFINITION = api.component(
    "FormDefinition",
    {**_embedded("Field", definition_schema()),
     "description": "Fields, layout and title field (docs/internals.md, 'Form definition'); the form "
                    "service checks it and answers 422 with one error per problem."},
    checked_as={"type": "object"})
CONDITION = api.component(
    "Condition",
    {**_embedded("Condition", condition_tree.schema()),
     "description": "A condition tree (docs/internals.md, 'Conditions'): leaves "
                    "`{field, op, value}`, groups `all`/`any` (lists) and `not`."},
    checked_as={"type": "object"})
FORM = api.component("Form", {
    "type": "object",
    "required": ["id", "app_id", "key", "name", "current_version", "draft_updated_at", "created_at"],
    "properties": {
        "id": ID, "app_id": ID, "key": KEY_SCHEMA, "name": STORED_LABELS,
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


def render_form_summary(form: Form, current_version: FormVersion | None) -> dict[str, Any]:
    """A form as lists show it: without its draft."""
    return {"id": form.id, "app_id": form.app_id, "key": form.key, "name": form.name,
            "current_version": current_version.number if current_version is not None else None,
            "draft_updated_at": timestamp(form.draft_updated_at), "created_at": timestamp(form.created_at)}


def render_form(form: Form, current_version: FormVersion | None) -> dict[str, Any]:
    """A form with the definition being edited."""
    return {**render_form_summary(form, current_version), "draft": form.draft}


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


RECORD = api.component("Record", {
    "type": "object",
    "description": "A record (docs/internals.md, 'Records'); `data` holds only the fields the token's "
                   "user may read; `titles` names related records by id.",
    "required": ["id", "form", "form_version", "version", "state", "owner", "data", "titles",
                 "created_at", "updated_at", "created_by", "updated_by"],
    "properties": {
        "id": ID, "form": KEY_SCHEMA, "form_version": ID,
        "version": {"type": "integer", "minimum": 1, "description": "Optimistic-locking counter."},
        "state": {"type": ["string", "null"]}, "owner": NULLABLE_ID,
        "data": {"type": "object"},
        "titles": {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": {"type": "string"}}},
        "created_at": DATETIME, "updated_at": DATETIME, "created_by": NULLABLE_ID, "updated_by": NULLABLE_ID,
        "deleted_at": NULLABLE_DATETIME,
    },
})
RECORD_PAGE = api.component("RecordPage", {
    "type": "object",
    "required": ["items", "next_cursor", "total", "total_is_estimate", "links"],
    "properties": {
        "items": {"type": "array", "items": RECORD},
        "next_cursor": {"type": ["string", "null"], "description": "Pass as `cursor` for the next page."},
        "total": {"type": ["integer", "null"], "minimum": 0},
        "total_is_estimate": {"type": "boolean",
                              "description": "More matches than counted exactly; `total` estimates."},
        "links": {"type": "object", "required": ["next"],
                  "properties": {"next": {"type": ["string", "null"],
                                          "description": "URL of the next page (GET lists only)."}}},
    },
})
NEW_RECORD = api.component("NewRecord", {
    "type": "object", "required": ["data"], "additionalProperties": False,
    "properties": {"data": {"type": "object", "description": "Field values by key; the form's current "
                                                             "version validates them (422 per field)."}},
})
RECORD_CHANGES = api.component("RecordChanges", {
    "type": "object", "required": ["data"], "additionalProperties": False,
    "properties": {
        "version": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1,
                    "description": "The version the changes were made to (or send If-Match)."},
        "data": {"type": "object", "description": "Only the fields that change."},
    },
})
SORT_KEY_PATTERN = "-?[a-z][a-z0-9_]{0,62}"
FIELD_KEY_PATTERN = "[a-z][a-z0-9_]{0,62}"
RECORD_QUERY = api.component("RecordQuery", {
    "type": "object", "additionalProperties": False,
    "description": "A list query in a body, for filters too long for a URL.",
    "properties": {
        "filter": {"oneOf": [CONDITION, {"type": "null"}]},
        "sort": {"type": "array", "maxItems": 6,
                 "items": {"type": "string", "pattern": f"^{SORT_KEY_PATTERN}$"}},
        "fields": {"type": "array", "maxItems": 500,
                   "items": {"type": "string", "pattern": f"^{FIELD_KEY_PATTERN}$"}},
        "search": {"type": "string", "maxLength": 200},
        "limit": {"type": "integer", "minimum": 1, "maximum": 500},
        "cursor": {"type": "string", "maxLength": 40_000},
        "offset": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
        "total": {"type": "boolean", "default": True, "description": "Count the matches."},
    },
})
REVISION = api.component("Revision", {
    "type": "object", "required": ["id", "action", "record_version", "diff", "actor", "created_at"],
    "properties": {
        "id": ID, "action": {"type": "string"}, "record_version": {"type": "integer"},
        "diff": {"type": "object", "additionalProperties": {"type": "array", "minItems": 2, "maxItems": 2},
                 "description": "`{field: [old, new]}` over the fields the user may read."},
        "actor": NULLABLE_ID, "created_at": DATETIME,
    },
})
REVISION_LIST = api.component("RevisionList", {
    "type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": REVISION}}})
COMMENT = api.component("Comment", {
    "type": "object", "required": ["id", "author", "body", "created_at"],
    "properties": {"id": ID, "author": NULLABLE_ID, "body": {"type": "string"}, "created_at": DATETIME},
})
COMMENT_LIST = api.component("CommentList", {
    "type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": COMMENT}}})
NEW_COMMENT = api.component("NewComment", {
    "type": "object", "required": ["body"], "additionalProperties": False,
    "properties": {"body": {"type": "string", "minLength": 1, "maxLength": 10_000}},
})


def render_comment(comment: Comment) -> dict[str, Any]:
    """A comment just added (lists come serialized from ``records.queries``)."""
    return {"id": comment.id, "author": comment.author_id, "body": comment.body,
            "created_at": timestamp(comment.created_at)}
