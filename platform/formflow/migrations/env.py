"""Alembic environment: Formflow's own tables, on the engine the app (or CLI) hands over."""

from __future__ import annotations

from alembic import context

from formflow.migrate import is_generated
from formflow.models import Base

config = context.config
target_metadata = Base.metadata


def _include_object(obj, name, type_, reflected, compare_to) -> bool:  # noqa: ANN001
    return not is_generated(name, type_)


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    context.configure(connection=connection, target_metadata=target_metadata,
                      include_object=_include_object, render_as_batch=connection.dialect.name == "sqlite",
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
