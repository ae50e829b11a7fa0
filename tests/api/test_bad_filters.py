"""Hostile list parameters: SQL metacharacters, unknown operators, deep trees, garbage cursors.

Each gets a 4xx problem; none reaches SQL as text, none gives a 500, and the records stay intact.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from sqlalchemy import event

from api_helpers import assert_problem

INJECTION = "x'; DROP TABLE records; --"


@pytest.fixture
def statements(app):
    """Every SQL statement the app runs during the test, with its parameters."""
    seen: list[str] = []

    def record(_connection, _cursor, statement, parameters, _context, _many) -> None:
        seen.append(statement)

    engine = app.extensions["formflow.engine"]
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def records(make_record) -> list[dict]:
    return [make_record(amount=1), make_record(amount=2)]


def _list(api, form_id, query: str):
    return api.get(f"/forms/{form_id}/records?{query}")


def _filter(tree) -> str:
    return "filter=" + quote(json.dumps(tree))


def _assert_intact(api, form_id, records) -> None:
    assert api.get(f"/forms/{form_id}/records").get_json()["total"] == len(records)


@pytest.mark.parametrize("sort", ["name;DROP TABLE records", "amount desc", "amount)--", "-", "name,,",
                                  "a" * 70, "Amount", "1amount", "name, amount"])
def test_malformed_sort_is_400_before_any_sql(api, form_id, records, statements, sort):
    statements.clear()
    body = assert_problem(_list(api, form_id, "sort=" + quote(sort)), 400, "invalid_parameter")
    assert body["errors"][0]["field"] == "sort"
    assert not any("records" in statement for statement in statements)
    _assert_intact(api, form_id, records)


@pytest.mark.parametrize("sort", ["nickname", "-owner_secret", "amount,amount"])
def test_unknown_or_repeated_sort_key_is_400(api, form_id, records, sort):
    assert_problem(_list(api, form_id, "sort=" + sort), 400, "bad_sort")


@pytest.mark.parametrize("fields", ["name;--", 'name,"x"', "name,", "NAME"])
def test_malformed_fields_parameter_is_400(api, form_id, records, fields):
    assert_problem(_list(api, form_id, "fields=" + quote(fields)), 400, "invalid_parameter")


def test_unknown_field_in_fields_parameter_is_400(api, form_id, records):
    assert_problem(_list(api, form_id, "fields=name,nickname"), 400, "bad_fields")


@pytest.mark.parametrize("tree", [
    {"field": INJECTION, "op": "eq", "value": 1},
    {"field": "amount", "op": "gt; DELETE FROM records", "value": 1},
    {"field": "amount", "op": "regex", "value": ".*"},
    {"field": "nickname", "op": "eq", "value": "x"},
    {"all": [{"field": "amount", "op": "eq", "value": 1}, {"nope": []}]},
    {"field": "amount", "op": "gt", "value": {"sql": "1=1"}},
    {"all": {"field": "amount", "op": "eq", "value": 1}},
    [{"field": "amount", "op": "eq", "value": 1}],
], ids=["field-injection", "op-injection", "unknown-op", "unknown-field", "unknown-group", "object-value",
        "group-not-a-list", "list-at-top"])
def test_invalid_filter_is_refused_with_a_problem(api, form_id, records, statements, tree):
    statements.clear()
    response = _list(api, form_id, _filter(tree))
    assert response.status_code in (400, 422), response.get_json()
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"]
    assert not any("DROP" in statement or "DELETE" in statement for statement in statements)
    _assert_intact(api, form_id, records)


def test_unknown_operator_error_names_its_path(api, form_id, records):
    response = _list(api, form_id, _filter({"all": [{"field": "amount", "op": "regex", "value": ".*"}]}))
    fields = [error["field"] for error in response.get_json()["errors"]]
    assert any("all" in field and "op" in field for field in fields), fields


def test_sql_in_a_filter_value_is_only_data(api, form_id, records, statements):
    statements.clear()
    response = _list(api, form_id, _filter({"field": "name", "op": "eq", "value": INJECTION}))
    assert response.status_code == 200
    assert response.get_json()["items"] == []
    assert not any("DROP" in statement for statement in statements)
    _assert_intact(api, form_id, records)


@pytest.mark.parametrize("depth", [13, 40, 60])
def test_deeply_nested_filter_is_refused(api, form_id, records, depth):
    tree: dict = {"field": "amount", "op": "gt", "value": 1}
    for _ in range(depth):
        tree = {"not": tree}
    response = _list(api, form_id, _filter(tree))
    assert response.status_code in (400, 422)
    assert response.mimetype == "application/problem+json"


def test_filter_too_deep_for_json_parsing_is_400(api, form_id, records):
    raw = '{"not": ' * 5000 + '{"field": "amount", "op": "gt", "value": 1}' + "}" * 5000
    assert_problem(api.post(f"/forms/{form_id}/records/query", data=f'{{"filter": {raw}}}',
                            headers={"Content-Type": "application/json"}), 400, "too_deep")


def test_huge_filter_is_refused(api, form_id, records):
    tree = {"any": [{"field": "amount", "op": "eq", "value": n} for n in range(2000)]}
    response = api.post(f"/forms/{form_id}/records/query", json={"filter": tree})
    assert response.status_code in (400, 422)


@pytest.mark.parametrize("raw", ["{", "not json", '{"field": "amount", "op": "gt", "value": NaN}'])
def test_filter_that_is_not_json_is_400_naming_the_parameter(api, form_id, records, raw):
    body = assert_problem(_list(api, form_id, "filter=" + quote(raw)), 400, "invalid_json")
    assert body["errors"][0]["field"] == "filter"


@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "limit=100000", "limit=1.5", "offset=-1",
                                   "offset=x", "total=maybe", "limit=1&limit=2",
                                   "limit=" + "9" * 30])
def test_bad_paging_parameters_are_400(api, form_id, records, query):
    assert_problem(_list(api, form_id, query), 400, "invalid_parameter")


@pytest.mark.parametrize("cursor", ["garbage", "eyJ4IjogMX0", "a" * 100, "%00%01"])
def test_garbage_cursor_is_400(api, form_id, records, cursor):
    response = _list(api, form_id, "cursor=" + cursor)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_cursor_and_offset_together_are_400(api, form_id, make_record):
    for amount in range(3):
        make_record(amount=amount)
    cursor = api.get(f"/forms/{form_id}/records?limit=1").get_json()["next_cursor"]
    assert_problem(_list(api, form_id, f"cursor={quote(cursor)}&offset=1"), 400, "bad_pagination")


@pytest.mark.parametrize("search", ['"unbalanced', "a AND OR", "*", "NEAR(", INJECTION, "-", "%_\\", "名称"])
def test_search_syntax_never_breaks_the_query(api, form_id, records, search):
    response = _list(api, form_id, "search=" + quote(search))
    assert response.status_code == 200, response.get_json()
    _assert_intact(api, form_id, records)


@pytest.mark.parametrize("body", [
    {"sort": ["name; DROP TABLE records"]},
    {"fields": ["x y"]},
    {"limit": "10"},
    {"filter": "amount > 1"},
    {"unknown": True},
])
def test_query_body_shape_errors_are_422(api, form_id, records, body):
    assert_problem(api.post(f"/forms/{form_id}/records/query", json=body), 422, "validation_failed")


@pytest.mark.parametrize("before", [2**31, 2**63 - 2, 0, -5])
def test_revision_cursor_outside_the_id_range_is_400(api, form_id, records, before):
    response = api.get(f"/forms/{form_id}/records/{records[0]['id']}/revisions?before={before}")
    assert_problem(response, 400, "invalid_parameter")
