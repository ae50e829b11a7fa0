"""Migration 0002 (workflows) goes down and up again without losing the records table's machinery."""

from __future__ import annotations

from sqlalchemy import inspect

from formflow import migrate
from formflow.db import make_engine


def test_downgrade_to_0001_and_upgrade_again(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    migrate.upgrade(engine)
    migrate.downgrade(engine, "0001")
    columns = {column["name"] for column in inspect(engine).get_columns("records")}
    tables = set(inspect(engine).get_table_names())
    migrate.upgrade(engine)
    upgraded = {column["name"] for column in inspect(engine).get_columns("records")}
    engine.dispose()
    assert "workflow_version_id" not in columns and not {"workflows", "workflow_versions"} & tables
    assert "workflow_version_id" in upgraded
