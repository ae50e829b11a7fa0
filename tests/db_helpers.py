"""Throwaway databases for tests: a SQLite file, or a database on FORMFLOW_TEST_DATABASE_URL's server."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_URL = os.environ.get("FORMFLOW_TEST_DATABASE_URL")
_names = itertools.count()


@contextmanager
def fresh_database(folder: Path, template: str | None = None) -> Iterator[str]:
    """The URL of a new database, dropped afterwards: empty, or a copy of ``template`` (a SQLite file
    path, or the name of a PostgreSQL template database)."""
    if PG_URL:
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        name = f"formflow_t{os.getpid()}_{next(_names)}"
        clause = f' TEMPLATE "{template}"' if template else ""
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        try:
            yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        return
    path = folder / f"formflow-{next(_names)}.db"
    if template:
        shutil.copyfile(template, path)
    yield f"sqlite:///{path}"
