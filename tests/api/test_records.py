"""Records over the API: create (idempotent), list/query/page, show, change with optimistic locking,
delete and restore, history, comments; other workspaces' records do not exist."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from api_helpers import assert_problem


def _ids(response) -> list[int]:
    return [item["id"] for item in response.get_json()["items"]]


def test_create_record_answers_201_with_location_and_etag(api, form_id):
    response = api.post(f"/forms/{form_id}/records", json={"data": {"name": "ACME", "amount": 12}})
    assert response.status_code == 201
    body = response.get_json()
    assert body["data"] == {"name": "ACME", "amount": 12}
    assert body["version"] == 1
    assert response.headers["Location"] == f"/api/v1/forms/{form_id}/records/{body['id']}"
    assert response.headers["ETag"] == '"1"'


def test_repeated_idempotency_key_returns_the_first_record(api, form_id):
    headers = {"Idempotency-Key": "create-acme-1"}
    first = api.post(f"/forms/{form_id}/records", json={"data": {"name": "ACME"}}, headers=headers)
    again = api.post(f"/forms/{form_id}/records", json={"data": {"name": "Other"}}, headers=headers)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert api.get(f"/forms/{form_id}/records").get_json()["total"] == 1


@pytest.mark.parametrize("key", ["has space", "x" * 201, "é"])
def test_malformed_idempotency_key_is_400(api, form_id, key):
    response = api.post(f"/forms/{form_id}/records", json={"data": {"name": "ACME"}},
                        headers={"Idempotency-Key": key.encode("utf-8").decode("latin-1")})
    assert_problem(response, 400, "invalid_parameter")
    assert api.get(f"/forms/{form_id}/records").get_json()["total"] == 0


def test_record_data_is_validated_with_an_error_per_field(api, form_id):
    response = api.post(f"/forms/{form_id}/records", json={"data": {"amount": "lots", "stage": "lost"}})
    body = assert_problem(response, 422, "validation_failed")
    assert {error["field"] for error in body["errors"]} == {"name", "amount", "stage"}
    assert api.get(f"/forms/{form_id}/records").get_json()["total"] == 0


def test_unknown_record_field_is_refused_naming_it(api, form_id):
    """Unknown and hidden fields look alike; the policy refuses both (403 ``field_forbidden``)."""
    response = api.post(f"/forms/{form_id}/records", json={"data": {"name": "A", "nickname": "x"}})
    assert response.status_code in (403, 422)
    body = response.get_json()
    assert [(error["field"], error["code"]) for error in body["errors"]] == [("nickname", "unknown_field")]
    assert api.get(f"/forms/{form_id}/records").get_json()["total"] == 0


def test_wrong_field_types_are_422_per_field(api, form_id):
    response = api.post(f"/forms/{form_id}/records", json={"data": {"name": "A", "amount": "lots"}})
    body = assert_problem(response, 422, "validation_failed")
    assert [error["field"] for error in body["errors"]] == ["amount"]


def test_records_of_an_unpublished_form_are_409(api, app_key):
    form = api.post(f"/apps/{app_key}/forms", json={"key": "draft_only", "name": "Draft"}).get_json()["id"]
    assert_problem(api.post(f"/forms/{form}/records", json={"data": {}}), 409, "form_not_published")


def test_duplicate_unique_value_is_409(api, form_id, make_record):
    make_record(email="a@example.com")
    response = api.post(f"/forms/{form_id}/records", json={"data": {"name": "B", "email": "a@example.com"}})
    assert_problem(response, 409, "duplicate_value")


def test_show_record_has_an_etag(api, form_id, make_record):
    record = make_record(amount=5)
    response = api.get(f"/forms/{form_id}/records/{record['id']}")
    assert response.get_json()["data"]["amount"] == 5
    assert response.headers["ETag"] == '"1"'


def test_list_filters_sorts_and_selects_fields(api, form_id, make_record):
    small, big, bigger = make_record(amount=5), make_record(amount=500), make_record(amount=5000)
    condition = json.dumps({"field": "amount", "op": "gt", "value": 100})
    response = api.get(f"/forms/{form_id}/records?filter={quote(condition)}&sort=-amount&fields=amount")
    assert _ids(response) == [bigger["id"], big["id"]]
    assert response.get_json()["items"][0]["data"] == {"amount": 5000}
    assert small["id"] not in _ids(response)


def test_list_pages_with_a_cursor_and_next_link(api, form_id, make_record):
    created = [make_record(amount=n)["id"] for n in range(5)]
    first = api.get(f"/forms/{form_id}/records?limit=2&sort=amount")
    body = first.get_json()
    assert _ids(first) == created[:2]
    assert body["total"] == 5
    assert body["links"]["next"].startswith(f"/api/v1/forms/{form_id}/records?")
    assert first.headers["Link"] == f'<{body["links"]["next"]}>; rel="next"'
    second = api.get(body["links"]["next"].removeprefix("/api/v1"))
    assert _ids(second) == created[2:4]
    last = api.get(second.get_json()["links"]["next"].removeprefix("/api/v1"))
    assert _ids(last) == created[4:]
    assert last.get_json()["next_cursor"] is None and last.get_json()["links"]["next"] is None


def test_list_with_offset(api, form_id, make_record):
    created = [make_record(amount=n)["id"] for n in range(3)]
    assert _ids(api.get(f"/forms/{form_id}/records?sort=amount&offset=1")) == created[1:]


def test_list_searches(api, form_id, make_record):
    make_record(name="Globex Corporation")
    acme = make_record(name="Acme Rockets")
    assert _ids(api.get(f"/forms/{form_id}/records?search=rockets")) == [acme["id"]]


def test_query_in_the_body_matches_the_query_string(api, form_id, make_record):
    make_record(stage="new")
    won = make_record(stage="won")
    body = {"filter": {"all": [{"field": "stage", "op": "in", "value": ["won"]}]}, "sort": ["-id"],
            "limit": 10}
    response = api.post(f"/forms/{form_id}/records/query", json=body)
    assert response.status_code == 200
    assert _ids(response) == [won["id"]]


def test_list_without_total_skips_counting(api, form_id, make_record):
    make_record()
    assert api.get(f"/forms/{form_id}/records?total=false").get_json()["total"] is None


def test_patch_with_version_changes_the_record(api, form_id, make_record):
    record = make_record(amount=1)
    path = f"/forms/{form_id}/records/{record['id']}"
    response = api.patch(path, json={"version": 1, "data": {"amount": 2}})
    assert response.status_code == 200
    assert response.get_json()["data"]["amount"] == 2
    assert response.get_json()["version"] == 2
    assert response.headers["ETag"] == '"2"'


def test_patch_with_if_match_changes_the_record(api, form_id, make_record):
    record = make_record(amount=1)
    response = api.patch(f"/forms/{form_id}/records/{record['id']}", json={"data": {"amount": 3}},
                         headers={"If-Match": '"1"'})
    assert response.get_json()["data"]["amount"] == 3


def test_stale_patch_is_409_with_the_current_values_and_writes_nothing(api, form_id, make_record):
    record = make_record(amount=1)
    path = f"/forms/{form_id}/records/{record['id']}"
    api.patch(path, json={"version": 1, "data": {"amount": 2}})
    body = assert_problem(api.patch(path, json={"version": 1, "data": {"amount": 99}}), 409, "stale_version")
    assert body["current"]["version"] == 2
    assert body["current"]["data"]["amount"] == 2
    assert api.get(path).get_json()["data"]["amount"] == 2


def test_stale_if_match_is_409(api, form_id, make_record):
    record = make_record(amount=1)
    path = f"/forms/{form_id}/records/{record['id']}"
    api.patch(path, json={"version": 1, "data": {"amount": 2}})
    assert_problem(api.patch(path, json={"data": {"amount": 9}}, headers={"If-Match": '"1"'}),
                   409, "stale_version")


def test_patch_without_a_version_is_428(api, form_id, make_record):
    record = make_record(amount=1)
    path = f"/forms/{form_id}/records/{record['id']}"
    body = assert_problem(api.patch(path, json={"data": {"amount": 2}}), 428, "precondition_required")
    assert body["errors"][0]["field"] == "version"
    assert api.get(path).get_json()["data"]["amount"] == 1


def test_patch_with_disagreeing_version_and_if_match_is_400(api, form_id, make_record):
    record = make_record()
    path = f"/forms/{form_id}/records/{record['id']}"
    response = api.patch(path, json={"version": 1, "data": {"amount": 2}}, headers={"If-Match": '"2"'})
    assert_problem(response, 400, "invalid_parameter")


@pytest.mark.parametrize("etag", ["*", "1", '"abc"', '"1", "2"'])
def test_malformed_if_match_is_400(api, form_id, make_record, etag):
    record = make_record()
    response = api.patch(f"/forms/{form_id}/records/{record['id']}", json={"data": {"amount": 2}},
                         headers={"If-Match": etag})
    assert_problem(response, 400, "invalid_parameter")


def test_delete_moves_to_trash_and_restore_brings_back(api, form_id, make_record):
    record = make_record()
    path = f"/forms/{form_id}/records/{record['id']}"
    deleted = api.delete(path)
    assert deleted.status_code == 200
    assert deleted.get_json()["deleted_at"] is not None
    assert_problem(api.get(path), 404, "not_found")
    restored = api.post(f"{path}/restore")
    assert restored.status_code == 200
    assert api.get(path).status_code == 200


def test_delete_with_stale_if_match_is_409(api, form_id, make_record):
    record = make_record(amount=1)
    path = f"/forms/{form_id}/records/{record['id']}"
    api.patch(path, json={"version": 1, "data": {"amount": 2}})
    assert_problem(api.delete(path, headers={"If-Match": '"1"'}), 409, "stale_version")
    assert api.get(path).status_code == 200


def test_revisions_list_the_history_newest_first(api, form_id, make_record):
    record = make_record(amount=1)
    path = f"/forms/{form_id}/records/{record['id']}"
    api.patch(path, json={"version": 1, "data": {"amount": 2}})
    items = api.get(f"{path}/revisions").get_json()["items"]
    assert [item["action"] for item in items] == ["update", "create"]
    assert items[0]["diff"] == {"amount": [1, 2]}
    assert [item["action"] for item in api.get(f"{path}/revisions?limit=1").get_json()["items"]] == ["update"]


def test_comments_are_added_and_listed(api, form_id, make_record):
    record = make_record()
    path = f"/forms/{form_id}/records/{record['id']}/comments"
    response = api.post(path, json={"body": "Called them."})
    assert response.status_code == 201
    assert [item["body"] for item in api.get(path).get_json()["items"]] == ["Called them."]


def test_empty_comment_is_422(api, form_id, make_record):
    record = make_record()
    assert_problem(api.post(f"/forms/{form_id}/records/{record['id']}/comments", json={"body": ""}),
                   422, "validation_failed")


@pytest.mark.parametrize(("method", "suffix", "body"), [
    ("GET", "", None), ("PATCH", "", {"version": 1, "data": {"amount": 7}}), ("DELETE", "", None),
    ("POST", "/restore", None), ("GET", "/revisions", None), ("GET", "/comments", None),
    ("POST", "/comments", {"body": "hi"}),
])
def test_records_of_another_workspace_are_404_and_untouched(api, other_api, form_id, make_record,
                                                           method, suffix, body):
    record = make_record(amount=1)
    path = f"/forms/{form_id}/records/{record['id']}"
    response = other_api.request(method, path + suffix, json=body)
    assert_problem(response, 404, "not_found")
    after = api.get(path).get_json()
    assert (after["version"], after["data"]["amount"]) == (1, 1)
    assert api.get(path + "/comments").get_json()["items"] == []


def test_listing_another_workspaces_form_is_404(other_api, form_id):
    assert_problem(other_api.get(f"/forms/{form_id}/records"), 404, "not_found")
    response = other_api.post(f"/forms/{form_id}/records", json={"data": {"name": "x"}})
    assert_problem(response, 404, "not_found")


def test_record_ids_too_large_for_the_database_are_404(api, form_id):
    assert_problem(api.get(f"/forms/{form_id}/records/{2**70}"), 404, "not_found")
    assert_problem(api.get(f"/forms/{2**40}/records"), 404, "not_found")
