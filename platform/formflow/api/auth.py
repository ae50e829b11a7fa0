"""Who calls the API: a bearer token, or (for reads from Formflow's own pages) the browser session.

Writes need ``Authorization: Bearer ff_...``: the session cookie is CSRF-exposed and /api/ is exempt
from the pages' CSRF check (docs/internals.md, "Web pages"). A page's script may read with the session
when it names the workspace in ``X-Formflow-Workspace``; a custom header cannot be sent cross-origin
without a CORS preflight, which Formflow never grants, so only same-origin pages can use it.
"""

from __future__ import annotations

from flask import current_app, g, request
from flask_login import current_user

from formflow.accounts import tokens
from formflow.accounts.models import User, Workspace
from formflow.accounts.service import workspace_by_slug
from formflow.errors import FormflowError, NotFound
from formflow.http import db
from formflow.i18n import gettext, set_locale
from formflow.permissions import audit
from formflow.permissions.actor import Actor, load_actor

#: header naming the workspace of a session-authenticated read
WORKSPACE_HEADER = "X-Formflow-Workspace"
SAFE_METHODS = frozenset({"GET", "HEAD"})


class Unauthorized(FormflowError):
    """No usable credentials: 401 with a ``WWW-Authenticate`` challenge."""

    def __init__(self, detail: str, reason: str = "invalid_token") -> None:
        super().__init__(title=gettext("Authentication required"), status=401, code="unauthorized",
                         detail=detail, extra={"reason": reason})

    def headers(self) -> dict[str, str]:
        """The RFC 6750 challenge; ``error=`` only when credentials were sent and refused."""
        reason = self.extra["reason"]
        if reason == "missing_token":
            return {"WWW-Authenticate": 'Bearer realm="formflow"'}
        return {"WWW-Authenticate": f'Bearer realm="formflow", error="{reason}"'}


def authenticate_request() -> Actor:
    """The actor of this request (kept in ``g.actor``); Unauthorized when there is none."""
    user, workspace = _credentials()
    actor = load_actor(db(), user, workspace)
    if actor is None:
        raise Unauthorized(gettext("This token's user is no longer a member of its workspace."))
    if db().in_transaction():
        db().commit()  # end the read transaction: each write view opens its own
    g.actor, g.api_user, g.api_workspace = actor, user, workspace
    _apply_user_locale(user)
    return actor


def _credentials() -> tuple[User, Workspace]:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, credentials = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise Unauthorized(gettext("Use 'Authorization: Bearer <token>'."), reason="invalid_request")
        found = tokens.authenticate(db(), credentials.strip())
        if found is None:
            audit.token_refused(db(), credentials.strip())
            raise Unauthorized(gettext("The token is unknown, revoked, or its user is deactivated."))
        return found
    session_user = _session_user()
    if session_user is not None:
        return session_user
    raise Unauthorized(gettext("This request needs a bearer token."), reason="missing_token")


def _session_user() -> tuple[User, Workspace] | None:
    """The logged-in user for a same-origin read that names its workspace, else None."""
    slug = request.headers.get(WORKSPACE_HEADER)
    if request.method not in SAFE_METHODS or not slug or not hasattr(current_app, "login_manager"):
        return None
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return None
    user = current_user._get_current_object()  # noqa: SLF001 - the User row, not the proxy
    if not isinstance(user, User):
        return None
    try:
        return user, workspace_by_slug(db(), slug)
    except NotFound:
        raise Unauthorized(gettext("You are not a member of this workspace.")) from None


def _apply_user_locale(user: User) -> None:
    """Messages follow ?lang=, then Accept-Language, then the user's own choice."""
    if request.args.get("lang") or request.headers.get("Accept-Language") or not user.locale:
        return
    set_locale(user.locale)
