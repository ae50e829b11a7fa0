"""Every API error as ``application/problem+json`` (RFC 9457), from one place.

Services raise ``formflow.errors.FormflowError``; Werkzeug raises ``HTTPException`` (404, 405, 413...);
anything else is a bug and becomes a 500 problem that names an incident id, never the exception. The
shape is pinned by tests/api/test_error_shape.py and described by ``PROBLEM_SCHEMA`` in the OpenAPI
document:

    {"type": "https://formflow.dev/problems/<code>", "title", "status", "detail", "code",
     "errors": [{"field", "code", "message"}], ...extra}
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Flask, Response, current_app, json, request
from werkzeug.exceptions import HTTPException, default_exceptions

from formflow.errors import FormflowError
from formflow.i18n import gettext

PROBLEM_TYPE_BASE = "https://formflow.dev/problems/"
MEDIA_TYPE = "application/problem+json"
#: keys of the problem object that ``extra`` may not replace
RESERVED_KEYS = frozenset({"type", "title", "status", "detail", "code", "errors"})

#: stable codes and English titles of the HTTP errors Werkzeug raises (titles are translated on use)
HTTP_PROBLEMS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    406: ("not_acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    412: ("precondition_failed", "Precondition failed"),
    413: ("payload_too_large", "Request body too large"),
    414: ("uri_too_long", "Address too long"),
    415: ("unsupported_media_type", "Unsupported media type"),
    422: ("validation_failed", "Validation failed"),
    428: ("precondition_required", "Precondition required"),
    429: ("too_many_requests", "Too many requests"),
    431: ("request_header_fields_too_large", "Request headers too large"),
    500: ("internal_error", "Internal server error"),
    501: ("not_implemented", "Not implemented"),
    503: ("service_unavailable", "Service unavailable"),
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An error (RFC 9457 problem details); `code` is stable, `title` and messages are "
                   "localized (Accept-Language or ?lang=).",
    "required": ["type", "title", "status", "code", "errors"],
    "properties": {
        "type": {"type": "string", "format": "uri", "description": "URI naming the problem's code."},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": ["string", "null"]},
        "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "code", "message"],
            "properties": {"field": {"type": "string"}, "code": {"type": "string"},
                           "message": {"type": "string"}},
            "additionalProperties": False}},
        "incident": {"type": "string", "description": "Id of the logged server error (500 only)."},
    },
    "additionalProperties": True,
}


def problem_body(error: FormflowError) -> dict[str, Any]:
    """The JSON object of a problem; ``extra`` keys come along unless they would replace a standard one."""
    body = {key: value for key, value in error.extra.items() if key not in RESERVED_KEYS}
    body.update({
        "type": PROBLEM_TYPE_BASE + error.code,
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "code": error.code,
        "errors": [field_error.as_dict() for field_error in error.errors],
    })
    return body


def problem_response(error: FormflowError, headers: dict[str, str] | None = None) -> Response:
    """``error`` rendered as an ``application/problem+json`` response."""
    response = current_app.response_class(json.dumps(problem_body(error)), status=error.status,
                                          mimetype=MEDIA_TYPE)
    response.headers.update(headers or {})
    response.headers["Content-Language"] = "zh-CN" if _is_chinese() else "en"
    return response


def _is_chinese() -> bool:
    from formflow.i18n import current_locale

    return current_locale() == "zh_CN"


def from_http_exception(exception: HTTPException) -> FormflowError:
    """The problem for a Werkzeug HTTP error: stable code, localized title, the size limit for 413."""
    status = exception.code or 500
    code, title = HTTP_PROBLEMS.get(status, ("http_error", "HTTP error"))
    detail, extra = _http_detail(status)
    return FormflowError(title=gettext(title), status=status, code=code, detail=detail, extra=extra)


def _http_detail(status: int) -> tuple[str | None, dict[str, Any]]:
    if status == 404:
        return gettext("Nothing is at this address."), {}
    if status == 405:
        return gettext("This address does not accept %(method)s.", method=request.method), {}
    if status == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        return (gettext("The request body is larger than %(limit)s bytes.", limit=limit),
                {"max_content_length": limit})
    return None, {}


def render_formflow_error(error: FormflowError) -> Response:
    """Handler for service errors; an error with a ``headers()`` method adds them (401's challenge)."""
    headers = getattr(error, "headers", None)
    return problem_response(error, headers() if callable(headers) else None)


def render_http_exception(exception: HTTPException) -> Response:
    """Handler for Werkzeug errors; keeps their headers (``Allow`` on 405, ``WWW-Authenticate``)."""
    headers = {name: value for name, value in exception.get_headers() if name.lower() != "content-type"}
    return problem_response(from_http_exception(exception), headers)


def render_unexpected(exception: Exception) -> Response:
    """Handler for bugs: log with an incident id, answer 500 without internals."""
    incident = uuid.uuid4().hex
    current_app.logger.exception("API error, incident %s, %s %s", incident, request.method, request.path)
    code, title = HTTP_PROBLEMS[500]
    error = FormflowError(title=gettext(title), status=500, code=code,
                          detail=gettext("The server failed; the incident is logged."),
                          extra={"incident": incident})
    return problem_response(error)


def render_error(error: Exception) -> Response:
    """Any error as a problem response: what the app-wide handlers call for paths under /api/."""
    if isinstance(error, HTTPException):
        return render_http_exception(error)
    if isinstance(error, FormflowError):
        return render_formflow_error(error)
    return render_unexpected(error)


def install(blueprint: Blueprint) -> None:
    """Render every error raised while ``blueprint`` handles a request as a problem.

    Errors that never reach a blueprint (404 and 405 from routing) go to the app-wide handlers of the
    web package, which hand paths under /api/ back to ``render_error`` (docs/internals.md, "Web pages");
    ``register`` lends it to them.
    """
    blueprint.register_error_handler(FormflowError, render_formflow_error)
    # Code-specific handlers win over class handlers in Flask's lookup, whichever blueprint registered
    # them; registering each code here keeps an app-wide ``errorhandler(404)`` off API errors.
    for status in default_exceptions:
        blueprint.register_error_handler(status, render_http_exception)
    blueprint.register_error_handler(HTTPException, render_http_exception)
    blueprint.register_error_handler(Exception, render_unexpected)


def register(app: Flask) -> None:
    """Lend ``render_error`` to the app-wide error handlers for paths under /api/."""
    app.extensions["formflow.api.render_error"] = render_error
