"""Request plumbing shared by the web pages and the REST API: the database session and the locale."""

from __future__ import annotations

from flask import Flask, current_app, g, request
from sqlalchemy.orm import Session

from formflow.i18n import normalize_locale, set_locale


def db() -> Session:
    """The request's database session, opened on first use and closed when the request ends."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["formflow.sessionmaker"]()
    return g.db_session


def request_locale() -> str:
    """The locale for this request: ?lang=, then the session's choice, the user's, the browser's."""
    from flask import session
    from flask_login import current_user

    chosen = request.args.get("lang") or session.get("locale")
    if not chosen and current_user and getattr(current_user, "is_authenticated", False):
        chosen = current_user.locale
    if not chosen:
        chosen = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    return normalize_locale(chosen or current_app.config["DEFAULT_LOCALE"])


def init_app(app: Flask) -> None:
    """Open and close request sessions; translate service messages into the request's locale."""

    @app.before_request
    def _locale() -> None:
        set_locale(request_locale())

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()
