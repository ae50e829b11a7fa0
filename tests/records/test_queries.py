"""Record queries: filters, sorts, keyset pages (equal to offset pages), cursors, counts, field
selection, relation titles, history, and the field mask and scope on every path."""

from __future__ import annotations

import base64
import json
import random
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.records.conftest import field

from formflow.errors import BadRequest, ValidationFailed
from formflow.records.queries import QueryLimits, RecordQuery, get_record, list_revisions, query_records
from formflow.records.service import bulk_create, create_record, update_record

#: a form with one field of each sortable kind
SORTABLE = [field("name"), field("amount", "number"), field("price", "currency"), field("active", "boolean"),
            field("due", "date"), field("stage", "select", options=[{"value": v, "label": {"en": v}}
                                                                    for v in ("a", "b", "c")]),
            field("tags", "multiselect", options=[{"value": "x", "label": {"en": "x"}}])]
SORT_KEYS = ["name", "amount", "price", "active", "due", "stage", "created_at", "id", "owner"]


def names(page) -> list[str]:
    return [item["data"].get("name") for item in page.items]


@pytest.fixture
def sortable(make_form):
    return make_form(SORTABLE, key="sortable")


@pytest.fixture
def dataset(session, member, sortable):
    """40 records with repeated values and empty fields, so ties and NULLs need the tiebreakers."""
    rng = random.Random(7)
    rows = []
    for index in range(40):
        row = {"name": f"r{index:02d}", "amount": rng.choice([None, 1, 2, 2.5, 10]),
               "price": rng.choice([None, "1.10", "1.1", "99.99"]), "active": rng.choice([None, True, False]),
               "due": rng.choice([None, "2026-01-02", "2026-03-04"]), "stage": rng.choice([None, "a", "b"])}
        rows.append({key: value for key, value in row.items() if value is not None})
    bulk_create(session, member, sortable, rows)
    return sortable


# --- filters and sorts --------------------------------------------------------------------------


def test_a_filter_selects_matching_records(session, member, leads, make_record):
    for name, amount in [("a", 1), ("b", 20), ("c", 30)]:
        make_record(leads, name=name, amount=amount)

    over_ten = {"field": "amount", "op": "gt", "value": 10}
    page = query_records(session, member, leads, RecordQuery(filter=over_ten, sort=["name"]))

    assert names(page) == ["b", "c"] and page.total == 2


def test_a_filter_may_use_system_fields_and_variables(session, member, other_member, leads, make_record):
    make_record(leads, name="mine")
    make_record(leads, actor=other_member, name="theirs")

    page = query_records(session, member, leads, RecordQuery(filter={"field": "owner", "op": "eq",
                                                                     "value": {"var": "me"}}))

    assert names(page) == ["mine"]


def test_sorting_by_several_keys_uses_each_in_turn(session, member, leads, make_record):
    for name, amount in [("b", 1), ("a", 2), ("c", 1), ("a", 1)]:
        make_record(leads, name=name, amount=amount)

    page = query_records(session, member, leads, RecordQuery(sort=["-amount", "name"]))

    assert [(item["data"]["amount"], item["data"]["name"]) for item in page.items] == [
        (2, "a"), (1, "a"), (1, "b"), (1, "c")]


def test_the_id_breaks_ties(session, member, leads, make_record):
    ids = [make_record(leads, name="same").id for _ in range(3)]

    page = query_records(session, member, leads, RecordQuery(sort=["name"]))

    assert [item["id"] for item in page.items] == ids


@pytest.mark.parametrize("key", ["nope", "-nope", "tags", "data", "", "--name"])
def test_an_unknown_or_unsortable_sort_key_is_a_400_naming_it(session, member, sortable, key):
    with pytest.raises(BadRequest) as failure:
        query_records(session, member, sortable, RecordQuery(sort=[key]))

    assert failure.value.code == "bad_sort" and failure.value.extra["key"] == key


def test_a_repeated_sort_key_is_a_400(session, member, leads):
    with pytest.raises(BadRequest):
        query_records(session, member, leads, RecordQuery(sort=["name", "-name"]))


