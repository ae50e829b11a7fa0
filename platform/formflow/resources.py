"""Where templates, static files and builtin apps live: inside the wheel, or at the repository root."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_REPOSITORY = _PACKAGE.parent.parent


def resource_dir(name: str) -> Path:
    """The folder ``name`` (templates, static, builtin_apps): the wheel's copy, else the checkout's."""
    bundled = _PACKAGE / name
    return bundled if bundled.is_dir() else _REPOSITORY / name
