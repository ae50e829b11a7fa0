"""The landing pages: choose a workspace, a workspace's apps, an app's forms."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from formflow.accounts import service as accounts
from formflow.http import db
from formflow.web import navigation
from formflow.web.context import app_context, workspace_context

blueprint = Blueprint("workspaces", __name__)


@blueprint.route("/")
@login_required
def index() -> Response | str:
    """Straight to the user's only workspace; a chooser when there are several (or none)."""
    workspaces = accounts.workspaces_for_user(db(), current_user)
    if len(workspaces) == 1:
        return redirect(url_for("workspaces.workspace_home", slug=workspaces[0].slug))
    return render_template("workspaces/choose.html", workspaces=workspaces)


@blueprint.route("/w/<slug>/")
@login_required
def workspace_home(slug: str) -> str:
    """A workspace's apps the user may see, each with its forms."""
    place = workspace_context(slug)
    apps = navigation.apps_for_actor(db(), place.actor)
    return render_template("workspaces/home.html", workspace=place.workspace, actor=place.actor, apps=apps)


@blueprint.route("/w/<slug>/apps/<app_key>/")
@login_required
def app_home(slug: str, app_key: str) -> str:
    """An app's forms."""
    place = app_context(slug, app_key)
    return render_template("apps/home.html", workspace=place.workspace, actor=place.actor, app=place.app)
