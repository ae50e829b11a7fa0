"""Read-only lookups the page shell needs: a workspace's apps and forms, as the actor may see them.

The apps and forms packages own their writes; these are the few small reads the navigation and the
workspace/app home pages make, filtered through ``permissions.policy`` like every read.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from formflow.apps.models import App
from formflow.errors import NotFound
from formflow.forms.models import Form
from formflow.i18n import gettext, label
from formflow.permissions import policy
from formflow.permissions.actor import Actor


@dataclass(frozen=True)
class FormEntry:
    """A form as the navigation shows it."""

    form: Form

    @property
    def key(self) -> str:
        return self.form.key

    @property
    def title(self) -> str:
        """The form's name in the current locale."""
        return label(self.form.name) or self.form.key

    @property
    def is_published(self) -> bool:
        """Whether the form has a version records can use."""
        return self.form.current_version_id is not None


@dataclass(frozen=True)
class AppEntry:
    """An app with the forms the actor may see in it."""

    app: App
    forms: tuple[FormEntry, ...]

    @property
    def key(self) -> str:
        return self.app.key

    @property
    def title(self) -> str:
        """The app's name in the current locale."""
        return label(self.app.name) or self.app.key

    @property
    def description(self) -> str:
        """The app's description in the current locale, or ''."""
        return label(self.app.description)


def _visible_forms(actor: Actor, forms: list[Form]) -> tuple[FormEntry, ...]:
    # Members see published forms they may read; admins also see drafts, to publish them.
    return tuple(FormEntry(form) for form in forms
                 if policy.can(actor, "read", form) and (form.current_version_id is not None
                                                         or policy.can(actor, "manage", form)))


def _forms_by_app(session: Session, actor: Actor, app_ids: list[int]) -> dict[int, list[Form]]:
    grouped: dict[int, list[Form]] = {app_id: [] for app_id in app_ids}
    if not app_ids:
        return grouped
    forms = session.scalars(select(Form).where(Form.workspace_id == actor.workspace_id,
                                               Form.app_id.in_(app_ids)).order_by(Form.id))
    for form in forms:
        grouped[form.app_id].append(form)
    return grouped


def apps_for_actor(session: Session, actor: Actor) -> list[AppEntry]:
    """The workspace's apps the actor may see, each with its visible forms, by name.

    Admins see every app (an empty app is theirs to fill); members see apps with a visible form.
    """
    apps = list(session.scalars(select(App).where(App.workspace_id == actor.workspace_id)))
    forms = _forms_by_app(session, actor, [app.id for app in apps])
    entries = [AppEntry(app, _visible_forms(actor, forms[app.id])) for app in apps]
    visible = [entry for entry in entries if entry.forms or actor.is_admin]
    return sorted(visible, key=lambda entry: (entry.title.casefold(), entry.key))


def app_for_actor(session: Session, actor: Actor, app_key: str) -> AppEntry:
    """The app ``app_key`` of the actor's workspace with its visible forms; NotFound if not visible."""
    app = session.scalar(select(App).where(App.workspace_id == actor.workspace_id, App.key == app_key))
    if app is not None:
        entry = AppEntry(app, _visible_forms(actor, _forms_by_app(session, actor, [app.id])[app.id]))
        if entry.forms or actor.is_admin:
            return entry
    raise NotFound(gettext("No such app."))


def form_for_actor(session: Session, actor: Actor, app: App, form_key: str) -> Form:
    """The form ``form_key`` of ``app`` if the actor may read its records; NotFound otherwise."""
    form = session.scalar(select(Form).where(Form.app_id == app.id, Form.key == form_key,
                                             Form.workspace_id == actor.workspace_id))
    if form is None or not policy.can(actor, "read", form):
        raise NotFound(gettext("No such form."))
    return form
