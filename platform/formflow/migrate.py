"""Schema migrations of Formflow's own tables (Alembic), run by `formflow init` and `formflow db upgrade`."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

#: objects that publishing and DDL events make, not the models: Alembic neither adds nor drops them
GENERATED_INDEX_PREFIXES = ("ix_ff_", "ux_ff_", "cx_ff_")
GENERATED_TABLE_PREFIXES = ("records_fts",)


def is_generated(name: str | None, type_: str) -> bool:
    """Whether a schema object is per-form or full-text machinery outside the models' metadata."""
    name = name or ""
    if type_ == "index":
        return name.startswith(GENERATED_INDEX_PREFIXES)
    return type_ == "table" and (name.startswith(GENERATED_TABLE_PREFIXES) or name == "alembic_version")


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration bound to ``engine`` (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", "formflow:migrations")
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the newest)."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database back to ``revision`` ("base" for empty)."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current(engine: Engine) -> str | None:
    """The database's current revision, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def make_revision(engine: Engine, message: str) -> None:
    """Autogenerate a new migration from the models (developers only)."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
