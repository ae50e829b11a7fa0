"""A form's workflow (draft, publish, versions, migrating running records) and a record's transitions
(list what the user may take and why not; take one). Writes go through ``workflows.service`` and
``records.transitions``."""

from __future__ import annotations

from typing import Any

from flask import g

from formflow.api.definition import api
from formflow.api.operations import Parameter, Response
from formflow.api.resources import (
    DATETIME,
    ID,
    KEY_SCHEMA,
    NULLABLE_ID,
    PROBLEM,
    RECORD,
    timestamp,
)
from formflow.errors import NotFound
from formflow.forms.service import get_form_by_id
from formflow.http import db
from formflow.i18n import gettext
from formflow.records import queries
from formflow.records.transitions import migrate_records, transition_record
from formflow.workflows import service
from formflow.workflows.compiler import compiled, mermaid
from formflow.workflows.definition import definition_schema
from formflow.workflows.models import Workflow, WorkflowVersion

TAGS = ("workflows",)
WORKFLOW_PATH = "/forms/<int:form_id>/workflow"
TRANSITIONS_PATH = "/forms/<int:form_id>/records/<int:record_id>/transitions"
FORBIDDEN = Response("Only workspace admins change workflows.", PROBLEM)

# the transition's key is a path parameter of this module's routes only
api.path_parameters.setdefault("transition_key", Parameter(
    "transition_key", "path", KEY_SCHEMA, "The transition's key, unique in the workflow."))

_DEFINITION = {key: value for key, value in definition_schema().items() if key != "$schema"}
WORKFLOW_DEFINITION = api.component(
    "WorkflowDefinition",
    {**_DEFINITION, "description": "States, transitions and the initial state (docs/internals.md, "
                                   "'Workflows'); the service answers 422 with one error per problem."},
    checked_as={"type": "object"})
WORKFLOW_VERSION = api.component("WorkflowVersion", {
    "type": "object",
    "required": ["id", "number", "published_at", "published_by", "form_version"],
    "properties": {"id": ID, "number": {"type": "integer", "minimum": 1}, "definition": WORKFLOW_DEFINITION,
                   "form_version": ID, "published_at": DATETIME, "published_by": NULLABLE_ID,
                   "diagram": {"type": "string", "description": "The machine as a Mermaid state diagram."}},
})
WORKFLOW = api.component("Workflow", {
    "type": "object",
    "required": ["form", "draft", "draft_updated_at", "current_version"],
    "properties": {
        "form": ID,
        "draft": {"oneOf": [WORKFLOW_DEFINITION, {"type": "null"}]},
        "draft_updated_at": DATETIME,
        "current_version": {"oneOf": [WORKFLOW_VERSION, {"type": "null"}],
                            "description": "The version new records start on; null before the first "
                                           "publish."},
    },
})
WORKFLOW_VERSION_LIST = api.component("WorkflowVersionList", {
    "type": "object", "required": ["items"],
    "properties": {"items": {"type": "array", "items": WORKFLOW_VERSION}}})
WORKFLOW_DRAFT = api.component("WorkflowDraft", {
    "type": "object", "required": ["definition"], "additionalProperties": False,
    "properties": {"definition": WORKFLOW_DEFINITION}})
STATE_MAPPING = {"type": "object", "maxProperties": 100, "additionalProperties": KEY_SCHEMA,
                 "propertyNames": {"pattern": "^([a-z][a-z0-9_]{0,62})?$"},
                 "description": "Old state -> state of the current version; `\"\"` names records without a "
                                "state (default: the initial state). Unnamed states keep their key."}
MIGRATION_REQUEST = api.component("WorkflowMigrationRequest", {
    "type": "object", "additionalProperties": False, "properties": {"mapping": STATE_MAPPING}})