@pytest.mark.parametrize("limit", [0, -1, 501, True, "10"])
def test_the_page_size_must_be_within_the_limit(session, member, leads, limit):
    with pytest.raises(BadRequest):
        query_records(session, member, leads, RecordQuery(limit=limit))


def test_a_cursor_and_an_offset_together_are_a_400(session, member, leads, make_record):
    make_record(leads, name="a")
    make_record(leads, name="b")
    first = query_records(session, member, leads, RecordQuery(limit=1))

    with pytest.raises(BadRequest):
        query_records(session, member, leads, RecordQuery(limit=1, cursor=first.next_cursor, offset=1))


def test_fields_select_the_returned_values(session, member, leads, make_record):
    make_record(leads, name="Ada", amount=3, notes="n")

    page = query_records(session, member, leads, RecordQuery(fields=["amount"]))

    assert page.items[0]["data"] == {"amount": 3}


def test_an_unknown_selected_field_is_a_400(session, member, leads):
    with pytest.raises(BadRequest) as failure:
        query_records(session, member, leads, RecordQuery(fields=["name", "bogus"]))

    assert failure.value.extra["key"] == "bogus"


# --- keyset pagination --------------------------------------------------------------------------


def _all_by_cursor(session, actor, form, sort, size, query_filter):
    seen, cursor = [], None
    while True:
        page = query_records(session, actor, form, RecordQuery(sort=sort, limit=size, cursor=cursor,
                                                               filter=query_filter, with_total=False))
        seen += [item["id"] for item in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return seen


def _all_by_offset(session, actor, form, sort, size, query_filter):
    seen, offset = [], 0
    while True:
        page = query_records(session, actor, form, RecordQuery(sort=sort, limit=size, offset=offset,
                                                               filter=query_filter, with_total=False))
        seen += [item["id"] for item in page.items]
        if not page.items:
            return seen
        offset += size


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sort=st.lists(st.sampled_from(SORT_KEYS), max_size=3, unique=True).flatmap(
           lambda keys: st.tuples(*(st.sampled_from([key, f"-{key}"]) for key in keys)).map(list)),
       size=st.integers(1, 12),
       query_filter=st.sampled_from([None, {"field": "amount", "op": "gte", "value": 2},
                                     {"field": "stage", "op": "is_not_empty"}]))
def test_keyset_pages_equal_offset_pages(session, member, dataset, sort, size, query_filter):
    by_cursor = _all_by_cursor(session, member, dataset, sort, size, query_filter)
    by_offset = _all_by_offset(session, member, dataset, sort, size, query_filter)
    everything = query_records(session, member, dataset,
                               RecordQuery(sort=sort, limit=500, filter=query_filter))

    assert by_cursor == by_offset == [item["id"] for item in everything.items]
    assert len(set(by_cursor)) == everything.total


def test_keyset_pages_follow_the_sorted_values(session, member, dataset):
    ids = _all_by_cursor(session, member, dataset, ["-price", "due"], 7, None)

    records = {item["id"]: item["data"] for item in query_records(session, member, dataset,
                                                                  RecordQuery(limit=500)).items}
    prices = [Decimal(records[record_id]["price"]) for record_id in ids if "price" in records[record_id]]
    assert prices == sorted(prices, reverse=True)


# --- cursor tampering ---------------------------------------------------------------------------


def _token(body) -> str:
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "not a cursor!", "%%%", _token([1, 2]), base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    _token({"s": ["name", "id"], "v": ["a", 1]}),
    _token({"s": ["-amount", "id"], "v": ["a", 1]}),
    _token({"s": ["-amount", "id"], "v": [1, 2**70]}),
    _token({"s": ["-amount", "id"], "v": [1, "1"]}),
    _token({"s": ["-amount", "id"], "v": [1]}),
    _token({"s": ["-amount", "id"], "v": [1, 1], "x": 1}),
    _token({"s": ["-amount", "id"], "v": [True, 1]}),
    _token({"s": ["-amount", "id"], "v": [{"d": "1"}, 1]}),
])
def test_a_tampered_cursor_is_a_400(session, member, dataset, cursor):
    with pytest.raises(BadRequest) as failure:
        query_records(session, member, dataset, RecordQuery(sort=["-amount"], cursor=cursor))

    assert failure.value.code == "invalid_cursor"


