"""Formflow under benchmark: set up a workspace with the lead form, load it, and query it three ways.

Everything here goes through Formflow's public services (accounts, apps, forms, records), as the web
app and the API do; only the "raw SQL" functions bypass them, on purpose, to measure the floor.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bench.data import LEAD_FORM, LoadResult, chunks
from formflow.accounts import service as accounts
from formflow.accounts import tokens
from formflow.accounts.models import User, Workspace
from formflow.apps import service as apps
from formflow.apps.models import App
from formflow.db import make_engine, make_sessionmaker
from formflow.fields.base import Field
from formflow.forms import service as forms
from formflow.forms.models import Form
from formflow.models import Base
from formflow.permissions.actor import Actor, load_actor
from formflow.records import queries
from formflow.records import service as records
from formflow.records.models import Record

#: rows per bulk_create call: one transaction each
BULK_CHUNK = 5_000
#: the filter and sort every list benchmark uses (Formflow, baseline and raw SQL alike)
LIST_STAGE = "qualified"
LIST_FILTER = {"field": "stage", "op": "eq", "value": LIST_STAGE}
LIST_SORT = ["-amount"]
PAGE = 50


@dataclass
class Setup:
    """A Formflow database with one workspace, an admin, the CRM app's lead form and an API token."""

    engine: Engine
    sessions: sessionmaker[Session]
    workspace: Workspace
    user: User
    actor: Actor
    app: App
    form: Form
    token: str

    def session(self) -> Session:
        """A new session on the benchmark database."""
        return self.sessions()


def create_form(session: Session, actor: Actor, app: App, key: str) -> Form:
    """The lead form under ``key``, published (its expression indexes and SQL view exist afterwards)."""
    form = forms.create_form(session, actor, app, key, {"zh-CN": "线索", "en": "Leads"}, LEAD_FORM)
    forms.publish(session, actor, form, confirm=True)
    return form


def setup(database_url: str) -> Setup:
    """Create the schema and everything the benchmarks need in a fresh database."""
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    sessions = make_sessionmaker(engine)
    session = sessions()
    workspace = accounts.create_workspace(session, slug="bench", name="Bench", timezone="Asia/Shanghai")
    user = accounts.create_user(session, email="bench@example.com", name="Bench Admin", password=None)
    accounts.add_member(session, workspace, user, "admin")
    actor = load_actor(session, user, workspace)
    assert actor is not None
    app = apps.install_app(session, actor, "crm", {"zh-CN": "客户管理", "en": "CRM"})
    form = create_form(session, actor, app, "leads")
    _token, plaintext = tokens.create_token(session, user, workspace, "bench")
    session.close()
    return Setup(engine, sessions, workspace, user, actor, app, form, plaintext)


def load(
    setup: Setup, form: Form, leads: Sequence[dict[str, Any]], chunk_size: int = BULK_CHUNK
) -> LoadResult:
    """Insert ``leads`` through ``records.service.bulk_create`` in chunks; one session for the whole load."""
    session = setup.session()
    started = time.perf_counter()
    try:
        for chunk in chunks(leads, chunk_size):
            records.bulk_create(session, setup.actor, form, list(chunk))
            session.expunge_all()
    finally:
        session.close()
    return LoadResult(len(leads), time.perf_counter() - started)


def stored_rows(setup: Setup, count: int) -> list[tuple[Any, ...]]:
    """``count`` rows exactly as the service stored them (data, search text, search fields as JSON text)."""
    with setup.engine.connect() as connection:
        return list(
            connection.exec_driver_sql(
                "SELECT data, search_text, search_fields FROM records WHERE form_id = ? ORDER BY id LIMIT ?",
                (setup.form.id, count),
            )
        )


RAW_INSERT = (
    "INSERT INTO records (workspace_id, app_id, form_id, form_version_id, data, state, owner_id, version, "
    "search_text, search_fields, created_at, updated_at, created_by_id, updated_by_id) "
    "VALUES (?, ?, ?, ?, ?, NULL, ?, 1, ?, ?, ?, ?, ?, ?)"
)


def raw_insert(
    setup: Setup, form: Form, rows: Sequence[tuple[Any, ...]], chunk_size: int = BULK_CHUNK
) -> LoadResult:
    """Insert already-serialized rows into ``records`` for ``form`` with DBAPI executemany, per chunk.

    The floor for bulk insert into the same table: the same indexes (the form's expression indexes
    and the FTS triggers fire), but no validation, coercion, revisions or ORM.
    """
    now = time.strftime("%Y-%m-%d %H:%M:%S.000000", time.gmtime())
    user_id = setup.user.id
    started = time.perf_counter()
    connection = setup.engine.raw_connection()
    try:
        cursor = connection.cursor()
        for chunk in chunks(rows, chunk_size):
            cursor.execute("BEGIN IMMEDIATE")
            cursor.executemany(
                RAW_INSERT,
                [
                    (
                        form.workspace_id,
                        form.app_id,
                        form.id,
                        form.current_version_id,
                        data,
                        user_id,
                        text,
                        fields,
                        now,
                        now,
                        user_id,
                        user_id,
                    )
                    for data, text, fields in chunk
                ],
            )
            cursor.execute("COMMIT")
        cursor.close()
    finally:
        connection.close()
    return LoadResult(len(rows), time.perf_counter() - started)


