"""The application factory: settings, database, translations, login, blueprints, error handlers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from formflow import config as settings
from formflow.db import make_engine, make_sessionmaker
from formflow.resources import resource_dir


def create_app(overrides: dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Build a Formflow app; ``overrides`` win over FORMFLOW_* environment variables and defaults."""
    app = Flask("formflow", instance_path=instance_path, instance_relative_config=True,
                template_folder=str(resource_dir("templates")), static_folder=str(resource_dir("static")))
    instance = Path(app.instance_path)
    app.config.from_mapping(settings.defaults(instance))
    app.config.from_prefixed_env("FORMFLOW")
    app.config.update(overrides or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = settings.secret_key(instance)
    if app.config["DATABASE_URL"].startswith("sqlite:///"):
        instance.mkdir(parents=True, exist_ok=True)
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")

    engine = make_engine(app.config["DATABASE_URL"], app.config["SQLITE_MODULE"])
    app.extensions["formflow.engine"] = engine
    app.extensions["formflow.sessionmaker"] = make_sessionmaker(engine)

    from formflow import http
    from formflow.api import register as register_api
    from formflow.web import register as register_web
    from formflow.workflows import runtime as workflows

    workflows.install()
    http.init_app(app)
    register_web(app)
    register_api(app)

    from formflow.cli import register_commands

    register_commands(app)
    return app
