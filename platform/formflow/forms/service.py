"""Forms: create, edit the draft, publish immutable versions, and compile versions for validation.

Publishing is one transaction: check the draft, refuse or ask to confirm its impact on existing
records, write the version, point the form at it, and bring the per-form SQL objects (expression
indexes, typed view; forms/storage.py) in line with it. Services take the session and the actor and
never import flask.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from formflow.apps.models import App
from formflow.config import SETTINGS
from formflow.db import transaction, utcnow
from formflow.errors import Conflict, FieldError, NotFound, ValidationFailed
from formflow.forms import storage
from formflow.forms.definition import KEY_PATTERN, definition_problems, fields_of
from formflow.forms.impact import Impact, compute_impact, current_definition, published_types
from formflow.forms.models import Form, FormVersion
from formflow.forms.schema import compile_schema
from formflow.forms.validation import CompiledForm, compile_form
from formflow.i18n import gettext
from formflow.permissions import policy
from formflow.permissions.actor import Actor

_DEFAULTS = {setting.name: setting.default for setting in SETTINGS}
#: compiled versions kept per database engine
CACHE_SIZE = 512


def empty_definition() -> dict[str, Any]:
    """The definition of a new form: no fields yet."""
    return {"fields": []}


def create_form(session: Session, actor: Actor, app: App, key: str, name: dict[str, str] | str,
                definition: dict[str, Any] | None = None) -> Form:
    """A new form in ``app`` with ``definition`` as its draft (admins only); nothing is published yet."""
    form = Form(workspace_id=app.workspace_id, app_id=app.id, key=key,
                name=name if isinstance(name, dict) else {"zh-CN": name, "en": name},
                draft=copy.deepcopy(definition) if definition is not None else empty_definition())
    policy.require(actor, "manage", form)
    errors: list[FieldError] = []
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        errors.append(FieldError("key", "invalid_key", gettext(
            "A key starts with a lowercase letter and has at most 63 lowercase letters, digits and _.")))
    errors += _draft_problems(form.draft, {})
    if errors:
        raise ValidationFailed(errors)
    with transaction(session):
        if session.scalar(select(Form.id).where(Form.app_id == app.id, Form.key == key)) is not None:
            raise Conflict(gettext("A form with the key '%(key)s' exists already.", key=key),
                           code="duplicate_key")
        session.add(form)
    return form


def get_form(session: Session, actor: Actor, app: App, key: str) -> Form:
    """The form ``key`` of ``app`` in the actor's workspace; NotFound otherwise."""
    form = session.scalar(select(Form).where(Form.app_id == app.id, Form.key == key,
                                             Form.workspace_id == actor.workspace_id))
    if form is None:
        raise NotFound(gettext("No such form."))
    return form


def get_form_by_id(session: Session, actor: Actor, form_id: int) -> Form:
    """The form ``form_id`` in the actor's workspace; NotFound otherwise (other workspaces included)."""
    form = session.scalar(select(Form).where(Form.id == form_id, Form.workspace_id == actor.workspace_id))
    if form is None:
        raise NotFound(gettext("No such form."))
    return form


def list_forms(session: Session, actor: Actor, app: App) -> list[Form]:
    """The forms of ``app`` in the actor's workspace, by key."""
    return list(session.scalars(select(Form).where(Form.app_id == app.id,
                                                   Form.workspace_id == actor.workspace_id)
                                .order_by(Form.key)))


def save_draft(session: Session, actor: Actor, form: Form, definition: dict[str, Any]) -> Form:
    """Replace the form's draft with ``definition`` after checking it (admins only).

    Besides ``check_definition``: a key once published keeps its type forever, also after the field
    was removed (its data is still stored under that key). Keys are the client's: a renamed label
    never changes a key.
    """
    policy.require(actor, "manage", form)
    errors = _draft_problems(definition, published_types(session, form))
    if errors:
        raise ValidationFailed(errors, title=gettext("The form definition has problems"))
    with transaction(session):
        form.draft = copy.deepcopy(definition)
        form.draft_updated_at = utcnow()
        session.add(form)
    return form


def _draft_problems(definition: Any, history: dict[str, str]) -> list[FieldError]:
    errors = definition_problems(definition, max_fields=_DEFAULTS["MAX_SCHEMA_FIELDS"],
                                 max_condition_depth=_DEFAULTS["MAX_CONDITION_DEPTH"])
    if isinstance(definition, dict) and isinstance(definition.get("fields"), list):
        for item in definition["fields"]:
            if not isinstance(item, dict):
                continue
            key, type_name = item.get("key"), item.get("type")
            if isinstance(key, str) and key in history and history[key] != type_name:
                errors.append(FieldError(str(key), "type_change", gettext(
                    "'%(key)s' was published as %(old)s: a published key cannot take another type; "
                    "add a field with a new key instead", key=key, old=history[key])))
    return errors