def list_query(cursor: str | None = None) -> Any:
    """The list benchmark's RecordQuery: stage filter, amount descending, a page of 50."""
    return queries.RecordQuery(filter=LIST_FILTER, sort=LIST_SORT, limit=PAGE, cursor=cursor)


def search_query(term: str) -> Any:
    """The search benchmark's RecordQuery: one term, newest first, a page of 50."""
    return queries.RecordQuery(search=term, sort=["-id"], limit=PAGE)


def query_page(session: Session, setup: Setup, query: Any) -> Any:
    """One page through the query layer (policy scope, field mask, relation titles: the product path)."""
    return queries.query_records(session, setup.actor, setup.form, query)


def _expressions(setup: Setup) -> dict[str, Any]:
    fields = {definition["key"]: Field(definition) for definition in LEAD_FORM["fields"]}
    dialect = setup.engine.dialect.name
    return {key: field.type.sql_expression(field, Record.data, dialect) for key, field in fields.items()}


def raw_list_sql(setup: Setup) -> str:
    """Hand-written SQL for the list benchmark on ``records``: the same typed expressions the expression
    indexes were built on (from the field types), compiled once to a literal statement."""
    expressions = _expressions(setup)
    statement = (
        select(Record.id, Record.data, Record.version, Record.created_at, Record.updated_at)
        .where(
            Record.form_id == setup.form.id, Record.deleted_at.is_(None), expressions["stage"] == LIST_STAGE
        )
        .order_by(expressions["amount"].desc(), Record.id.desc())
        .limit(PAGE)
    )
    return str(statement.compile(setup.engine, compile_kwargs={"literal_binds": True}))


def raw_search_sql(setup: Setup) -> str:
    """Hand-written FTS5 SQL for the search benchmark on ``records`` (one parameter: the MATCH phrase)."""
    return (
        "SELECT id, data, version, created_at, updated_at FROM records "
        f"WHERE form_id = {setup.form.id} AND deleted_at IS NULL "
        "AND id IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ?) "
        f"ORDER BY id DESC LIMIT {PAGE}"
    )


def run_raw(connection: Any, sql: str, parameters: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Run ``sql`` on a DBAPI connection and decode each row's JSON data, as any reader must."""
    cursor = connection.cursor()
    rows = cursor.execute(sql, parameters).fetchall()
    cursor.close()
    return [{"id": row[0], "data": json.loads(row[1])} for row in rows]


def query_plan(engine: Engine, sql: str, parameters: tuple[Any, ...] = ()) -> list[str]:
    """SQLite's EXPLAIN QUERY PLAN lines for ``sql``."""
    with engine.connect() as connection:
        return [row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, parameters)]


def api_create_path(form_id: int) -> str:
    """Where the API creates a record of the form."""
    return f"/api/v1/forms/{form_id}/records"


def api_create_body(lead: dict[str, Any]) -> dict[str, Any]:
    """The API's create body for a lead payload."""
    return {"data": lead}


def api_list_path(form_id: int, cursor: str | None = None) -> str:
    """The list benchmark's query through the API."""
    path = (
        f"/api/v1/forms/{form_id}/records?filter={quote(json.dumps(LIST_FILTER))}"
        f"&sort={quote(','.join(LIST_SORT))}&limit={PAGE}"
    )
    return path + (f"&cursor={quote(cursor)}" if cursor else "")


def api_search_path(form_id: int, term: str) -> str:
    """The search benchmark's query through the API."""
    return f"/api/v1/forms/{form_id}/records?search={quote(term)}&sort=-id&limit={PAGE}"


def traced_plans(engine: Engine, call: Any) -> list[dict[str, Any]]:
    """Run ``call()`` and return the SELECTs it sent to ``records`` with SQLite's plan for each."""
    from sqlalchemy import event

    statements: list[tuple[str, Any]] = []

    def capture(
        _connection: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _executemany: bool
    ) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM records" in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return [
        {"sql": " ".join(statement.split()), "plan": query_plan(engine, statement, tuple(parameters))}
        for statement, parameters in statements
    ]


def attach(database_url: str) -> Setup:
    """The Setup of a database an earlier run loaded (``--reuse``): tables added since are created,
    and a new API token is made (only token hashes are stored)."""
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        workspace = session.scalars(select(Workspace).where(Workspace.slug == "bench")).one()
        user = session.scalars(select(User).where(User.email == "bench@example.com")).one()
        actor = load_actor(session, user, workspace)
        assert actor is not None
        app = apps.get_app(session, actor, "crm")
        form = session.scalars(select(Form).where(Form.app_id == app.id, Form.key == "leads")).one()
        _token, plaintext = tokens.create_token(session, user, workspace, "bench")
    return Setup(engine, sessions, workspace, user, actor, app, form, plaintext)