@pytest.mark.parametrize("sort, value", [
    (["-price"], {"d": "NaN"}), (["-price"], {"d": "1e99999"}), (["-price"], {"d": "abc"}), (["-price"], 1.5),
    (["-created_at"], {"t": "yesterday"}), (["-created_at"], {"t": "2026-01-01T00:00:00"}),
    (["-active"], 1), (["-name"], 5), (["-name"], "x" * 20_000),
])
def test_a_cursor_value_of_the_wrong_kind_is_a_400(session, member, dataset, sort, value):
    cursor = _token({"s": [*sort, "-id"], "v": [value, 1]})

    with pytest.raises(BadRequest):
        query_records(session, member, dataset, RecordQuery(sort=sort, cursor=cursor))


def test_a_cursor_from_another_sort_is_a_400(session, member, dataset):
    cursor = query_records(session, member, dataset, RecordQuery(sort=["name"], limit=2)).next_cursor

    with pytest.raises(BadRequest):
        query_records(session, member, dataset, RecordQuery(sort=["-name"], cursor=cursor))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(noise=st.one_of(st.text(max_size=80), st.binary(max_size=60).map(
    lambda raw: base64.urlsafe_b64encode(raw).decode())))
def test_any_garbage_cursor_is_a_400_never_a_crash(session, member, dataset, noise):
    try:
        query_records(session, member, dataset, RecordQuery(sort=["-price", "due"], cursor=noise))
    except BadRequest as error:
        assert error.code == "invalid_cursor"


# --- counts -------------------------------------------------------------------------------------


def test_counts_are_exact_up_to_the_limit(session, member, dataset):
    page = query_records(session, member, dataset, RecordQuery(limit=5), QueryLimits(exact_count_limit=40))

    assert (page.total, page.total_is_estimate) == (40, False)


def test_counts_beyond_the_limit_are_estimates(session, member, dataset):
    page = query_records(session, member, dataset, RecordQuery(limit=5), QueryLimits(exact_count_limit=10))

    assert page.total_is_estimate and page.total > 10


def test_estimated_counts_bind_the_filter_and_search(session, member, dataset):
    created_today = {"field": "created_at", "op": "date_is", "value": "today"}
    staged = {"field": "stage", "op": "in", "value": ["a", "b"]}
    query = RecordQuery(limit=5, search="r", filter={"all": [created_today, staged]})

    page = query_records(session, member, dataset, query, QueryLimits(exact_count_limit=3))

    assert page.total_is_estimate and page.total > 3


def test_counting_stops_at_the_limit(session, member, dataset, statements):
    query_records(session, member, dataset, RecordQuery(limit=5), QueryLimits(exact_count_limit=10))

    [counting] = [sql for sql in statements if "count(" in sql.lower()]
    assert "LIMIT" in counting.upper()


# --- relation titles ----------------------------------------------------------------------------


@pytest.fixture
def deals(session, member, make_form):
    customers = make_form([field("name"), field("tier")], key="customers", title_field="name")
    people = [create_record(session, member, customers, {"name": f"Customer {n}", "tier": f"T{n}"})
              for n in range(4)]
    form = make_form([field("title"), field("customer", "relation", target_form="customers"),
                      field("partners", "relation", target_form="customers", many=True),
                      field("backup", "relation", target_form="customers", display_field="tier")],
                     key="deals")
    for n in range(12):
        create_record(session, member, form, {"title": f"Deal {n}", "customer": people[n % 4].id,
                                              "partners": [people[0].id, people[3].id],
                                              "backup": people[1].id})
    return form, customers, people


def test_relation_titles_come_with_the_page(session, member, deals):
    form, _customers, people = deals

    item = query_records(session, member, form, RecordQuery(limit=1, sort=["title"])).items[0]

    assert item["titles"] == {"customer": {str(people[0].id): "Customer 0"},
                              "partners": {str(people[0].id): "Customer 0", str(people[3].id): "Customer 3"},
                              "backup": {str(people[1].id): "T1"}}


