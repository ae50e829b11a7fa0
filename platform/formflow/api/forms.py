"""Forms: list and create in an app, show, save the draft, publish, and read published versions."""

from __future__ import annotations

from typing import Any

from flask import g

from formflow.api.definition import api
from formflow.api.operations import Response
from formflow.api.resources import (
    DRAFT,
    FORM,
    FORM_LIST,
    FORM_VERSION,
    FORM_VERSION_LIST,
    NEW_FORM,
    PROBLEM,
    PUBLISH,
    render_form,
    render_form_summary,
    render_version,
    render_version_summary,
)
from formflow.apps import service as apps
from formflow.errors import NotFound
from formflow.forms import service
from formflow.forms.models import Form, FormVersion
from formflow.http import db

FORBIDDEN = Response("Only workspace admins change forms.", PROBLEM)
TAGS = ("forms",)


def _current_version(form: Form) -> FormVersion | None:
    if form.current_version_id is None:
        return None
    try:
        return service.get_version(db(), form)
    except NotFound:
        return None


@api.operation("GET", "/apps/<app_key>/forms", summary="List an app's forms", tags=TAGS,
               responses={200: Response("The app's forms, by key (without drafts).", FORM_LIST)})
def list_forms(app_key: str) -> dict[str, Any]:
    """The forms of one app."""
    app = apps.get_app(db(), g.actor, app_key)
    return {"items": [render_form_summary(form, _current_version(form))
                      for form in service.list_forms(db(), g.actor, app)]}


@api.operation("POST", "/apps/<app_key>/forms", summary="Create a form (draft only)", tags=TAGS,
               body=NEW_FORM,
               responses={201: Response("The new form; publish it before adding records.", FORM),
                          403: FORBIDDEN, 409: Response("The key is taken in this app.", PROBLEM)})
def create_form(app_key: str, body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """A new form whose draft is ``definition`` (default: no fields)."""
    app = apps.get_app(db(), g.actor, app_key)
    form = service.create_form(db(), g.actor, app, body["key"], body["name"], body.get("definition"))
    return render_form(form, None), 201, {"Location": f"{api.prefix}/forms/{form.id}"}


@api.operation("GET", "/forms/<int:form_id>", summary="Show a form and its draft", tags=TAGS,
               responses={200: Response("The form with its draft definition.", FORM)})
def get_form(form_id: int) -> dict[str, Any]:
    """One form, with the definition being edited."""
    form = service.get_form_by_id(db(), g.actor, form_id)
    return render_form(form, _current_version(form))


@api.operation("PUT", "/forms/<int:form_id>/draft", summary="Replace the form's draft", tags=TAGS,
               body=DRAFT, responses={200: Response("The form with its new draft.", FORM), 403: FORBIDDEN})
def save_draft(form_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Check and store a new draft; 422 lists every problem of the definition."""
    form = service.get_form_by_id(db(), g.actor, form_id)
    form = service.save_draft(db(), g.actor, form, body["definition"])
    return render_form(form, _current_version(form))


@api.operation("POST", "/forms/<int:form_id>/publish", summary="Publish the draft as a new version",
               tags=TAGS, body=PUBLISH, body_required=False,
               description="Publishing checks the draft's impact on existing records. Without "
                           "`confirm`, any impact answers 409 `publish_impact` listing `impacts`; "
                           "blocking impacts (`confirmable: false`) refuse even with `confirm`. "
                           "Publishing a draft equal to the current version returns that version (200).",
               responses={200: Response("The draft equals the current version, returned.", FORM_VERSION),
                          201: Response("The new version.", FORM_VERSION), 403: FORBIDDEN,
                          409: Response("Publishing affects existing records (`publish_impact`).", PROBLEM)})
def publish_form(form_id: int, body: dict[str, Any] | None) -> tuple[dict[str, Any], int]:
    """Publish the draft; ``confirm`` accepts a non-blocking impact on existing records."""
    form = service.get_form_by_id(db(), g.actor, form_id)
    before = form.current_version_id
    version = service.publish(db(), g.actor, form, confirm=bool((body or {}).get("confirm", False)))
    return render_version(version), 200 if version.id == before else 201


@api.operation("GET", "/forms/<int:form_id>/versions", summary="List the published versions", tags=TAGS,
               responses={200: Response("The versions, newest first, without definitions.",
                                        FORM_VERSION_LIST)})
def list_versions(form_id: int) -> dict[str, Any]:
    """Who published which version when."""
    form = service.get_form_by_id(db(), g.actor, form_id)
    return {"items": [render_version_summary(version) for version in service.list_versions(db(), form)]}


@api.operation("GET", "/forms/<int:form_id>/versions/<int:number>", summary="Show a published version",
               tags=TAGS, responses={200: Response("The version with its definition and record schema.",
                                                   FORM_VERSION)})
def get_version(form_id: int, number: int) -> dict[str, Any]:
    """One immutable version."""
    form = service.get_form_by_id(db(), g.actor, form_id)
    return render_version(service.get_version(db(), form, number))
