"""A database shared by a module's condition tests: hundreds of vectors query one set of records
instead of building a database each (tests/conftest.py's per-test ``session`` costs ~0.3 s on
PostgreSQL). Tests here only add rows they roll back, or read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from condition_helpers import RecordStore, vector_fields
from sqlalchemy.orm import Session

from db_helpers import fresh_database
from formflow.db import make_engine, make_sessionmaker


@pytest.fixture(scope="module")
def module_database_url(database_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database for one test module, copied from the session's template."""
    with fresh_database(tmp_path_factory.mktemp("conditions"), database_template) as url:
        yield url


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
