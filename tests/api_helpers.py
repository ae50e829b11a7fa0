"""Assertions shared by the API tests."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

PROBLEM_TYPE = "application/problem+json"

#: the 'leads' form the API tests publish
LEADS_DEFINITION = {
    "fields": [
        {"key": "name", "type": "text", "label": {"en": "Name", "zh-CN": "名称"}, "required": True,
         "indexed": True, "searchable": True},
        {"key": "amount", "type": "number", "label": {"en": "Amount"}},
        {"key": "stage", "type": "select", "label": {"en": "Stage"},
         "options": [{"value": "new", "label": {"en": "New"}}, {"value": "won", "label": {"en": "Won"}}]},
        {"key": "email", "type": "email", "label": {"en": "Email"}, "unique": True},
    ],
}


class ApiClient:
    """The Flask test client with a bearer token and English messages on every request."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept-Language": "en"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                **kwargs: Any) -> TestResponse:
        return self.client.open(f"/api/v1{path}", method=method, headers=self.headers(headers), **kwargs)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("DELETE", path, **kwargs)


def assert_problem(response: TestResponse, status: int, code: str) -> dict[str, Any]:
    """The problem body of ``response``, after checking its status, media type, code and shape."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM_TYPE
    body = response.get_json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"https://formflow.dev/problems/{code}"
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["errors"], list)
    return body
