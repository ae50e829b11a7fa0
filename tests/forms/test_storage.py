"""Per-form SQL objects made by publishing: expression indexes (uniqueness in the database) and views."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, event, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from tests.forms.conftest import field

from formflow.db import make_sessionmaker, transaction, utcnow
from formflow.forms import service as forms
from formflow.forms import storage
from formflow.forms.models import Form
from formflow.records.models import Record

MakeForm = Callable[..., Form]
Insert = Callable[..., list[Record]]
Republish = Callable[..., Any]

NAME = field("name", required=True)
EMAIL = field("email", "email", unique=True)
AMOUNT = field("amount", "number", indexed=True)


def index_names(session: Session, form: Form) -> set[str]:
    return storage.existing_indexes(session.connection(), form.id)


def record(form: Form, **data: Any) -> Record:
    now = utcnow()
    return Record(workspace_id=form.workspace_id, app_id=form.app_id, form_id=form.id,
                  form_version_id=form.current_version_id, data=data, created_at=now, updated_at=now)


def plan(session: Session, query: Any) -> str:
    """The database's plan for ``query`` as one string (EXPLAIN QUERY PLAN / EXPLAIN)."""
    connection = session.connection()
    compiled = query.compile(dialect=connection.dialect)
    if connection.dialect.name == "sqlite":
        parameters = tuple(compiled.params[name] for name in compiled.positiontup)
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), parameters).fetchall()
        return "\n".join(row[-1] for row in rows)
    # a handful of rows: a sequential scan is cheaper, so ask whether the index is usable at all
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    rows = connection.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params)
    return "\n".join(row[0] for row in rows)


def expression(session: Session, form: Form, key: str) -> Any:
    """The field's SQL expression over ``records.data``, as record queries write it."""
    item = forms.compiled(session, form.current_version_id).fields[key]
    return item.type.sql_expression(item, Record.data, session.connection().dialect.name)


# --- indexes ---------------------------------------------------------------------------------------------


def test_publish_makes_a_unique_index_and_a_sort_index(session: Session, make_form: MakeForm) -> None:
    form = make_form(NAME, EMAIL, AMOUNT)
    assert index_names(session, form) == {f"ux_ff_{form.id}_email", f"ix_ff_{form.id}_amount"}


def test_fields_not_indexed_get_no_index(session: Session, make_form: MakeForm) -> None:
    assert index_names(session, make_form(NAME, field("notes", "textarea"))) == set()


def test_database_refuses_a_duplicate_unique_value(session: Session, make_form: MakeForm) -> None:
    form = make_form(NAME, EMAIL)
    session.add(record(form, email="ada@example.com"))
    session.commit()
    session.add(record(form, email="ada@example.com"))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_unique_index_names_its_field(session: Session, make_form: MakeForm) -> None:
    form = make_form(NAME, EMAIL)
    fields = forms.compiled(session, form.current_version_id).fields
    assert storage.unique_index_fields(form.id, fields) == {f"ux_ff_{form.id}_email": "email"}


@pytest.mark.parametrize("second", [
    pytest.param({"email": None}, id="empty values repeat freely"),
    pytest.param({}, id="absent values repeat freely"),
])
def test_empty_values_do_not_collide(session: Session, make_form: MakeForm, second: dict[str, Any]) -> None:
    form = make_form(NAME, EMAIL)
    session.add_all([record(form, **second), record(form, **second)])
    session.commit()


def test_uniqueness_is_per_form(session: Session, make_form: MakeForm) -> None:
    leads, contacts = make_form(NAME, EMAIL), make_form(NAME, EMAIL, key="contacts")
    session.add_all([record(leads, email="ada@example.com"), record(contacts, email="ada@example.com")])
    session.commit()


def test_a_deleted_record_frees_its_unique_value(session: Session, make_form: MakeForm) -> None:
    form = make_form(NAME, EMAIL)
    first = record(form, email="ada@example.com")
    session.add(first)
    session.commit()
    first.deleted_at = utcnow()
    session.add(record(form, email="ada@example.com"))
    session.commit()


