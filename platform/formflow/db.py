"""Database plumbing: the declarative base, engines for SQLite and PostgreSQL, sessions, transactions."""

from __future__ import annotations

import fcntl
import json
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: seconds a SQLite writer waits for its turn before failing
BUSY_TIMEOUT_S = 30

#: JSON on SQLite, JSONB on PostgreSQL (indexable, binary).
JSONData = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored in UTC on every engine (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of every Formflow table."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSONData}


def _sqlite_module(choice: str) -> Any:
    if choice == "sqlite3":
        return None
    try:
        from pysqlite3 import dbapi2  # SQLite 3.51: JSONB, newer FTS5; see DESIGN.md "Storage"
    except ImportError:
        if choice == "pysqlite3":
            raise
        return None
    return dbapi2


def make_engine(url: str, sqlite_module: str = "auto", echo: bool = False) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo, "json_serializer": _dumps}
    if parsed.get_backend_name() == "sqlite":
        module = _sqlite_module(sqlite_module)
        if module is not None:
            kwargs["module"] = module
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_S}
        if parsed.database in (None, "", ":memory:"):
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, **kwargs)
        if parsed.database not in (None, "", ":memory:"):
            _WRITE_GATES[engine] = WriteGate(f"{parsed.database}-writers.lock")
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (below) so that transactions are real and IMMEDIATE writers
    # queue on the busy timeout instead of failing with "database is locked" on upgrade.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    write = connection.get_execution_options().get("formflow_write")
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class WriteGate:
    """Lets one writer at a time into a SQLite file, waking the next as soon as the last commits.

    SQLite admits one writer; the others wait in its busy handler, which polls with sleeps that grow
    to 100 ms, so under concurrent writes most of a waiter's time is sleep after the lock was already
    free (the p99 of API creates). Writers of this process queue on a thread lock, and processes on
    an ``flock`` of a file beside the database; both hand over at once. Writers outside Formflow
    (the sqlite3 shell) still meet BEGIN IMMEDIATE and the busy timeout, so the gate is only a queue.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.thread_lock = threading.Lock()
        #: the lock file while this process holds the gate (opened per write: nothing stays open)
        self.file: Any = None

    def __enter__(self) -> WriteGate:
        # as long as SQLite's busy timeout: a writer waiting for itself fails instead of hanging
        if not self.thread_lock.acquire(timeout=BUSY_TIMEOUT_S):
            raise TimeoutError(f"no write turn on {self.path} within {BUSY_TIMEOUT_S} s")
        try:
            self.file = open(self.path, "a+b")  # noqa: SIM115 - closed in __exit__
            fcntl.flock(self.file.fileno(), fcntl.LOCK_EX)
        except BaseException:
            if self.file is not None:
                self.file.close()
                self.file = None
            self.thread_lock.release()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        try:
            self.file.close()  # releases the flock
            self.file = None
        finally:
            self.thread_lock.release()


#: the write gate of each SQLite file engine (weakly held: an engine that goes away takes its gate)
_WRITE_GATES: weakref.WeakKeyDictionary[Engine, WriteGate] = weakref.WeakKeyDictionary()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (views render them afterwards)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """One write transaction: commit on success, roll back on any error.

    On SQLite the transaction starts with BEGIN IMMEDIATE, so concurrent writers wait for each other
    rather than deadlock on lock upgrade (for a database file they queue at its ``WriteGate`` first);
    on PostgreSQL it is a normal READ COMMITTED transaction and writers rely on row locks and unique
    indexes.
    """
    if session.info.get("formflow_writing"):
        # Nested use (a service calling a service) joins the outer transaction.
        with session.begin_nested():
            yield session
        return
    if session.in_transaction():
        # A read transaction the session began by itself (autobegin): end it, or the write below
        # would only be a savepoint inside it and be lost when the session closes.
        session.commit()
    bind = session.get_bind()
    gate = _WRITE_GATES.get(bind) if isinstance(bind, Engine) else None
    with gate if gate is not None else nullcontext():
        session.connection(execution_options={"formflow_write": True})
        session.info["formflow_writing"] = True
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.info.pop("formflow_writing", None)
