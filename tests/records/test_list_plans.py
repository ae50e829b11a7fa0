"""How lists reach the per-form expression indexes: the scope filter's inline form id (the partial
indexes' predicate) and, on SQLite, reading a page through the sort key's index when the filter
matches many rows. Either way the pages are the same."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select
from tests.records.conftest import field

from formflow.forms.storage import index_name
from formflow.permissions import policy
from formflow.records import queries
from formflow.records.models import Record
from formflow.records.queries import RecordQuery, query_records
from formflow.records.service import bulk_create

INDEXED = [field("name"), field("amount", "number", indexed=True),
           field("stage", "select", indexed=True,
                 options=[{"value": value, "label": {"en": value}} for value in ("a", "b")])]


@pytest.fixture
def indexed(session, member, make_form):
    """30 records, a third without an amount, stages a and b."""
    form = make_form(INDEXED, key="indexed")
    rng = random.Random(3)
    rows = [{key: value for key, value in {"name": f"r{index:02d}", "stage": rng.choice(["a", "b"]),
                                           "amount": rng.choice([None, 1, 2, 5, 7.5])}.items()
             if value is not None} for index in range(30)]
    bulk_create(session, member, form, rows)
    return form


def is_sqlite(session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def all_pages(session, actor, form, query: RecordQuery) -> list[int]:
    """Every record id of the list, following the cursors."""
    ids: list[int] = []
    page = query_records(session, actor, form, query)
    ids += [item["id"] for item in page.items]
    while page.next_cursor:
        query.cursor = page.next_cursor
        page = query_records(session, actor, form, query)
        ids += [item["id"] for item in page.items]
    return ids


def page_statements(statements: list[str]) -> list[str]:
    return [sql for sql in statements if sql.startswith("SELECT records.id, records.workspace_id")]


def test_the_scope_filter_renders_the_form_id_inline(session, member, indexed):
    statement = select(Record.id).where(policy.scope_filter(member, indexed))

    sql = str(statement.compile(session.get_bind(), compile_kwargs={"render_postcompile": True}))

    assert f"records.form_id = {indexed.id}" in sql


def test_many_matches_read_the_page_through_the_sort_index(session, member, indexed, statements,
                                                           monkeypatch):
    if not is_sqlite(session):
        pytest.skip("index hints are SQLite's")
    monkeypatch.setattr(queries, "WALK_SORT_INDEX_FROM", 3)

    query_records(session, member, indexed, RecordQuery(filter={"field": "stage", "op": "eq", "value": "a"},
                                                         sort=["-amount"], limit=5))

    [page] = page_statements(statements)
    assert f"FROM records INDEXED BY {index_name(indexed.id, 'amount', False)}" in page


def test_few_matches_leave_the_plan_to_the_database(session, member, indexed, statements, monkeypatch):
    monkeypatch.setattr(queries, "WALK_SORT_INDEX_FROM", 1000)

    query_records(session, member, indexed, RecordQuery(filter={"field": "stage", "op": "eq", "value": "a"},
                                                         sort=["-amount"], limit=5))

    [page] = page_statements(statements)
    assert "INDEXED BY" not in page


def test_a_sort_on_a_field_without_index_leaves_the_plan_to_the_database(session, member, indexed,
                                                                          statements, monkeypatch):
    monkeypatch.setattr(queries, "WALK_SORT_INDEX_FROM", 0)

    query_records(session, member, indexed, RecordQuery(sort=["name"], limit=5))

    [page] = page_statements(statements)
    assert "INDEXED BY" not in page


@pytest.mark.parametrize("sort", [["-amount"], ["amount"], ["stage", "-amount"], ["-stage", "name"]])
@pytest.mark.parametrize("with_total", [True, False])
def test_pages_through_the_sort_index_are_the_planners_pages(session, member, indexed, monkeypatch, sort,
                                                             with_total):
    condition = {"field": "name", "op": "starts_with", "value": "r"}

    monkeypatch.setattr(queries, "WALK_SORT_INDEX_FROM", 10**9)
    planned = all_pages(session, member, indexed, RecordQuery(filter=condition, sort=sort, limit=4,
                                                              with_total=with_total))
    monkeypatch.setattr(queries, "WALK_SORT_INDEX_FROM", 0)
    walked = all_pages(session, member, indexed, RecordQuery(filter=condition, sort=sort, limit=4,
                                                             with_total=with_total))

    assert walked == planned
    assert len(walked) == 30
