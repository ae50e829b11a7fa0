"""The REST API under /api/v1."""

from flask import Flask


def register(app: Flask) -> None:
    """Mount the API blueprints and their problem+json error handling."""
