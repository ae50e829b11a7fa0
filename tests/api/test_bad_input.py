"""Bad input of every class gets its 4xx problem before anything runs, and nothing is written."""

from __future__ import annotations

import io

import pytest

from api_helpers import assert_problem


@pytest.fixture
def no_apps_written(api):
    yield
    assert api.get("/apps").get_json()["items"] == []


def _post_raw(api, data: bytes | str, content_type: str = "application/json"):
    return api.post("/apps", data=data, headers={"Content-Type": content_type})


@pytest.mark.parametrize(("raw", "where"), [
    ('{"key": "crm", "name": "CRM"', "Line 1, column 29"),
    ('{"key": "crm",, "name": "CRM"}', "Line 1, column 15"),
    ("{'key': 'crm'}", "Line 1, column 2"),
    ('{"key": "crm",\n "name": }', "Line 2, column 10"),
])
def test_malformed_json_is_400_naming_line_and_column(api, no_apps_written, raw, where):
    body = assert_problem(_post_raw(api, raw), 400, "invalid_json")
    assert body["detail"].startswith(where)
    assert body["errors"][0]["field"] == "body"


@pytest.mark.parametrize("raw", [
    '{"key": "crm", "name": NaN}',
    '{"key": "crm", "name": -Infinity}',
    '{"key": "crm", "name": "CRM", "n": 1' + "0" * 5000 + "}",
    b'{"key": "\xff\xfe", "name": "CRM"}',
], ids=["nan", "infinity", "huge-integer", "not-utf8"])
def test_non_json_values_are_400(api, no_apps_written, raw):
    assert_problem(_post_raw(api, raw), 400, "invalid_json")


def test_deeply_nested_json_is_400(api, no_apps_written):
    raw = '{"key": "crm", "name": "CRM", "description": ' + "[" * 100_000 + "]" * 100_000 + "}"
    body = assert_problem(_post_raw(api, raw), 400, "too_deep")
    assert body["errors"][0]["code"] == "too_deep"


def test_json_nested_beyond_the_limit_is_400_even_when_python_could_parse_it(api, no_apps_written):
    raw = '{"key": "crm", "name": "CRM", "description": ' + "[" * 70 + "]" * 70 + "}"
    assert_problem(_post_raw(api, raw), 400, "too_deep")


def test_unknown_body_field_is_422_naming_it(api, no_apps_written):
    body = assert_problem(api.post("/apps", json={"key": "crm", "name": "CRM", "colour": "red"}),
                          422, "validation_failed")
    assert body["errors"] == [{"field": "colour", "code": "unknown_field", "message": "Unknown field."}]


def test_wrong_types_are_422_with_one_error_per_field(api, no_apps_written):
    body = assert_problem(api.post("/apps", json={"key": 42, "name": ["CRM"]}), 422, "validation_failed")
    assert {error["field"] for error in body["errors"]} == {"key", "name"}
    assert next(e for e in body["errors"] if e["field"] == "key")["code"] == "wrong_type"


def test_missing_required_field_is_422(api, no_apps_written):
    body = assert_problem(api.post("/apps", json={"name": "CRM"}), 422, "validation_failed")
    assert body["errors"] == [{"field": "key", "code": "required", "message": "This field is required."}]


def test_body_that_is_not_an_object_is_422(api, no_apps_written):
    body = assert_problem(api.post("/apps", json=["crm"]), 422, "validation_failed")
    assert body["errors"][0]["field"] == "body"


def test_missing_body_is_400(api, no_apps_written):
    assert_problem(api.post("/apps"), 400, "missing_body")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])
def test_body_that_is_not_json_is_415(api, no_apps_written, content_type):
    response = _post_raw(api, '{"key": "crm", "name": "CRM"}', content_type)
    assert_problem(response, 415, "unsupported_media_type")


def test_json_with_a_vendor_media_type_is_accepted(api):
    response = _post_raw(api, '{"key": "crm", "name": "CRM"}', "application/vnd.formflow+json")
    assert response.status_code == 201


def test_oversized_body_is_413_naming_the_limit(app, api, no_apps_written):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = api.post("/apps", json={"key": "crm", "name": "CRM", "description": {"en": "x" * 5000}})
    body = assert_problem(response, 413, "payload_too_large")
    assert body["max_content_length"] == 1000


def test_oversized_body_without_content_length_is_413(app, api, no_apps_written):
    app.config["MAX_CONTENT_LENGTH"] = 1000

    raw = b'{"key": "crm", "name": "' + b"x" * 5000 + b'"}'
    response = api.post("/apps", input_stream=io.BytesIO(raw), headers={"Content-Type": "application/json"},
                        environ_overrides={"wsgi.input_terminated": True})
    assert_problem(response, 413, "payload_too_large")


def test_unknown_query_parameter_is_400_naming_it(api):
    body = assert_problem(api.get("/apps?colour=red"), 400, "invalid_parameter")
    assert body["errors"][0]["field"] == "colour"


def test_lang_query_parameter_is_always_accepted(api):
    assert api.get("/apps?lang=en").status_code == 200