def test_concurrent_inserts_of_one_unique_value_let_exactly_one_win(app: Flask, make_form: MakeForm) -> None:
    form = make_form(NAME, EMAIL)
    sessions = make_sessionmaker(app.extensions["formflow.engine"])
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def insert() -> None:
        session = sessions()
        try:
            barrier.wait(timeout=10)
            with transaction(session):
                session.add(record(form, email="race@example.com"))
            outcomes.append("saved")
        except IntegrityError:
            outcomes.append("duplicate")
        finally:
            session.close()

    threads = [threading.Thread(target=insert) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["duplicate", "saved"]


def test_index_is_dropped_when_the_field_is_no_longer_indexed(
        session: Session, make_form: MakeForm, republish: Republish) -> None:
    form = make_form(NAME, EMAIL, AMOUNT)
    republish(form, NAME, EMAIL, field("amount", "number"))
    assert index_names(session, form) == {f"ux_ff_{form.id}_email"}


def test_index_of_a_removed_field_is_dropped(session: Session, make_form: MakeForm,
                                             republish: Republish) -> None:
    form = make_form(NAME, EMAIL, AMOUNT)
    republish(form, NAME, AMOUNT)
    assert index_names(session, form) == {f"ix_ff_{form.id}_amount"}


def test_unique_field_made_merely_indexed_swaps_its_index(
        session: Session, make_form: MakeForm, republish: Republish) -> None:
    form = make_form(NAME, EMAIL)
    republish(form, NAME, {**EMAIL, "unique": False, "indexed": True})
    assert index_names(session, form) == {f"ix_ff_{form.id}_email"}
    session.add_all([record(form, email="ada@example.com"), record(form, email="ada@example.com")])
    session.commit()


def test_unchanged_indexes_are_not_rebuilt(session: Session, make_form: MakeForm,
                                           republish: Republish) -> None:
    form = make_form(NAME, EMAIL, AMOUNT)
    statements: list[str] = []

    def capture(_connection: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        republish(form, NAME, EMAIL, AMOUNT, field("notes", "textarea"))
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert not [statement for statement in statements
                if statement.upper().startswith(("CREATE INDEX", "CREATE UNIQUE INDEX", "DROP INDEX"))]
    assert index_names(session, form) == {f"ux_ff_{form.id}_email", f"ix_ff_{form.id}_amount"}


def test_changed_index_expression_is_rebuilt(session: Session, make_form: MakeForm,
                                             republish: Republish) -> None:
    form = make_form(NAME, field("price", "currency", indexed=True))
    republish(form, NAME, field("price", "currency", indexed=True, scale=4))
    assert index_names(session, form) == {f"ix_ff_{form.id}_price"}
    sql = storage.index_specs(form.id, forms.compiled(session, form.current_version_id).fields,
                              session.connection().dialect)[f"ix_ff_{form.id}_price"].sql
    assert "4" in sql


def test_equality_filter_on_an_indexed_field_uses_its_index(session: Session, make_form: MakeForm) -> None:
    form = make_form(NAME, AMOUNT)
    amount = expression(session, form, "amount")
    query = select(Record.id).where(Record.form_id == form.id, Record.deleted_at.is_(None), amount == 5)
    assert f"ix_ff_{form.id}_amount" in plan(session, query)


def test_filter_sort_and_page_on_an_indexed_field_use_its_index(
        session: Session, make_form: MakeForm, republish: Republish, insert_records: Insert) -> None:
    form = make_form(NAME, field("amount", "number"))
    insert_records(form, *({"name": f"n{number}", "amount": number % 97} for number in range(300)))
    other = make_form(NAME, field("amount", "number"), key="other")
    insert_records(other, *({"name": f"n{number}", "amount": number} for number in range(300)))
    republish(form, NAME, AMOUNT)
    amount = expression(session, form, "amount")
    query = (select(Record.id)
             .where(Record.form_id == form.id, Record.deleted_at.is_(None), amount > 50)
             .order_by(amount, Record.id).limit(20))
    assert f"ix_ff_{form.id}_amount" in plan(session, query)


def test_lookup_by_a_unique_field_uses_its_index(session: Session, make_form: MakeForm) -> None:
    form = make_form(NAME, EMAIL)
    email = expression(session, form, "email")
    query = select(Record.id).where(Record.form_id == form.id, Record.deleted_at.is_(None),
                                    email == "ada@example.com")
    assert f"ux_ff_{form.id}_email" in plan(session, query)


# --- views -----------------------------------------------------------------------------------------------


def view_rows(session: Session, name: str) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in session.execute(text(f'SELECT * FROM "{name}" ORDER BY id'))]


def test_view_has_system_columns_and_one_typed_column_per_field(
        session: Session, make_form: MakeForm, insert_records: Insert) -> None:
    form = make_form(NAME, AMOUNT, field("price", "currency"), field("won", "boolean"))
    [created] = insert_records(form, {"name": "Ada", "amount": 12.5, "price": "1234.50", "won": True})
    [row] = view_rows(session, "ff_crm_leads")
    assert list(row) == [*storage.VIEW_SYSTEM_COLUMNS, "name", "amount", "price", "won"]
    assert (row["id"], row["name"], row["amount"]) == (created.id, "Ada", 12.5)
    assert Decimal(str(row["price"])) == Decimal("1234.50")
    assert row["won"] in (True, 1)


def test_view_shows_only_the_live_records_of_its_form(
        session: Session, make_form: MakeForm, insert_records: Insert) -> None:
    leads, contacts = make_form(NAME), make_form(NAME, key="contacts")
    insert_records(leads, {"name": "live"})
    insert_records(leads, {"name": "deleted"}, deleted=True)
    insert_records(contacts, {"name": "other form"})
    assert [row["name"] for row in view_rows(session, "ff_crm_leads")] == ["live"]
    assert [row["name"] for row in view_rows(session, "ff_crm_contacts")] == ["other form"]


def test_view_follows_the_published_version(
        session: Session, make_form: MakeForm, republish: Republish, insert_records: Insert) -> None:
    form = make_form(NAME, AMOUNT)
    insert_records(form, {"name": "Ada", "amount": 3})
    republish(form, NAME, field("city"), confirm=True)
    [row] = view_rows(session, "ff_crm_leads")
    assert list(row)[5:] == ["name", "city"]
    assert row["city"] is None


def test_view_filters_and_sorts_by_typed_columns(
        session: Session, make_form: MakeForm, insert_records: Insert) -> None:
    form = make_form(NAME, AMOUNT)
    insert_records(form, {"name": "a", "amount": 9}, {"name": "b", "amount": 10},
                   {"name": "c", "amount": 100})
    rows = session.execute(text('SELECT name FROM "ff_crm_leads" WHERE amount > 9.5 ORDER BY amount DESC'))
    assert [row.name for row in rows] == ["c", "b"]


def test_long_names_are_shortened_with_a_hash() -> None:
    long_key = "k" * 63
    name = storage.view_name("a" * 63, long_key)
    assert len(name) == storage.MAX_IDENTIFIER
    assert name.startswith("ff_aaa")
    assert name != storage.view_name("a" * 63, "k" * 62 + "j")
    assert storage.index_name(12, long_key, unique=True).startswith("ux_ff_12_")
    assert len(storage.index_name(12, long_key, unique=True)) == storage.MAX_IDENTIFIER
