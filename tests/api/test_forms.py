"""Forms: create, show, draft, publish with impact, versions; other workspaces' forms do not exist."""

from __future__ import annotations

import copy

import pytest

from api_helpers import LEADS_DEFINITION, assert_problem


def test_create_form_answers_201_with_an_unpublished_draft(api, app_key):
    response = api.post(f"/apps/{app_key}/forms", json={"key": "leads", "name": "Leads",
                                                         "definition": LEADS_DEFINITION})
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/forms/{body['id']}"
    assert body["current_version"] is None
    assert body["draft"] == LEADS_DEFINITION


def test_form_without_definition_starts_empty(api, app_key):
    body = api.post(f"/apps/{app_key}/forms", json={"key": "notes", "name": "Notes"}).get_json()
    assert body["draft"] == {"fields": []}


def test_forms_are_listed_without_drafts(api, app_key, form_id):
    items = api.get(f"/apps/{app_key}/forms").get_json()["items"]
    assert [(item["id"], item["current_version"]) for item in items] == [(form_id, 1)]
    assert "draft" not in items[0]


def test_show_form_includes_the_draft(api, form_id):
    body = api.get(f"/forms/{form_id}").get_json()
    assert body["key"] == "leads"
    assert body["draft"]["fields"][0]["key"] == "name"


def test_save_draft_replaces_the_draft_but_not_the_version(api, form_id):
    definition = copy.deepcopy(LEADS_DEFINITION)
    definition["fields"].append({"key": "notes", "type": "textarea", "label": {"en": "Notes"}})
    body = api.put(f"/forms/{form_id}/draft", json={"definition": definition}).get_json()
    assert [field["key"] for field in body["draft"]["fields"]][-1] == "notes"
    assert body["current_version"] == 1


def test_publish_makes_a_new_version(api, form_id):
    definition = copy.deepcopy(LEADS_DEFINITION)
    definition["fields"].append({"key": "notes", "type": "textarea", "label": {"en": "Notes"}})
    api.put(f"/forms/{form_id}/draft", json={"definition": definition})
    response = api.post(f"/forms/{form_id}/publish", json={"confirm": False})
    assert response.status_code == 201
    assert response.get_json()["number"] == 2


def test_publishing_an_unchanged_draft_returns_the_current_version(api, form_id):
    response = api.post(f"/forms/{form_id}/publish")
    assert response.status_code == 200
    assert response.get_json()["number"] == 1


def test_publish_with_impact_is_409_listing_impacts_until_confirmed(api, form_id, make_record):
    make_record()
    definition = copy.deepcopy(LEADS_DEFINITION)
    definition["fields"][1]["required"] = True  # amount: existing record has none
    api.put(f"/forms/{form_id}/draft", json={"definition": definition})
    body = assert_problem(api.post(f"/forms/{form_id}/publish", json={}), 409, "publish_impact")
    assert body["impacts"][0]["field"] == "amount"
    assert body["confirmable"] is True
    assert api.get(f"/forms/{form_id}").get_json()["current_version"] == 1
    assert api.post(f"/forms/{form_id}/publish", json={"confirm": True}).status_code == 201


def test_versions_are_listed_newest_first_and_shown_with_definitions(api, form_id):
    definition = copy.deepcopy(LEADS_DEFINITION)
    definition["fields"].append({"key": "notes", "type": "textarea", "label": {"en": "Notes"}})
    api.put(f"/forms/{form_id}/draft", json={"definition": definition})
    api.post(f"/forms/{form_id}/publish", json={})
    listed = api.get(f"/forms/{form_id}/versions").get_json()["items"]
    assert [version["number"] for version in listed] == [2, 1]
    first = api.get(f"/forms/{form_id}/versions/1").get_json()
    assert first["definition"] == LEADS_DEFINITION
    assert first["json_schema"]["additionalProperties"] is False


def test_unknown_version_is_404(api, form_id):
    assert_problem(api.get(f"/forms/{form_id}/versions/9"), 404, "not_found")


@pytest.mark.parametrize("path", ["", "/versions", "/versions/1"])
def test_forms_of_another_workspace_are_404(other_api, form_id, path):
    assert_problem(other_api.get(f"/forms/{form_id}{path}"), 404, "not_found")


