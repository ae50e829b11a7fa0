"""Error pages speak the user's language; /api/ errors stay problem+json; CSRF covers pages only."""

from __future__ import annotations

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient

from formflow.errors import NotFound
from formflow.i18n import gettext
from formflow.web.errors import API_RENDERER

#: status -> (English title, Chinese title)
TITLES = {
    400: ("Bad request", "请求有误"),
    403: ("Access denied", "无权访问"),
    404: ("Page not found", "页面不存在"),
    405: ("Action not allowed", "不允许此操作"),
    413: ("Too large", "内容过大"),
    500: ("Something went wrong", "出错了"),
}
LANGUAGES = {"en": 0, "zh-CN": 1}


def _fail() -> None:
    raise RuntimeError("boom")


def _service_error() -> None:
    raise NotFound(gettext("No such form."))


@pytest.fixture
def failing_app(app: Flask) -> Flask:
    """The app with routes that fail with each status, and exceptions turned into 500 pages."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    for status in (400, 403, 413):
        app.add_url_rule(f"/test-abort/{status}", f"abort_{status}", lambda status=status: abort(status))
    app.add_url_rule("/test-abort/404", "abort_404", lambda: abort(404))
    app.add_url_rule("/test-abort/405", "abort_405", lambda: "only POST", methods=["POST"])
    app.add_url_rule("/test-abort/500", "abort_500", _fail)
    app.add_url_rule("/test-service-error", "service_error", _service_error)
    return app


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("status", list(TITLES))
def test_error_pages_speak_the_users_language(failing_app: Flask, status: int, language: str) -> None:
    response = failing_app.test_client().get(f"/test-abort/{status}", headers={"Accept-Language": language})
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert TITLES[status][LANGUAGES[language]] in page
    assert f'<html lang="{language}"' in page


def test_unknown_path_is_a_localized_404_page(client: FlaskClient) -> None:
    response = client.get("/no/such/page", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_error_page_follows_the_session_language(client: FlaskClient) -> None:
    with client.session_transaction() as session:
        session["locale"] = "en"
    page = client.get("/no/such/page", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Page not found" in page


def test_500_page_needs_no_database_navigation(failing_app: Flask) -> None:
    page = failing_app.test_client().get("/test-abort/500").get_data(as_text=True)
    assert 'class="site-menu"' not in page
    assert "boom" not in page


def test_service_errors_render_as_pages_with_their_status(failing_app: Flask) -> None:
    response = failing_app.test_client().get("/test-service-error", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 404
    assert "表单不存在。" in response.get_data(as_text=True)


def test_too_large_login_post_is_a_413_page(app: Flask) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = app.test_client().post("/login", data={"email": "a" * 5000},
                                      headers={"Accept-Language": "en"})
    assert response.status_code == 413
    assert "Too large" in response.get_data(as_text=True)


def test_csrf_failure_page_is_localized(client: FlaskClient) -> None:
    response = client.post("/login", data={"email": "x"}, headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)


def test_api_errors_are_problem_json_not_pages(client: FlaskClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_api_posts_are_not_subject_to_page_csrf(client: FlaskClient) -> None:
    response = client.post("/api/v1/no-such-thing", json={})
    assert response.mimetype == "application/problem+json"
    assert "CSRF" not in response.get_data(as_text=True)


def test_api_errors_without_the_api_renderer_are_bare_problems(app: Flask) -> None:
    app.extensions.pop(API_RENDERER, None)
    response = app.test_client().get("/api/v1/no-such-thing")
    assert response.mimetype == "application/problem+json"
    assert response.get_json() == {"type": "about:blank", "title": "Not Found", "status": 404,
                                   "code": "not_found"}


@pytest.mark.parametrize("path", ["/login", "/no/such/page", "/api/v1/no-such-thing"])
def test_responses_refuse_framing_and_sniffing(client: FlaskClient, path: str) -> None:
    headers = client.get(path).headers
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert headers["X-Content-Type-Options"] == "nosniff"
