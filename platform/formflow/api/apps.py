"""Apps of the token's workspace: list, install, show."""

from __future__ import annotations

from typing import Any

from flask import g

from formflow.api.definition import api
from formflow.api.operations import Response
from formflow.api.resources import APP, APP_LIST, NEW_APP, PROBLEM, render_app
from formflow.apps import service
from formflow.http import db


@api.operation("GET", "/apps", summary="List the workspace's apps", tags=("apps",),
               responses={200: Response("The apps, by key.", APP_LIST)})
def list_apps() -> dict[str, Any]:
    """Every app installed in the workspace."""
    return {"items": [render_app(app) for app in service.list_apps(db(), g.actor)]}


@api.operation("POST", "/apps", summary="Install a new, empty app", tags=("apps",), body=NEW_APP,
               responses={201: Response("The new app.", APP),
                          403: Response("Only workspace admins install apps.", PROBLEM),
                          409: Response("The key is taken.", PROBLEM)})
def create_app(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Install an app (admins only)."""
    app = service.install_app(db(), g.actor, body["key"], body["name"], body.get("description"))
    return render_app(app), 201, {"Location": f"{api.prefix}/apps/{app.key}"}


@api.operation("GET", "/apps/<app_key>", summary="Show an app", tags=("apps",),
               responses={200: Response("The app.", APP)})
def get_app(app_key: str) -> dict[str, Any]:
    """One app of the workspace."""
    return render_app(service.get_app(db(), g.actor, app_key))
