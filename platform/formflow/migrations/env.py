"""Alembic environment: Formflow's own tables, on the engine the app (or CLI) hands over."""

from __future__ import annotations

from alembic import context

from formflow.models import Base

config = context.config
target_metadata = Base.metadata


def _include_object(obj, name, type_, reflected, compare_to) -> bool:  # noqa: ANN001
    # Per-form expression indexes, views and the FTS tables are made by publishing and by DDL events,
    # not by the model: autogenerate must neither drop nor add them.
    if type_ == "index" and name and (name.startswith(("ix_ff_", "ux_ff_", "cx_ff_"))):
        return False
    return not (type_ == "table" and name and name.startswith("records_fts"))


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    context.configure(connection=connection, target_metadata=target_metadata,
                      include_object=_include_object, render_as_batch=connection.dialect.name == "sqlite",
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
