"""The language switch: session, user preference, Accept-Language, and where it sends the browser."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from web_helpers import csrf_token

from formflow.accounts.models import User


def switch(client: FlaskClient, locale: str, next_path: str = "/login", token_page: str = "/login"):
    """Press a language button."""
    return client.post("/language", data={"csrf_token": csrf_token(client, token_page), "locale": locale,
                                          "next": next_path})


@pytest.mark.parametrize(("accept", "expected"), [("zh-CN,zh;q=0.9", "登录 Formflow"),
                                                   ("en-US,en;q=0.9", "Log in to Formflow")])
def test_pages_follow_the_browser_language(client: FlaskClient, accept: str, expected: str) -> None:
    assert expected in client.get("/login", headers={"Accept-Language": accept}).get_data(as_text=True)


@pytest.mark.parametrize(("locale", "lang", "expected"), [("en", "en", "Log in to Formflow"),
                                                           ("zh_CN", "zh-CN", "登录 Formflow")])
def test_language_choice_persists_in_the_session(client: FlaskClient, locale: str, lang: str,
                                                 expected: str) -> None:
    other = "zh-CN" if locale == "en" else "en"
    response = switch(client, locale)
    assert response.status_code == 302
    page = client.get("/login", headers={"Accept-Language": other}).get_data(as_text=True)
    assert f'<html lang="{lang}"' in page
    assert expected in page


def test_language_choice_is_remembered_for_the_user(logged_in, make_user, session) -> None:
    user = make_user()
    client = logged_in(user)
    switch(client, "en", token_page="/")
    session.expire_all()
    assert session.get(User, user.id).locale == "en"


def test_users_language_applies_after_login(client: FlaskClient, make_user, session, logged_in) -> None:
    user = make_user()
    session.get(User, user.id).locale = "en"
    session.commit()
    page = logged_in(user).get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Choose a workspace" in page


def test_lang_parameter_wins_for_one_request(client: FlaskClient) -> None:
    switch(client, "zh_CN")
    assert "Log in to Formflow" in client.get("/login?lang=en").get_data(as_text=True)
    assert "登录 Formflow" in client.get("/login").get_data(as_text=True)


def test_unknown_language_is_refused_with_a_message(client: FlaskClient) -> None:
    response = switch(client, "fr")
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "locale" not in session
    # flashed in the language of the request that refused it: the default, Chinese
    assert "不支持该语言。" in client.get("/login").get_data(as_text=True)


def test_language_switch_returns_to_the_page(client: FlaskClient) -> None:
    response = switch(client, "en", next_path="/login?next=/w/acme/")
    assert response.headers["Location"] == "/login?next=/w/acme/"


def test_language_switch_never_redirects_off_site(client: FlaskClient) -> None:
    assert switch(client, "en", next_path="//evil.example/").headers["Location"] == "/"


def test_language_switch_needs_a_csrf_token(client: FlaskClient) -> None:
    assert client.post("/language", data={"locale": "en"}).status_code == 400


def test_language_buttons_mark_the_current_language(client: FlaskClient) -> None:
    page = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert re.search(r'value="en" lang="en"\s+aria-pressed="true"', page)
    assert re.search(r'value="zh_CN" lang="zh-CN"\s+aria-pressed="false"', page)
