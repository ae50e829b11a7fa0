"""Translations for services that do not import flask: messages follow the locale of the current context.

The web layer sets the locale per request (Flask-Babel's selector); CLI and workers use the workspace's
or the default. Catalogs are the same gettext files Flask-Babel reads (formflow/translations).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
DEFAULT_LOCALE = "zh_CN"

_locale: ContextVar[str] = ContextVar("formflow_locale", default=DEFAULT_LOCALE)


def normalize_locale(value: str | None) -> str:
    """'zh-CN', 'zh_cn', 'zh' -> 'zh_CN'; anything English -> 'en'; else the default."""
    if not value:
        return DEFAULT_LOCALE
    lowered = value.replace("-", "_").lower()
    if lowered.startswith("zh"):
        return "zh_CN"
    if lowered.startswith("en"):
        return "en"
    return DEFAULT_LOCALE


def current_locale() -> str:
    """The locale messages are translated into right now ('zh_CN' or 'en')."""
    return _locale.get()


def set_locale(locale: str) -> None:
    """Switch the current context's locale (a request, a CLI command)."""
    _locale.set(normalize_locale(locale))


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    """Translate into ``locale`` inside the block."""
    token = _locale.set(normalize_locale(locale))
    try:
        yield
    finally:
        _locale.reset(token)


@cache
def _translations(locale: str) -> NullTranslations:
    if locale == "en":
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS_DIR), [locale])


def gettext(message: str, **params: object) -> str:
    """``message`` translated into the current locale, with ``%(name)s`` params filled in."""
    text = _translations(current_locale()).ugettext(message)
    return text % params if params else text


def label(labels: dict[str, str] | str | None, locale: str | None = None) -> str:
    """Pick a label from ``{"zh-CN": ..., "en": ...}`` for the locale, falling back to any."""
    if labels is None:
        return ""
    if isinstance(labels, str):
        return labels
    wanted = "zh-CN" if (locale or current_locale()) == "zh_CN" else "en"
    return labels.get(wanted) or next((value for value in labels.values() if value), "")
