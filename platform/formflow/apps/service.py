"""Apps: install an app in a workspace, find it, list them. Services never import flask."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from formflow.apps.models import App
from formflow.db import transaction
from formflow.errors import Conflict, FieldError, NotFound, ValidationFailed
from formflow.i18n import gettext
from formflow.permissions import policy
from formflow.permissions.actor import Actor

#: app keys appear in SQL view names (``ff_<app>_<form>``) and URLs: the same shape as field keys
APP_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def install_app(session: Session, actor: Actor, key: str, name: dict[str, str] | str,
                description: dict[str, str] | None = None) -> App:
    """A new, empty app in the actor's workspace (admins only); its forms are added with forms.service."""
    app = App(workspace_id=actor.workspace_id, key=key,
              name=name if isinstance(name, dict) else {"en": name, "zh-CN": name}, description=description)
    policy.require(actor, "manage", app)
    if not isinstance(key, str) or not APP_KEY_PATTERN.match(key):
        raise ValidationFailed([FieldError("key", "invalid_key", gettext(
            "A key starts with a lowercase letter and has at most 63 lowercase letters, digits and _."))])
    with transaction(session):
        taken = session.scalar(select(App.id).where(App.workspace_id == actor.workspace_id, App.key == key))
        if taken is not None:
            raise Conflict(gettext("An app with the key '%(key)s' exists already.", key=key),
                           code="duplicate_key")
        session.add(app)
    return app


def get_app(session: Session, actor: Actor, key: str) -> App:
    """The app ``key`` of the actor's workspace; NotFound when there is none."""
    app = session.scalar(select(App).where(App.workspace_id == actor.workspace_id, App.key == key))
    if app is None:
        raise NotFound(gettext("No such app."))
    return app


def list_apps(session: Session, actor: Actor) -> list[App]:
    """The apps installed in the actor's workspace, by key."""
    return list(session.scalars(select(App).where(App.workspace_id == actor.workspace_id).order_by(App.key)))

