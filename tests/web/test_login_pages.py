"""Logging in and out with the test client: CSRF, errors, session rotation, safe redirects."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from web_helpers import csrf_token, log_in

from formflow.accounts.models import User


def test_login_page_offers_a_form_with_a_csrf_token(client: FlaskClient) -> None:
    response = client.get("/login", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="csrf_token"' in page
    assert 'autocomplete="current-password"' in page


def test_login_without_csrf_token_is_refused(client: FlaskClient, make_user) -> None:
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": "secret-pass"},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "The page has expired" in response.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_login_with_a_forged_csrf_token_is_refused(client: FlaskClient, make_user) -> None:
    user = make_user()
    csrf_token(client)
    response = client.post("/login", data={"email": user.email, "password": "secret-pass",
                                           "csrf_token": "forged"})
    assert response.status_code == 400


def test_logout_without_csrf_token_is_refused_and_keeps_the_user_logged_in(logged_in, make_user) -> None:
    client = logged_in(make_user())
    assert client.post("/logout").status_code == 400
    with client.session_transaction() as session:
        assert "_user_id" in session


def test_logout_by_get_is_not_allowed(logged_in, make_user) -> None:
    client = logged_in(make_user())
    response = client.get("/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_logout_with_token_logs_out_and_clears_the_session(logged_in, make_user) -> None:
    client = logged_in(make_user())
    token = csrf_token(client, "/")
    response = client.post("/logout", data={"csrf_token": token}, headers={"Accept-Language": "en"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    with client.session_transaction() as session:
        assert "_user_id" not in session
        assert "csrf_token" not in session
    assert "You have logged out." in client.get("/login").get_data(as_text=True)


def test_login_success_redirects_to_the_start_page(client: FlaskClient, make_user) -> None:
    response = log_in(client, make_user())
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_ignores_the_case_of_the_email(client: FlaskClient, make_user) -> None:
    user = make_user(email="ada@example.com")
    response = client.post("/login", data={"csrf_token": csrf_token(client), "email": "  ADA@Example.com ",
                                           "password": "secret-pass"})
    assert response.status_code == 302
    assert user.email == "ada@example.com"


@pytest.mark.parametrize(("email", "password"), [
    ("{user}", "wrong-pass"),
    ("nobody@example.com", "secret-pass"),
    ("{user}", "x" * 5000),
])
def test_failed_login_keeps_the_typed_email_and_says_why(client: FlaskClient, make_user,
                                                         email: str, password: str) -> None:
    typed = email.format(user=make_user().email)
    response = client.post("/login", data={"csrf_token": csrf_token(client), "email": typed,
                                           "password": password}, headers={"Accept-Language": "en"})
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert f'value="{typed}"' in page
    assert "The email address or password is incorrect." in page
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_failed_login_never_echoes_the_password(client: FlaskClient, make_user) -> None:
    user = make_user()
    response = client.post("/login", data={"csrf_token": csrf_token(client), "email": user.email,
                                           "password": "my-wrong-secret"})
    assert "my-wrong-secret" not in response.get_data(as_text=True)


def test_inactive_user_cannot_log_in(client: FlaskClient, make_user, session) -> None:
    user = make_user()
    session.get(User, user.id).is_active = False
    session.commit()
    assert log_in(client, user).status_code == 401


def test_login_error_speaks_chinese(client: FlaskClient, make_user) -> None:
    user = make_user()
    response = client.post("/login", data={"csrf_token": csrf_token(client), "email": user.email,
                                           "password": "wrong"}, headers={"Accept-Language": "zh-CN"})
    assert "邮箱地址或密码不正确。" in response.get_data(as_text=True)


def test_login_names_each_missing_field(client: FlaskClient) -> None:
    response = client.post("/login", data={"csrf_token": csrf_token(client), "email": "", "password": ""},
                           headers={"Accept-Language": "en"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter your email address." in page
    assert "Enter your password." in page
    assert 'aria-describedby="email-error"' in page


def test_login_rotates_the_session(client: FlaskClient, make_user) -> None:
    user = make_user()
    token_before = csrf_token(client)
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        session["locale"] = "en"
    response = client.post("/login", data={"csrf_token": token_before, "email": user.email,
                                           "password": "secret-pass"})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["locale"] == "en"
        assert session["_user_id"] == str(user.id)
        assert "csrf_token" not in session
    assert csrf_token(client, "/") != token_before


def test_pages_need_a_login_and_come_back_after_it(client: FlaskClient, make_user, workspace) -> None:
    response = client.get(f"/w/{workspace.slug}/?tab=apps")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=/w/{workspace.slug}/?tab%3Dapps"
    user = make_user(workspace)
    response = log_in(client, user, next=f"/w/{workspace.slug}/?tab=apps")
    assert response.headers["Location"] == f"/w/{workspace.slug}/?tab=apps"


@pytest.mark.parametrize("target", [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    "w/acme/",
])
def test_login_never_redirects_off_site(client: FlaskClient, make_user, target: str) -> None:
    response = log_in(client, make_user(), next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_logged_in_user_visiting_login_goes_to_next(logged_in, make_user) -> None:
    client = logged_in(make_user())
    response = client.get("/login?next=/w/acme/")
    assert response.headers["Location"] == "/w/acme/"


def test_deactivated_user_is_logged_out_on_the_next_request(logged_in, make_user, session) -> None:
    user = make_user()
    client = logged_in(user)
    session.get(User, user.id).is_active = False
    session.commit()
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
