"""Pins the problem+json shape every API error has (docs/internals.md, "Errors")."""

from __future__ import annotations

import pytest
from flask import Blueprint

from api_helpers import PROBLEM_TYPE
from formflow.api import problems
from formflow.errors import Conflict, FieldError, FormflowError, ValidationFailed

STANDARD_KEYS = {"type", "title", "status", "detail", "code", "errors"}


def test_problem_body_has_exactly_the_standard_keys_plus_extra():
    error = ValidationFailed([FieldError("amount", "too_large", "Too large.")], detail="One problem.",
                             extra={"hint": "smaller"})
    assert problems.problem_body(error) == {
        "type": "https://formflow.dev/problems/validation_failed", "title": "Validation failed",
        "status": 422, "detail": "One problem.", "code": "validation_failed",
        "errors": [{"field": "amount", "code": "too_large", "message": "Too large."}], "hint": "smaller"}


def test_extra_cannot_replace_a_standard_key():
    error = Conflict("Stale", code="stale_version", extra={"status": 200, "code": "ok", "current": {"id": 1}})
    body = problems.problem_body(error)
    assert body["status"] == 409
    assert body["code"] == "stale_version"
    assert body["current"] == {"id": 1}


@pytest.mark.parametrize(("path", "method", "status", "code"), [
    ("/api/v1/no-such-thing", "GET", 404, "not_found"),
    ("/api/v1/apps", "DELETE", 405, "method_not_allowed"),
    ("/api/v1/workspace", "GET", 401, "unauthorized"),
    ("/api/v1/openapi.json", "POST", 405, "method_not_allowed"),
])
def test_http_errors_are_problems(client, path, method, status, code):
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.mimetype == PROBLEM_TYPE
    body = response.get_json()
    assert set(body) >= STANDARD_KEYS
    assert (body["status"], body["code"], body["type"]) == (status, code, problems.PROBLEM_TYPE_BASE + code)


def test_405_names_the_allowed_methods(client):
    response = client.delete("/api/v1/apps")
    assert {"GET", "POST"} <= set(response.headers["Allow"].replace(" ", "").split(","))


def test_titles_follow_accept_language(client):
    response = client.get("/api/v1/nothing", headers={"Accept-Language": "en"})
    assert response.get_json()["title"] == "Not found"
    assert response.headers["Content-Language"] == "en"


def test_lang_parameter_wins_over_accept_language(client):
    response = client.get("/api/v1/nothing?lang=en", headers={"Accept-Language": "zh-CN"})
    assert response.headers["Content-Language"] == "en"


def test_chinese_request_gets_a_chinese_content_language(client):
    response = client.get("/api/v1/nothing", headers={"Accept-Language": "zh-CN"})
    assert response.headers["Content-Language"] == "zh-CN"


@pytest.fixture
def failing_app(app):
    """An app with test-only API routes that raise; registered before the first request."""
    from formflow.api.definition import api

    blueprint = Blueprint("api_failing", __name__, url_prefix="/api/v1/test-failures")
    problems.install(blueprint)

    @blueprint.get("/bug")
    def bug() -> None:
        raise RuntimeError("secret connection string postgres://admin:hunter2@db")

    @blueprint.get("/service")
    def service_error() -> None:
        raise FormflowError("Teapot", status=418, code="teapot", detail="Short and stout.",
                            errors=[FieldError("spout", "missing", "No spout.")])

    app.register_blueprint(blueprint)
    assert api.blueprint is not blueprint
    return app


def test_unexpected_exception_is_a_500_problem_without_internals(failing_app, caplog):
    response = failing_app.test_client().get("/api/v1/test-failures/bug")
    assert response.status_code == 500
    assert response.mimetype == PROBLEM_TYPE
    body = response.get_json()
    assert body["code"] == "internal_error"
    text = response.get_data(as_text=True)
    assert "hunter2" not in text and "RuntimeError" not in text and "Traceback" not in text
    assert body["incident"] in caplog.text
    assert "hunter2" in caplog.text


def test_service_error_keeps_its_status_code_and_field_errors(failing_app):
    body = failing_app.test_client().get("/api/v1/test-failures/service").get_json()
    assert body == {"type": "https://formflow.dev/problems/teapot", "title": "Teapot", "status": 418,
                    "detail": "Short and stout.", "code": "teapot",
                    "errors": [{"field": "spout", "code": "missing", "message": "No spout."}]}