def impact(session: Session, form: Form, definition: dict[str, Any] | None = None) -> list[Impact]:
    """What publishing ``definition`` (default: the draft) would do to the form's existing records."""
    return compute_impact(session, form, form.draft if definition is None else definition)


def publish(session: Session, actor: Actor, form: Form, confirm: bool = False) -> FormVersion:
    """Publish the draft as the form's next immutable version (admins only).

    Refuses with 409 ``publish_impact`` (the impacts in ``extra["impacts"]``) when publishing affects
    existing records, unless ``confirm``; blocking impacts refuse even then. Publishing a draft equal
    to the current version returns the current version.
    """
    policy.require(actor, "manage", form)
    with transaction(session):
        session.scalar(select(Form).where(Form.id == form.id).with_for_update().execution_options(
            populate_existing=True))
        definition = copy.deepcopy(form.draft)
        errors = _draft_problems(definition, published_types(session, form))
        if errors:
            raise ValidationFailed(errors, title=gettext("The form definition has problems"))
        before = current_definition(session, form)
        if before is not None and before == definition:
            return session.get(FormVersion, form.current_version_id)
        impacts = compute_impact(session, form, definition)
        _refuse_unconfirmed(impacts, confirm)
        number = (session.scalar(select(func.max(FormVersion.number)).where(FormVersion.form_id == form.id))
                  or 0) + 1
        version = FormVersion(form_id=form.id, number=number, definition=definition,
                              json_schema=compile_schema(definition), published_by_id=actor.user_id)
        session.add(version)
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(gettext("Someone else published this form at the same time; try again."),
                           code="publish_conflict") from None
        form.current_version_id = version.id
        session.add(form)
        session.flush()
        _sync_sql_objects(session, form, fields_of(before or {"fields": []}), fields_of(definition))
    return version


def _refuse_unconfirmed(impacts: list[Impact], confirm: bool) -> None:
    blocking = [item for item in impacts if item.blocking]
    if not blocking and (confirm or not impacts):
        return
    shown = blocking or impacts
    raise Conflict(
        gettext("Publishing cannot go ahead: fix the definition first.") if blocking
        else gettext("Publishing affects existing records: confirm to go ahead."),
        code="publish_impact", detail=" ".join(item.message for item in shown),
        extra={"impacts": [item.as_dict() for item in impacts], "confirmable": not blocking})


def _sync_sql_objects(session: Session, form: Form, before: dict[str, Any], after: dict[str, Any]) -> None:
    connection = session.connection()
    storage.sync_indexes(connection, form.id, before, after)
    app = session.get(App, form.app_id)
    storage.replace_view(connection, storage.view_name(app.key, form.key), form.id, after)


def list_versions(session: Session, form: Form) -> list[FormVersion]:
    """The form's published versions, newest first."""
    return list(session.scalars(select(FormVersion).where(FormVersion.form_id == form.id)
                                .order_by(FormVersion.number.desc())))


def get_version(session: Session, form: Form, number: int | None = None) -> FormVersion:
    """Version ``number`` of the form, or the current one; NotFound when there is none."""
    if number is None:
        version = session.get(FormVersion, form.current_version_id) if form.current_version_id else None
    else:
        version = session.scalar(select(FormVersion).where(FormVersion.form_id == form.id,
                                                           FormVersion.number == number))
    if version is None:
        raise NotFound(gettext("This form has no such published version."))
    return version


_compiled: WeakKeyDictionary[Engine, OrderedDict[int, CompiledForm]] = WeakKeyDictionary()
_compiled_lock = threading.Lock()


def compiled(session: Session, version_id: int) -> CompiledForm:
    """The version prepared for validation, compiled once and cached by id (versions never change).

    The cache belongs to the database engine: two databases with the same version ids (tests,
    several instances in one process) never share entries.
    """
    bind = session.get_bind()
    engine: Engine = bind if isinstance(bind, Engine) else bind.engine
    with _compiled_lock:
        cache = _compiled.setdefault(engine, OrderedDict())
        found = cache.get(version_id)
        if found is not None:
            cache.move_to_end(version_id)
            return found
    definition = session.scalar(select(FormVersion.definition).where(FormVersion.id == version_id))
    if definition is None:
        raise NotFound(gettext("This form has no such published version."))
    result = compile_form(definition, version_id, regex_timeout=float(_DEFAULTS["REGEX_TIMEOUT"]))
    with _compiled_lock:
        cache[version_id] = result
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
    return result