MIGRATION_PLAN = api.component("WorkflowMigrationPlan", {
    "type": "object", "required": ["to_version", "moves", "total", "errors"],
    "properties": {
        "to_version": {"type": "integer", "minimum": 1},
        "moves": {"type": "array", "items": {
            "type": "object", "required": ["from_version", "from_state", "to_state", "count"],
            "properties": {"from_version": {"type": ["integer", "null"]},
                           "from_state": {"type": ["string", "null"]},
                           "to_state": {"type": ["string", "null"]},
                           "count": {"type": "integer", "minimum": 0}}}},
        "total": {"type": "integer", "minimum": 0},
        "errors": {"type": "array", "items": {"type": "object"},
                   "description": "States with no place in the current version: map them first."},
    },
})
TRANSITION_OPTION = {
    "type": "object",
    "required": ["key", "label", "to", "to_label", "allowed", "reasons", "comment_required",
                 "required_fields", "editable_fields"],
    "properties": {
        "key": KEY_SCHEMA, "label": {"type": "string"}, "to": KEY_SCHEMA, "to_label": {"type": "string"},
        "allowed": {"type": "boolean"},
        "reasons": {"type": "array", "items": {"type": "string"},
                    "description": "Why the user may not take it now (roles, guard), localized."},
        "comment_required": {"type": "boolean"},
        "required_fields": {"type": "array", "items": {"type": "string"}},
        "editable_fields": {"type": "array", "items": {"type": "string"}},
    },
}
TRANSITION_LIST = api.component("TransitionList", {
    "type": "object", "required": ["state", "state_label", "version", "items"],
    "properties": {"state": {"type": ["string", "null"]}, "state_label": {"type": ["string", "null"]},
                   "version": {"type": "integer", "minimum": 1},
                   "items": {"type": "array", "items": TRANSITION_OPTION}}})
TRANSITION_REQUEST = api.component("TransitionRequest", {
    "type": "object", "required": ["version"], "additionalProperties": False,
    "properties": {
        "version": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1,
                    "description": "The record version the user saw; a newer record answers 409."},
        "changes": {"type": "object",
                    "description": "Values of the fields the transition lets the user edit."},
        "comment": {"type": "string", "maxLength": 10_000},
    }})


def render_workflow_version(version: WorkflowVersion) -> dict[str, Any]:
    """A published workflow version with its definition and diagram."""
    return {"id": version.id, "number": version.number, "definition": version.definition,
            "form_version": version.form_version_id, "published_at": timestamp(version.published_at),
            "published_by": version.published_by_id, "diagram": mermaid(compiled(db(), version.id))}


def render_workflow(workflow: Workflow) -> dict[str, Any]:
    """A form's workflow: the draft and the version in force."""
    current = db().get(WorkflowVersion, workflow.current_version_id) if workflow.current_version_id else None
    return {"form": workflow.form_id, "draft": workflow.draft,
            "draft_updated_at": timestamp(workflow.draft_updated_at),
            "current_version": render_workflow_version(current) if current is not None else None}


def _form(form_id: int) -> Any:
    return get_form_by_id(db(), g.actor, form_id)


@api.operation("GET", WORKFLOW_PATH, summary="Show a form's workflow", tags=TAGS,
               responses={200: Response("The draft and the version in force.", WORKFLOW),
                          404: Response("The form has no workflow yet.", PROBLEM)})
def get_workflow(form_id: int) -> dict[str, Any]:
    """The workflow being edited and the one records follow."""
    workflow = service.get_workflow(db(), g.actor, _form(form_id))
    if workflow is None:
        raise NotFound(gettext("This form has no workflow."))
    return render_workflow(workflow)


@api.operation("PUT", WORKFLOW_PATH + "/draft", summary="Replace the workflow's draft", tags=TAGS,
               body=WORKFLOW_DRAFT,
               responses={200: Response("The workflow with its new draft.", WORKFLOW), 403: FORBIDDEN,
                          409: Response("The form has no published version yet.", PROBLEM)})