def test_another_workspace_cannot_change_or_publish_a_form(other_api, api, form_id):
    assert_problem(other_api.put(f"/forms/{form_id}/draft", json={"definition": {"fields": []}}),
                   404, "not_found")
    assert_problem(other_api.post(f"/forms/{form_id}/publish", json={"confirm": True}), 404, "not_found")
    assert api.get(f"/forms/{form_id}").get_json()["draft"] == LEADS_DEFINITION


def test_member_cannot_change_a_draft(member_api, api, form_id):
    assert_problem(member_api.put(f"/forms/{form_id}/draft", json={"definition": {"fields": []}}),
                   403, "forbidden")
    assert api.get(f"/forms/{form_id}").get_json()["draft"] == LEADS_DEFINITION


def test_invalid_definition_is_422_with_an_error_per_problem(api, form_id):
    definition = {"fields": [{"key": "Bad Key", "type": "text", "label": {"en": "A"}},
                             {"key": "ok", "type": "no_such_type", "label": {"en": "B"}}]}
    body = assert_problem(api.put(f"/forms/{form_id}/draft", json={"definition": definition}),
                          422, "validation_failed")
    assert len(body["errors"]) >= 2
    assert api.get(f"/forms/{form_id}").get_json()["draft"] == LEADS_DEFINITION


@pytest.mark.parametrize("pattern", ["(a+)+$", "(\\d*)*x", "(.*a){20}"])
def test_catastrophic_regex_pattern_is_refused(api, form_id, pattern):
    definition = {"fields": [{"key": "name", "type": "text", "label": {"en": "Name"}, "pattern": pattern}]}
    body = assert_problem(api.put(f"/forms/{form_id}/draft", json={"definition": definition}),
                          422, "validation_failed")
    assert body["errors"][0]["field"] == "name"
    assert api.get(f"/forms/{form_id}").get_json()["draft"] == LEADS_DEFINITION


def test_slow_pattern_the_check_misses_is_stopped_when_a_record_is_saved(api, app_key):
    """Overlapping alternatives pass the static check; the run-time budget refuses the value."""
    import time

    code = {"key": "code", "type": "text", "label": {"en": "Code"}, "pattern": "^(a|a)*b$"}
    definition = {"fields": [code]}
    form = api.post(f"/apps/{app_key}/forms", json={"key": "codes", "name": "Codes",
                                                     "definition": definition}).get_json()["id"]
    api.post(f"/forms/{form}/publish", json={})
    started = time.monotonic()
    response = api.post(f"/forms/{form}/records", json={"data": {"code": "a" * 40}})
    assert time.monotonic() - started < 5
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"][0]["field"] == "code"
    assert api.get(f"/forms/{form}/records").get_json()["total"] == 0


def test_form_with_too_many_fields_is_refused(api, app_key):
    fields = [{"key": f"f{n}", "type": "text", "label": {"en": f"F{n}"}} for n in range(501)]
    response = api.post(f"/apps/{app_key}/forms", json={"key": "huge", "name": "Huge",
                                                         "definition": {"fields": fields}})
    assert response.status_code in (400, 422)
    assert api.get(f"/apps/{app_key}/forms").get_json()["items"] == []


def test_deeply_nested_visibility_condition_is_refused(api, form_id):
    condition: dict = {"field": "amount", "op": "gt", "value": 1}
    for _ in range(30):
        condition = {"not": condition}
    definition = copy.deepcopy(LEADS_DEFINITION)
    definition["fields"][0]["visible_if"] = condition
    response = api.put(f"/forms/{form_id}/draft", json={"definition": definition})
    assert response.status_code in (400, 422)
    assert api.get(f"/forms/{form_id}").get_json()["draft"] == LEADS_DEFINITION


def test_draft_body_with_unknown_top_level_field_is_422(api, form_id):
    body = assert_problem(api.put(f"/forms/{form_id}/draft", json={"definition": {"fields": []}, "x": 1}),
                          422, "validation_failed")
    assert body["errors"][0] == {"field": "x", "code": "unknown_field", "message": "Unknown field."}


@pytest.mark.parametrize("key", [{"nested": "object"}, ["list"], 42, None])
def test_field_key_of_the_wrong_type_is_422_not_a_crash(api, form_id, key):
    definition = {"fields": [{"key": key, "type": "text", "label": {"en": "Name"}}]}
    response = api.put(f"/forms/{form_id}/draft", json={"definition": definition})
    assert_problem(response, 422, "validation_failed")
