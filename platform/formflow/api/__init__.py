"""The REST API under /api/v1: JSON, bearer tokens, problem+json errors, OpenAPI 3.1.

Route modules declare their operations on ``api.definition.api`` when imported; ``register`` imports
them, mounts the blueprint and lends the problem renderer to the app-wide error handlers.
"""

from flask import Flask

#: modules whose operations make up /api/v1, in the order the document lists their tags
ROUTE_MODULES = ("workspace", "apps", "forms", "records", "workflows", "audit", "docs")


def register(app: Flask) -> None:
    """Mount the API blueprint and its problem+json error handling."""
    from importlib import import_module

    from formflow.api import problems
    from formflow.api.definition import api

    for name in ROUTE_MODULES:
        import_module(f"formflow.api.{name}")
    problems.register(app)
    app.register_blueprint(api.blueprint)
