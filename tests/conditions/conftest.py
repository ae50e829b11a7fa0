"""A database shared by a module's condition tests: hundreds of vectors query one set of records
instead of building a database each (tests/conftest.py's per-test ``session`` costs ~0.3 s on
PostgreSQL). Tests here only add rows they roll back, or read."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import pytest
from condition_helpers import RecordStore, vector_fields
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from formflow.db import make_engine, make_sessionmaker

PG_URL = os.environ.get("FORMFLOW_TEST_DATABASE_URL")
_databases = count()


@pytest.fixture(scope="module")
def module_database_url(database_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database for one test module, copied from the session's template."""
    if PG_URL:
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        name = f"formflow_c{os.getpid()}_{next(_databases)}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{database_template}"'))
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        return
    path = Path(tmp_path_factory.mktemp("conditions")) / "formflow.db"
    shutil.copyfile(database_template, path)
    yield f"sqlite:///{path}"


@pytest.fixture(scope="module")
def module_session(module_database_url: str) -> Iterator[Session]:
    """A session on the module's database."""
    engine = make_engine(module_database_url)
    session = make_sessionmaker(engine)()
    yield session
    session.close()
    engine.dispose()


@pytest.fixture(scope="module")
def store(module_session: Session) -> RecordStore:
    """A form with the vectors' fields, ready to take records."""
    return RecordStore(module_session, vector_fields())
