"""Logging in and out, and choosing the interface language."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from formflow.accounts import service as accounts
from formflow.config import SUPPORTED_LOCALES
from formflow.http import db
from formflow.web.redirects import safe_next

blueprint = Blueprint("auth", __name__)

#: session keys that survive logging in and out (everything else is dropped)
KEPT_SESSION_KEYS = ("locale",)

#: longest email and password a login form accepts; longer ones are refused before any hashing
MAX_EMAIL_LENGTH = 254
MAX_PASSWORD_LENGTH = 1024


def _restart_session() -> None:
    """Drop every session value but the kept ones: no value (or CSRF token) crosses a login."""
    kept = {key: session[key] for key in KEPT_SESSION_KEYS if key in session}
    session.clear()
    session.update(kept)


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Response | str:
    """The login page; on success, a fresh session and a redirect to a same-site ``next``."""
    next_path = safe_next(request.values.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_path or url_for("workspaces.index"))
    email = request.form.get("email", "").strip()
    errors: dict[str, str] = {}
    if request.method == "POST":
        password = request.form.get("password", "")
        if not email:
            errors["email"] = _("Enter your email address.")
        if not password:
            errors["password"] = _("Enter your password.")
        if not errors:
            user = None
            if len(email) <= MAX_EMAIL_LENGTH and len(password) <= MAX_PASSWORD_LENGTH:
                user = accounts.authenticate_password(db(), email, password)
            if user is not None:
                _restart_session()
                login_user(user)
                return redirect(next_path or url_for("workspaces.index"))
            errors["form"] = _("The email address or password is incorrect.")
    # 401 for wrong credentials, 422 for an incomplete form: the page is the same either way.
    status = 401 if "form" in errors else 422 if errors else 200
    return render_template("auth/login.html", email=email, errors=errors, next_path=next_path), status


@blueprint.route("/logout", methods=["POST"])
def logout() -> Response:
    """Log out (a POST with a CSRF token, so no other site can log a user out) and clear the session."""
    logout_user()
    _restart_session()
    flash(_("You have logged out."), "success")
    return redirect(url_for("auth.login"))


@blueprint.route("/language", methods=["POST"])
def language() -> Response:
    """Switch the interface language; remembered in the session and, when logged in, by the user."""
    chosen = request.form.get("locale", "")
    next_path = safe_next(request.form.get("next")) or url_for("workspaces.index")
    if chosen not in SUPPORTED_LOCALES:
        flash(_("This language is not available."), "error")
        return redirect(next_path)
    session["locale"] = chosen
    if current_user.is_authenticated:
        accounts.set_user_locale(db(), current_user, chosen)
    return redirect(next_path)
