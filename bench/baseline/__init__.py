"""A hand-written Flask + SQLAlchemy lead app: what a competent developer writes without Formflow."""

from bench.baseline.app import create_app

__all__ = ["create_app"]
