"""The workflow API: the CRM's lead lifecycle end to end, and every refusal with its status."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from workflow_helpers import LEAD_FIELDS, LEAD_WORKFLOW

from api_helpers import ApiClient

PROBLEM = "application/problem+json"


@pytest.fixture
def form_id(admin_api: ApiClient) -> int:
    """The lead form, published through the API, with the lead lifecycle published on it."""
    assert admin_api.post("/apps", json={"key": "crm", "name": "CRM"}).status_code == 201
    created = admin_api.post(
        "/apps/crm/forms", json={"key": "leads", "name": "Leads", "definition": {"fields": LEAD_FIELDS}}
    )
    form = created.get_json()["id"]
    assert admin_api.post(f"/forms/{form}/publish", json={}).status_code == 201
    assert (
        admin_api.put(f"/forms/{form}/workflow/draft", json={"definition": LEAD_WORKFLOW}).status_code == 200
    )
    assert admin_api.post(f"/forms/{form}/workflow/publish").status_code == 201
    return form


def create_lead(api: ApiClient, form_id: int, **data: Any) -> dict[str, Any]:
    response = api.post(f"/forms/{form_id}/records", json={"data": {"name": "ACME", **data}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def take(api: ApiClient, form_id: int, record: dict[str, Any], key: str, **body: Any) -> Any:
    return api.post(
        f"/forms/{form_id}/records/{record['id']}/transitions/{key}",
        json={"version": record["version"], **body},
    )


def test_lead_lifecycle_runs_end_to_end(admin_api: ApiClient, rep_api: ApiClient, form_id: int) -> None:
    lead = create_lead(rep_api, form_id, phone="13812345678")
    assert lead["state"] == "new"
    contacted = take(rep_api, form_id, lead, "contact", changes={"notes": "first call"})
    assert contacted.status_code == 200, contacted.get_json()
    qualified = take(rep_api, form_id, contacted.get_json(), "qualify", changes={"amount": 88000})
    assert qualified.status_code == 200, qualified.get_json()
    converted = take(admin_api, form_id, qualified.get_json(), "convert", comment="Contract signed")
    assert converted.status_code == 200, converted.get_json()
    body = converted.get_json()
    assert (body["state"], body["version"], body["data"]["amount"]) == ("converted", 4, 88000)
    assert converted.headers["ETag"] == '"4"'
    history = rep_api.get(f"/forms/{form_id}/records/{lead['id']}/revisions").get_json()["items"]
    assert [(item["action"], item["diff"].get("state")) for item in history] == [
        ("transition", ["qualified", "converted"]),
        ("transition", ["contacting", "qualified"]),
        ("transition", ["new", "contacting"]),
        ("create", None),
    ]


def test_lead_can_be_disqualified_from_any_open_state(rep_api: ApiClient, form_id: int) -> None:
    lead = create_lead(rep_api, form_id)
    response = take(rep_api, form_id, lead, "disqualify", changes={"reason": "duplicate"})
    assert (response.status_code, response.get_json()["state"]) == (200, "invalid")
    listed = rep_api.get(f"/forms/{form_id}/records/{lead['id']}/transitions").get_json()
    assert (listed["state"], listed["items"]) == ("invalid", [])


def test_available_transitions_say_why_a_guard_refuses(rep_api: ApiClient, form_id: int) -> None:
    lead = create_lead(rep_api, form_id)
    listed = rep_api.get(f"/forms/{form_id}/records/{lead['id']}/transitions",
                         headers={"Accept-Language": "zh-CN"}).get_json()
    assert (listed["state"], listed["state_label"], listed["version"]) == ("new", "新线索", 1)
    options = {item["key"]: item for item in listed["items"]}
    assert set(options) == {"contact", "disqualify"}
    assert options["contact"]["allowed"] is False
    assert options["contact"]["reasons"] == ["需要先填写手机号"]
    assert (options["disqualify"]["allowed"], options["disqualify"]["required_fields"]) == (True, ["reason"])


def test_available_transitions_say_why_a_role_refuses(rep_api: ApiClient, form_id: int) -> None:
    lead = create_lead(rep_api, form_id, phone="13812345678", amount=5)
    lead = take(rep_api, form_id, lead, "contact").get_json()
    lead = take(rep_api, form_id, lead, "qualify").get_json()
    listed = rep_api.get(f"/forms/{form_id}/records/{lead['id']}/transitions").get_json()
    convert = next(item for item in listed["items"] if item["key"] == "convert")
    assert (convert["allowed"], convert["reasons"]) == (False, ["Only administrators may Convert."])


def test_refused_guard_answers_403_with_the_reason(rep_api: ApiClient, form_id: int) -> None:
    response = take(rep_api, form_id, create_lead(rep_api, form_id), "contact")
    assert (response.status_code, response.mimetype) == (403, PROBLEM)
    body = response.get_json()
    assert (body["code"], body["reasons"]) == ("transition_forbidden", ["Fill in Phone first"])


def test_stale_version_answers_409_with_the_current_record(rep_api: ApiClient, form_id: int) -> None:
    lead = create_lead(rep_api, form_id, phone="13812345678")
    assert (
        rep_api.patch(
            f"/forms/{form_id}/records/{lead['id']}", json={"version": 1, "data": {"notes": "x"}}
        ).status_code
        == 200
    )
    response = take(rep_api, form_id, lead, "contact")
    assert (response.status_code, response.get_json()["code"]) == (409, "stale_version")
    assert response.get_json()["current"]["version"] == 2


def test_transition_from_another_state_answers_409(rep_api: ApiClient, form_id: int) -> None:
    response = take(rep_api, form_id, create_lead(rep_api, form_id), "convert")
    assert (response.status_code, response.get_json()["code"]) == (409, "transition_unavailable")


def test_unknown_transition_answers_404(rep_api: ApiClient, form_id: int) -> None:
    assert take(rep_api, form_id, create_lead(rep_api, form_id), "teleport").status_code == 404


def test_missing_required_field_answers_422(rep_api: ApiClient, form_id: int) -> None:
    response = take(rep_api, form_id, create_lead(rep_api, form_id), "disqualify")
    assert response.status_code == 422
    assert [(error["field"], error["code"]) for error in response.get_json()["errors"]] == [
        ("reason", "required")
    ]


def test_transition_body_without_version_answers_422(rep_api: ApiClient, form_id: int) -> None:
    lead = create_lead(rep_api, form_id)
    response = rep_api.post(f"/forms/{form_id}/records/{lead['id']}/transitions/disqualify", json={})
    assert response.status_code == 422


def test_state_cannot_be_patched(rep_api: ApiClient, form_id: int) -> None:
    lead = create_lead(rep_api, form_id)
    response = rep_api.patch(
        f"/forms/{form_id}/records/{lead['id']}", json={"version": 1, "data": {"state": "converted"}}
    )
    assert response.status_code in (403, 422)
    assert [error["field"] for error in response.get_json()["errors"]] == ["state"]
    assert rep_api.get(f"/forms/{form_id}/records/{lead['id']}").get_json()["state"] == "new"


def test_workflow_shows_draft_version_and_diagram(rep_api: ApiClient, form_id: int) -> None:
    body = rep_api.get(f"/forms/{form_id}/workflow").get_json()
    assert body["draft"] == LEAD_WORKFLOW
    assert body["current_version"]["number"] == 1
    assert body["current_version"]["diagram"].startswith("stateDiagram-v2\n    [*] --> new\n")


def test_form_without_workflow_answers_404(admin_api: ApiClient) -> None:
    assert admin_api.post("/apps", json={"key": "crm", "name": "CRM"}).status_code == 201
    form = admin_api.post("/apps/crm/forms", json={"key": "plain", "name": "Plain"}).get_json()["id"]
    assert admin_api.get(f"/forms/{form}/workflow").status_code == 404


def test_invalid_draft_answers_422_listing_every_problem_and_keeps_the_version(
    admin_api: ApiClient, form_id: int
) -> None:
    broken = copy.deepcopy(LEAD_WORKFLOW)
    broken["initial"] = "start"
    broken["transitions"][2]["approval"] = {"mode": "any"}
    response = admin_api.put(f"/forms/{form_id}/workflow/draft", json={"definition": broken})
    assert response.status_code == 422
    assert {(error["field"], error["code"]) for error in response.get_json()["errors"]} >= {
        ("initial", "unknown_state"),
        ("transitions.2.approval", "approvals_unavailable"),
    }
    body = admin_api.get(f"/forms/{form_id}/workflow").get_json()
    assert (body["draft"], body["current_version"]["number"]) == (LEAD_WORKFLOW, 1)


def test_members_may_not_change_the_workflow(rep_api: ApiClient, form_id: int) -> None:
    response = rep_api.put(f"/forms/{form_id}/workflow/draft", json={"definition": LEAD_WORKFLOW})
    assert response.status_code == 403


def test_publishing_an_unchanged_draft_returns_the_version(admin_api: ApiClient, form_id: int) -> None:
    response = admin_api.post(f"/forms/{form_id}/workflow/publish")
    assert (response.status_code, response.get_json()["number"]) == (200, 1)


def test_new_version_and_migration_through_the_api(
    admin_api: ApiClient, rep_api: ApiClient, form_id: int
) -> None:
    lead = create_lead(rep_api, form_id, phone="13812345678")
    take(rep_api, form_id, lead, "contact")
    changed = copy.deepcopy(LEAD_WORKFLOW)
    changed["states"][1] = {"key": "calling", "label": {"en": "Calling"}}
    changed["transitions"][0]["to"] = "calling"
    changed["transitions"][1]["from"] = ["calling"]
    assert admin_api.put(f"/forms/{form_id}/workflow/draft", json={"definition": changed}).status_code == 200
    assert admin_api.post(f"/forms/{form_id}/workflow/publish").get_json()["number"] == 2
    versions = admin_api.get(f"/forms/{form_id}/workflow/versions").get_json()["items"]
    assert [item["number"] for item in versions] == [2, 1]
    refused = admin_api.post(f"/forms/{form_id}/workflow/migration", json={"mapping": {}})
    assert refused.status_code == 422
    preview = admin_api.post(
        f"/forms/{form_id}/workflow/migration/preview", json={"mapping": {"contacting": "calling"}}
    ).get_json()
    assert preview["moves"] == [
        {"from_version": 1, "from_state": "contacting", "to_state": "calling", "count": 1}
    ]
    applied = admin_api.post(
        f"/forms/{form_id}/workflow/migration", json={"mapping": {"contacting": "calling"}}
    )
    assert (applied.status_code, applied.get_json()["total"]) == (200, 1)
    record = rep_api.get(f"/forms/{form_id}/records/{lead['id']}").get_json()
    assert (record["state"], record["version"]) == ("calling", 3)