def save_workflow_draft(form_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Check and store a draft; 422 lists every problem and the version in force stays live."""
    return render_workflow(service.save_draft(db(), g.actor, _form(form_id), body["definition"]))


@api.operation("POST", WORKFLOW_PATH + "/publish", summary="Publish the workflow's draft", tags=TAGS,
               description="New records start on the new version; running records stay on theirs until "
                           "migrated. A draft equal to the version in force returns it (200).",
               responses={200: Response("The draft equals the version in force, returned.", WORKFLOW_VERSION),
                          201: Response("The new version.", WORKFLOW_VERSION), 403: FORBIDDEN,
                          409: Response("No draft saved yet (`no_workflow_draft`).", PROBLEM)})
def publish_workflow(form_id: int) -> tuple[dict[str, Any], int]:
    """Publish the draft as the next immutable version."""
    form = _form(form_id)
    workflow = service.get_workflow(db(), g.actor, form)
    before = workflow.current_version_id if workflow is not None else None
    version = service.publish(db(), g.actor, form)
    return render_workflow_version(version), 200 if version.id == before else 201


@api.operation("GET", WORKFLOW_PATH + "/versions", summary="List the workflow's versions", tags=TAGS,
               responses={200: Response("The versions, newest first.", WORKFLOW_VERSION_LIST)})
def list_workflow_versions(form_id: int) -> dict[str, Any]:
    """Every published version."""
    return {"items": [render_workflow_version(version)
                      for version in service.list_versions(db(), g.actor, _form(form_id))]}


@api.operation("POST", WORKFLOW_PATH + "/migration/preview", summary="Preview moving records to the "
               "current version", tags=TAGS, body=MIGRATION_REQUEST, body_required=False,
               responses={200: Response("How many records move from which version and state to which state.",
                                        MIGRATION_PLAN), 403: FORBIDDEN,
                          404: Response("The form has no published workflow.", PROBLEM)})
def preview_workflow_migration(form_id: int, body: dict[str, Any] | None) -> dict[str, Any]:
    """Counts per from -> to; nothing is written."""
    plan = service.plan_migration(db(), g.actor, _form(form_id), (body or {}).get("mapping") or {})
    return plan.as_dict()


@api.operation("POST", WORKFLOW_PATH + "/migration", summary="Move records to the current version",
               tags=TAGS, body=MIGRATION_REQUEST, body_required=False,
               responses={200: Response("The moves applied (each record got a `migrate` revision).",
                                        MIGRATION_PLAN), 403: FORBIDDEN,
                          404: Response("The form has no published workflow.", PROBLEM)})
def apply_workflow_migration(form_id: int, body: dict[str, Any] | None) -> dict[str, Any]:
    """Move every record not on the current version onto it; 422 lists states without a target."""
    return migrate_records(db(), g.actor, _form(form_id), (body or {}).get("mapping") or {})


@api.operation("GET", TRANSITIONS_PATH, summary="The transitions a user may take on a record", tags=TAGS,
               responses={200: Response("Transitions leaving the record's state, each `allowed` or with "
                                        "the `reasons` why not.", TRANSITION_LIST)})
def list_transitions(form_id: int, record_id: int) -> dict[str, Any]:
    """What the record page shows as buttons (a refused guard says why)."""
    return service.transition_options(db(), g.actor, _form(form_id), record_id)


@api.operation("POST", TRANSITIONS_PATH + "/<transition_key>", summary="Take a transition", tags=TAGS,
               body=TRANSITION_REQUEST,
               responses={200: Response("The record in its new state.", RECORD),
                          403: Response("Roles or guard refuse (`transition_forbidden`; `reasons` say why).",
                                        PROBLEM),
                          409: Response("Stale version (`stale_version`, `current` holds the record) or the "
                                        "transition does not leave the record's state "
                                        "(`transition_unavailable`).", PROBLEM)})
def take_transition(form_id: int, record_id: int, transition_key: str, body: dict[str, Any]
                    ) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Run the transition in one transaction: state, changes, revision and comment, or nothing."""
    form = _form(form_id)
    record = transition_record(db(), g.actor, form, record_id, transition_key,
                               expected_version=body["version"], changes=body.get("changes"),
                               comment=body.get("comment"))
    rendered = queries.serialize_record(db(), g.actor, form, record)
    return rendered, 200, {"ETag": f'"{rendered["version"]}"'}
