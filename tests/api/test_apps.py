"""Apps: list, install (admins), show; other workspaces' apps do not exist."""

from __future__ import annotations

from api_helpers import assert_problem


def test_install_app_answers_201_with_its_location(api):
    response = api.post("/apps", json={"key": "crm", "name": {"en": "CRM", "zh-CN": "客户"}})
    assert response.status_code == 201
    assert response.headers["Location"] == "/api/v1/apps/crm"
    body = response.get_json()
    assert body["key"] == "crm"
    assert body["name"] == {"en": "CRM", "zh-CN": "客户"}


def test_installed_app_is_listed_and_shown(api):
    api.post("/apps", json={"key": "crm", "name": "CRM"})
    assert [app["key"] for app in api.get("/apps").get_json()["items"]] == ["crm"]
    assert api.get("/apps/crm").get_json()["key"] == "crm"


def test_member_may_not_install_apps(member_api, api):
    assert_problem(member_api.post("/apps", json={"key": "crm", "name": "CRM"}), 403, "forbidden")
    assert api.get("/apps").get_json()["items"] == []


def test_duplicate_app_key_is_409(api):
    api.post("/apps", json={"key": "crm", "name": "CRM"})
    assert_problem(api.post("/apps", json={"key": "crm", "name": "Again"}), 409, "duplicate_key")


def test_app_of_another_workspace_is_404(api, other_api):
    other_api.post("/apps", json={"key": "theirs", "name": "Theirs"})
    assert_problem(api.get("/apps/theirs"), 404, "not_found")
    assert api.get("/apps").get_json()["items"] == []


def test_unknown_app_is_404(api):
    assert_problem(api.get("/apps/nothing"), 404, "not_found")


def test_malformed_app_key_in_path_is_404(api):
    assert_problem(api.get("/apps/Not-A-Key"), 404, "not_found")
