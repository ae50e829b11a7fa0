"""Helpers for page tests with the Flask test client: the CSRF token and the login form."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from formflow.accounts.models import User

PASSWORD = "secret-pass"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token a page at ``path`` hands out to this client's session."""
    match = _TOKEN.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def log_in(client: FlaskClient, user: User, password: str = PASSWORD, **extra: str) -> Any:
    """Post the login form as a browser would (token included); the response, not followed."""
    return client.post("/login", data={"csrf_token": csrf_token(client), "email": user.email,
                                       "password": password, **extra})
