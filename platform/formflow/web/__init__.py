"""Server-rendered pages: translations, login, CSRF, the layout's context, error pages, blueprints."""

from __future__ import annotations

from functools import cache

from babel.support import NullTranslations, Translations
from flask import Flask, current_app, flash, g, redirect, request, url_for
from flask_babel import Babel, Domain, get_locale
from flask_babel import gettext as _
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response

from formflow.accounts.models import User
from formflow.accounts.service import active_user
from formflow.http import db, request_locale
from formflow.i18n import TRANSLATIONS_DIR, normalize_locale

#: CSRF protection for every page form; /api/ is exempt by path (it uses bearer tokens)
csrf = CSRFProtect()

#: the interface languages, as the language switch offers them (value, name in that language)
LANGUAGES = (("zh_CN", "中文"), ("en", "English"))


class _CatalogDomain(Domain):
    """Flask-Babel's message domain, reading the catalog by Formflow's locale names.

    Babel parses 'zh_CN' as 'zh_Hans_CN', and gettext would then look for a zh_Hans_CN catalog;
    the folder is named zh_CN, as formflow.i18n (the services' gettext) reads it.
    """

    def get_translations(self) -> NullTranslations:
        locale = get_locale()
        return _catalog(normalize_locale(str(locale)) if locale is not None else "en")


@cache
def _catalog(locale: str) -> NullTranslations:
    if locale == "en":  # the source language
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS_DIR), [locale])


class _Babel(Babel):
    """Flask-Babel with the catalog domain above."""

    _domain = _CatalogDomain()

    @property
    def domain_instance(self) -> Domain:
        return self._domain


def _load_user(user_id: str) -> User | None:
    return active_user(db(), user_id)


def _unauthorized() -> Response:
    """Anonymous visitors of a page that needs a login go to /login, then back to the same path."""
    from formflow.web.context import current_path

    flash(_("Please log in to see this page."), "info")
    return redirect(url_for("auth.login", next=current_path()))


def _csrf_protect() -> None:
    from formflow.web.errors import API_PREFIX

    if not request.path.startswith(API_PREFIX):
        csrf.protect(apply_exemptions=True)


#: headers every response gets unless a view set them: no framing (clickjacking on the login and
#: record pages), no MIME sniffing, and no full URLs (with record ids) leaking to other sites
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _timezone() -> str:
    """Dates show in the current workspace's timezone, else the instance default."""
    place = g.get("formflow_place")
    return place.workspace.timezone if place is not None else current_app.config["DEFAULT_TIMEZONE"]


def _html_lang() -> str:
    """The <html lang> value of the current locale ('zh-CN' or 'en')."""
    return normalize_locale(str(get_locale() or "")).replace("_", "-")


def register(app: Flask) -> None:
    """Mount the page blueprints, login, CSRF protection, translations and error pages."""
    from formflow.web import auth, record_forms, records, workspaces
    from formflow.web.context import current_path, form_page_url, template_context
    from formflow.web.errors import register_error_handlers

    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config.get("DEFAULT_LOCALE", "zh_CN"))
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config.get("DEFAULT_TIMEZONE", "Asia/Shanghai"))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_DIR)
    _Babel(app, locale_selector=request_locale, timezone_selector=_timezone)

    login_manager = LoginManager(app)
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_unauthorized)
    login_manager.session_protection = "basic"

    # Checked by our own hook so that /api/ is exempt by path, whatever its blueprints are named.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    app.before_request(_csrf_protect)

    app.after_request(_security_headers)
    app.context_processor(template_context)
    # Globals, not context variables: imported macros (macros/ui.html) see only globals.
    app.jinja_env.globals.update(html_lang=_html_lang, languages=LANGUAGES, current_path=current_path,
                                 form_page_url=form_page_url)
    register_error_handlers(app)
    app.register_blueprint(auth.blueprint)
    app.register_blueprint(workspaces.blueprint)
    app.register_blueprint(records.blueprint)
    app.register_blueprint(record_forms.blueprint)
