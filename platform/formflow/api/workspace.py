"""GET /api/v1/workspace: the token's workspace and user."""

from __future__ import annotations

from typing import Any

from flask import g

from formflow.api.definition import api
from formflow.api.operations import Response
from formflow.api.resources import WORKSPACE, render_workspace


@api.operation("GET", "/workspace", summary="The token's workspace and user", tags=("workspace",),
               responses={200: Response("The workspace the token acts in.", WORKSPACE)})
def get_workspace() -> dict[str, Any]:
    """The workspace and user the bearer token acts as."""
    return render_workspace(g.api_workspace, g.api_user, g.actor)