@pytest.mark.parametrize("size", [2, 12])
def test_relation_titles_take_one_query_per_target_form_whatever_the_page_size(session, member, deals,
                                                                               statements, size):
    form, _customers, _people = deals
    query_records(session, member, form, RecordQuery(limit=1))  # warm the compiled-version cache
    statements.clear()

    query_records(session, member, form, RecordQuery(limit=size, with_total=False))

    title_queries = [sql for sql in statements if "records.id IN" in sql or "records.id IN (" in sql]
    assert len(title_queries) == 1
    assert len(statements) == 3  # the page, the target form, its titles


def test_relation_titles_follow_the_target_forms_scope(session, member, other_member, make_form,
                                                       own_records_only):
    customers = make_form([field("name")], key="customers")
    theirs = create_record(session, other_member, customers, {"name": "Secret Co"})
    form = make_form([field("title"), field("customer", "relation", target_form="customers")], key="deals")
    create_record(session, member, form, {"title": "Deal", "customer": theirs.id})
    own_records_only(member)

    [item] = query_records(session, member, form, RecordQuery()).items

    assert item["data"]["customer"] == theirs.id and item["titles"] == {}


def test_relation_titles_hide_a_title_field_the_actor_cannot_read(session, member, deals, hide_fields):
    form, _customers, people = deals
    hide_fields(member, hidden=("name",))

    item = query_records(session, member, form, RecordQuery(limit=1, sort=["title"])).items[0]

    assert "customer" not in item["titles"] and item["titles"]["backup"] == {str(people[1].id): "T1"}


# --- the field mask on every path ---------------------------------------------------------------


def test_hidden_fields_are_not_in_the_values(session, member, leads, make_record, hide_fields):
    record = make_record(leads, name="Ada", notes="secret")
    hide_fields(member, hidden=("notes",))

    assert "notes" not in query_records(session, member, leads, RecordQuery()).items[0]["data"]
    assert "notes" not in get_record(session, member, leads, record.id)["data"]


def test_hidden_fields_cannot_be_sorted_or_filtered_on(session, member, leads, make_record, hide_fields):
    make_record(leads, name="Ada", notes="secret")
    hide_fields(member, hidden=("notes",))

    with pytest.raises(BadRequest):
        query_records(session, member, leads, RecordQuery(sort=["notes"]))
    with pytest.raises(ValidationFailed):
        query_records(session, member, leads,
                      RecordQuery(filter={"field": "notes", "op": "eq", "value": "secret"}))
    with pytest.raises(BadRequest):
        query_records(session, member, leads, RecordQuery(fields=["notes"]))


def test_revision_diffs_leave_hidden_fields_out(session, member, leads, make_record, hide_fields):
    record = make_record(leads, name="Ada", notes="secret")
    update_record(session, member, leads, record.id, {"notes": "more secret"}, 1)
    update_record(session, member, leads, record.id, {"notes": "x", "amount": 5}, 2)
    hide_fields(member, hidden=("notes",))

    history = list_revisions(session, member, leads, record.id)

    assert [(entry["action"], entry["diff"]) for entry in history] == [
        ("update", {"amount": [None, 5]}), ("create", {"name": [None, "Ada"]})]


def test_records_out_of_scope_are_not_listed_or_found(session, member, other_member, leads, make_record,
                                                      own_records_only):
    make_record(leads, name="mine")
    theirs = make_record(leads, actor=other_member, name="theirs")
    own_records_only(member)

    assert names(query_records(session, member, leads, RecordQuery())) == ["mine"]
    with pytest.raises(Exception) as failure:
        get_record(session, member, leads, theirs.id)
    assert failure.value.status == 404


def test_the_record_json_has_the_documented_shape(session, member, leads, make_record):
    record = make_record(leads, name="Ada")

    shown = get_record(session, member, leads, record.id)

    assert set(shown) == {"id", "form", "form_version", "version", "state", "owner", "data", "titles",
                          "created_at", "updated_at", "created_by", "updated_by", "deleted_at"}
    assert (shown["form"], shown["version"], shown["owner"]) == ("leads", 1, member.user_id)
    assert shown["created_at"].endswith("Z")
