"""Where a page is: the workspace and app a view works in, and what the layout's navigation shows.

Views call ``workspace_context(slug)`` or ``app_context(slug, app_key)`` first; both answer 404 to
anyone who is not a member (a workspace's existence is not revealed), and record the place so that
``base.html`` highlights it. The navigation itself is loaded lazily, only when a template asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from flask import current_app, g, request, url_for
from flask_login import current_user

from formflow.accounts import service as accounts
from formflow.accounts.models import Workspace
from formflow.errors import NotFound
from formflow.http import db
from formflow.i18n import gettext
from formflow.permissions.actor import Actor, load_actor
from formflow.web import navigation
from formflow.web.navigation import AppEntry


@dataclass(frozen=True)
class WorkspaceContext:
    """The workspace a request works in and the actor it acts as."""

    workspace: Workspace
    actor: Actor


@dataclass(frozen=True)
class AppContext(WorkspaceContext):
    """A workspace context narrowed to one app."""

    app: AppEntry


def workspace_context(slug: str) -> WorkspaceContext:
    """The current user's place in workspace ``slug``; NotFound unless they are an active member."""
    session = db()
    try:
        workspace = accounts.workspace_by_slug(session, slug)
    except NotFound:
        workspace = None
    actor = load_actor(session, current_user, workspace) if workspace is not None else None
    if actor is None:
        raise NotFound(gettext("No such workspace."))
    context = WorkspaceContext(workspace, actor)
    g.formflow_place = context
    return context


def app_context(slug: str, app_key: str) -> AppContext:
    """The current user's place in app ``app_key`` of workspace ``slug``; NotFound if not visible."""
    place = workspace_context(slug)
    app = navigation.app_for_actor(db(), place.actor, app_key)
    context = AppContext(place.workspace, place.actor, app)
    g.formflow_place = context
    return context


class Navigation:
    """What the layout's navigation shows for this request; each part is queried on first use."""

    @property
    def place(self) -> WorkspaceContext | None:
        """The workspace (and app) the page is in, if any."""
        return g.get("formflow_place")

    @property
    def workspace(self) -> Workspace | None:
        return self.place.workspace if self.place else None

    @property
    def current_app_key(self) -> str | None:
        """The key of the app the page is in, if any."""
        place = self.place
        return place.app.key if isinstance(place, AppContext) else None

    @cached_property
    def workspaces(self) -> list[Workspace]:
        """The workspaces the logged-in user belongs to."""
        if not current_user.is_authenticated:
            return []
        return accounts.workspaces_for_user(db(), current_user)

    @cached_property
    def apps(self) -> list[AppEntry]:
        """The apps of the current workspace the actor may see."""
        place = self.place
        return navigation.apps_for_actor(db(), place.actor) if place else []


#: the endpoint of a form's page (its records); pages link to it only once some blueprint provides it
FORM_PAGE_ENDPOINT = "records.index"


def form_page_url(slug: str, app_key: str, form_key: str) -> str | None:
    """The URL of a form's page, or None while no blueprint serves it (pages link only to what exists)."""
    if FORM_PAGE_ENDPOINT not in current_app.view_functions:
        return None
    return url_for(FORM_PAGE_ENDPOINT, slug=slug, app_key=app_key, form_key=form_key)


def current_path() -> str:
    """This request's path and query string, for links that come back here ('/w/acme/?page=2')."""
    return request.full_path.rstrip("?") if request.query_string else request.path


def template_context() -> dict[str, Any]:
    """Variables every page template gets: ``nav``, the layout's navigation of this request."""
    return {"nav": Navigation()}
