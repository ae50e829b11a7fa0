"""Bulk create: every row validated and revised, bad rows reported by index, all-or-nothing unless partial."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from tests.records.conftest import field

from formflow.errors import ValidationFailed
from formflow.records.models import Record, Revision
from formflow.records.queries import RecordQuery, query_records
from formflow.records.service import bulk_create, create_record


def count(session, model) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(model))


def test_bulk_create_writes_every_row_with_its_revision_in_input_order(session, member, leads):
    rows = [{"name": f"Lead {index}", "amount": index} for index in range(25)]

    result = bulk_create(session, member, leads, rows)

    assert len(result.ids) == 25 and result.errors == []
    session.rollback()
    stored = {record.id: record.data for record in session.scalars(select(Record))}
    assert [stored[record_id] for record_id in result.ids] == rows
    revisions = session.scalars(select(Revision).order_by(Revision.record_id)).all()
    assert [(revision.action, revision.diff["name"][1]) for revision in revisions] == [
        ("create", row["name"]) for row in rows]


def test_bulk_create_reports_each_bad_row_by_index_and_writes_nothing(session, member, leads):
    rows = [{"name": "Good"}, {"amount": "lots"}, {"name": "Good too"}, {"name": "x", "stage": "nope"}]

    with pytest.raises(ValidationFailed) as failure:
        bulk_create(session, member, leads, rows)

    reported = {row["index"]: {error["field"] for error in row["errors"]}
                for row in failure.value.extra["rows"]}
    assert reported == {1: {"name", "amount"}, 3: {"stage"}}
    assert {error.field for error in failure.value.errors} >= {"rows.1.name", "rows.1.amount",
                                                               "rows.3.stage"}
    assert (count(session, Record), count(session, Revision)) == (0, 0)


def test_bulk_create_with_partial_writes_the_good_rows(session, member, leads):
    rows = [{"name": "Good"}, {"amount": "lots"}, {"name": "Good too"}]

    result = bulk_create(session, member, leads, rows, partial=True)

    assert [error.index for error in result.errors] == [1]
    assert len(result.ids) == 2 and count(session, Record) == 2


@pytest.mark.parametrize("existing", [True, False], ids=["taken_by_a_record", "repeated_in_input"])
def test_bulk_create_reports_duplicate_unique_values_by_row(session, member, leads, existing):
    if existing:
        create_record(session, member, leads, {"name": "Ada", "email": "ada@example.com"})
    rows = [{"name": "A", "email": "grace@example.com"}, {"name": "B", "email": "ada@example.com"},
            {"name": "C", "email": "linus@example.com" if existing else "grace@example.com"}]

    result = bulk_create(session, member, leads, rows, partial=True)

    bad = {error.index: [(item.field, item.code) for item in error.errors] for error in result.errors}
    assert bad == ({1: [("email", "duplicate_value")]} if existing else {2: [("email", "duplicate_value")]})


def test_bulk_create_numbers_rows_consecutively(session, member, make_form):
    form = make_form([field("name"), field("code", "auto_number", format="T{seq:3}")])
    create_record(session, member, form, {"name": "first"})

    result = bulk_create(session, member, form, [{"name": str(index)} for index in range(3)])

    session.rollback()
    codes = [session.get(Record, record_id).data["code"] for record_id in result.ids]
    assert codes == ["T002", "T003", "T004"]


def test_bulk_create_checks_relation_ids_in_one_query_per_kind(session, member, make_form, statements):
    customers = make_form([field("name")], key="customers")
    acme = create_record(session, member, customers, {"name": "ACME"})
    deals = make_form([field("title"), field("customer", "relation", target_form="customers")], key="deals")
    rows = [{"title": f"Deal {index}", "customer": acme.id} for index in range(30)] + [
        {"title": "Ghost", "customer": 999_999}]
    statements.clear()

    result = bulk_create(session, member, deals, rows, partial=True)

    assert [(error.index, error.errors[0].field, error.errors[0].code) for error in result.errors] == [
        (30, "customer", "not_found")]
    lookups = [sql for sql in statements if "FROM records" in sql and "INSERT" not in sql]
    assert len(lookups) == 1


def test_bulk_create_in_chunks_commits_each_chunk(session, member, leads):
    result = bulk_create(session, member, leads, [{"name": str(index)} for index in range(7)], chunk_size=3)

    assert len(result.ids) == 7 and count(session, Record) == 7


def test_bulk_created_records_are_searchable(session, member, leads):
    bulk_create(session, member, leads, [{"name": "Zebra Corp"}, {"name": "Yak Ltd"}])

    page = query_records(session, member, leads, RecordQuery(search="zebra"))

    assert [item["data"]["name"] for item in page.items] == ["Zebra Corp"]


def test_bulk_create_refuses_rows_that_are_not_a_list(session, member, leads):
    with pytest.raises(ValidationFailed):
        bulk_create(session, member, leads, {"name": "Ada"})
