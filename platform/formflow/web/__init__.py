"""Server-rendered pages."""

from flask import Flask


def register(app: Flask) -> None:
    """Mount the page blueprints, login and translations."""
