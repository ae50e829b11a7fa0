"""The `formflow` command line."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    """Attach Formflow's commands to ``app.cli``."""


def main() -> None:
    """Entry point of the `formflow` console script."""
