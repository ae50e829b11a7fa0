"""The app-wide error handlers: error pages in the user's language, problem+json under /api/.

These are the only app-wide handlers (docs/internals.md, "Web pages"): for /api/ paths they hand
the error to the renderer the API registers in ``app.extensions``.
"""

from __future__ import annotations

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from formflow.errors import FormflowError

#: where the API puts its ``(error) -> Response`` renderer
API_RENDERER = "formflow.api.render_error"
API_PREFIX = "/api/"


def _status_text(status: int) -> tuple[str, str]:
    """Title and explanation shown for an HTTP status, in the current language."""
    texts = {
        400: (_("Bad request"),
              _("The request could not be understood. Check what you entered and try again.")),
        401: (_("Please log in"), _("You need to log in to see this page.")),
        403: (_("Access denied"), _("You do not have permission to see this page.")),
        404: (_("Page not found"),
              _("The page you are looking for does not exist, or you do not have access to it.")),
        405: (_("Action not allowed"), _("This page cannot be used this way.")),
        409: (_("Conflict"), _("Someone else changed this in the meantime. Reload the page and try again.")),
        413: (_("Too large"), _("What you sent is larger than the server accepts.")),
        422: (_("Check your input"), _("Some of what you entered is not valid.")),
        429: (_("Too many requests"), _("Please wait a moment and try again.")),
        500: (_("Something went wrong"),
              _("An unexpected error happened on our side. Please try again later.")),
    }
    return texts.get(status) or (_("Error %(status)s", status=status),
                                 _("The request could not be completed."))


def _bare_problem(status: int, code: str, title: str) -> Response:
    """A minimal problem+json for /api/ paths when the API has not registered its renderer."""
    response = jsonify({"type": "about:blank", "title": title, "status": status, "code": code})
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def _page(status: int, title: str, message: str, details: list[str] | None = None,
          minimal: bool = False) -> Response:
    html = render_template("errors/error.html", status=status, title=title, message=message,
                           details=details or [], minimal_layout=minimal)
    return Response(html, status=status, mimetype="text/html")


def handle_http_error(error: HTTPException) -> Response:
    """An HTTP error (404, 405, 413, CSRF 400...) as a localized page, or the API's problem+json."""
    if _is_api_request():
        render = current_app.extensions.get(API_RENDERER)
        if render is not None:
            return render(error)
        return _bare_problem(error.code or 500, (error.name or "error").lower().replace(" ", "_"),
                             error.name or "Error")
    status = error.code or 500
    title, message = _status_text(status)
    if isinstance(error, CSRFError):
        title = _("The page has expired")
        message = _("The form was open too long or was sent from another site. "
                    "Reload the page and try again.")
    response = _page(status, title, message)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def handle_formflow_error(error: FormflowError) -> Response:
    """A service's error (already localized) as a page, or the API's problem+json."""
    if _is_api_request():
        render = current_app.extensions.get(API_RENDERER)
        if render is not None:
            return render(error)
        return _bare_problem(error.status, error.code, error.title)
    _default_title, default_message = _status_text(error.status)
    details = [item.message for item in error.errors]
    return _page(error.status, error.title, error.detail or default_message, details)


def handle_internal_error(error: InternalServerError) -> Response:
    """An unexpected exception: a plain localized 500 page that needs no database."""
    session = g.get("db_session")
    if session is not None:
        session.rollback()
    if _is_api_request():
        render = current_app.extensions.get(API_RENDERER)
        if render is not None:
            return render(error)
        return _bare_problem(500, "internal_error", "Internal Server Error")
    title, message = _status_text(500)
    return _page(500, title, message, minimal=True)


def register_error_handlers(app: Flask) -> None:
    """Install the app-wide handlers (500 first: more specific classes win in Flask)."""
    app.register_error_handler(InternalServerError, handle_internal_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(FormflowError, handle_formflow_error)
