"""The one place that decides what an actor may see and change.

Every read starts from ``scope_filter`` (a SQL condition on ``Record``, so lists, searches, sorts,
counts and relation titles all use the same rows) and ``field_mask`` (which fields are readable,
writable, shown masked, per workflow state); every write asks ``require`` and the mask.

The rules (permissions/models.py): an actor holds one role per app (workspace admins: ``admin``,
members: ``member`` unless a ``MemberRole`` says otherwise). A role may take an action on a form's
records within a record scope (``SCOPES``); a role without any rule on a form keeps
``DEFAULT_SCOPE`` for every action but ``manage``. Fields are writable unless a ``FieldRule`` says
``read``, ``masked`` or ``hidden``, by default or in one workflow state. Records without an owner in a
public pool are readable by the pool's members, whatever their scope (permissions/pools.py).

Rules are cached per engine for a few seconds (``rules_of``); admin changes (permissions/service.py)
forget them at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import ColumnElement, Engine, Integer, and_, bindparam, exists, false, or_, select, true
from sqlalchemy.orm import Session, object_session

from formflow.errors import FieldError, Forbidden, ValidationFailed
from formflow.fields.base import Field
from formflow.fields.keys import RESERVED
from formflow.forms.models import Form
from formflow.i18n import gettext
from formflow.permissions import audit
from formflow.permissions.actor import Actor
from formflow.permissions.masking import masked_value
from formflow.permissions.models import FieldRule, PermissionRule, Pool, PoolEntry
from formflow.records.models import Record
from formflow.registry import Registry

#: what an actor may do to a form's records, or to the form itself ("manage")
ACTIONS = ("create", "read", "update", "delete", "comment", "export", "import", "assign", "transition",
           "manage")
#: what a field rule may say, from the least to the most access
ACCESS_LEVELS = ("hidden", "masked", "read", "write")
#: the roles every app has without a ``Role`` row
BUILTIN_ROLES = ("admin", "manager", "member")
#: the scope of every action but ``manage`` for a role that has no rule on a form
DEFAULT_SCOPE = "all"
#: input keys that name system columns: writing them is mass-assignment (audited)
SYSTEM_KEYS = frozenset(RESERVED) | {"version", "form", "form_version", "workflow_version", "pool"}
#: seconds a process keeps a form's rules before reading them again
RULES_TTL_SECONDS = 5.0
_RULES: WeakKeyDictionary[Engine, dict[int, tuple[float, FormRules]]] = WeakKeyDictionary()
_RULES_LOCK = threading.Lock()


# --- the rules of a form --------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """A role's record scope for one action (``condition`` for the ``condition`` scope)."""

    scope: str
    condition: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class PoolInfo:
    """A pool as the policy needs it: its id, key, and who belongs to it."""

    id: int
    key: str
    label: Mapping[str, str]
    roles: frozenset[str]
    departments: frozenset[int]
    users: frozenset[int]

    def admits(self, actor: Actor, role: str) -> bool:
        """Whether the actor (holding ``role`` in the form's app) is a member of the pool."""
        if not (self.roles or self.departments or self.users):
            return True
        return (role in self.roles or actor.user_id in self.users
                or bool(self.departments & {*actor.department_ids, *actor.managed_department_ids}))


@dataclass(frozen=True)
class FormRules:
    """Every rule of one form: grants and field levels by role, and its pools."""

    #: role -> action -> grant; a role missing here has no rule (defaults apply)
    grants: Mapping[str, Mapping[str, Grant]]
    #: role -> state ("" = default) -> field key -> access level
    fields: Mapping[str, Mapping[str, Mapping[str, str]]]
    pools: tuple[PoolInfo, ...]


def rules_of(form: Form) -> FormRules:
    """The form's rules, cached per engine for ``RULES_TTL_SECONDS``.

    They are read on a connection of their own, never through the caller's session: a form may be
    used from another thread's session (concurrent writers share one loaded form), and a session
    must not be used by two threads. The permissions service forgets a form's rules when it changes
    them; another process sees the change within the TTL.
    """
    engine = _session_of(form).get_bind().engine
    now = time.monotonic()
    cached = _RULES.get(engine, {}).get(form.id)
    if cached is not None and now - cached[0] < RULES_TTL_SECONDS:
        return cached[1]
    with Session(engine) as session:
        rules = _load_rules(session, form.id)
    with _RULES_LOCK:
        _RULES.setdefault(engine, {})[form.id] = (now, rules)
    return rules


def forget_rules(bind: Any, form_id: int | None = None) -> None:
    """Forget the cached rules of one form (or every form) of an engine or session's database."""
    engine = bind.get_bind().engine if isinstance(bind, Session) else bind.engine
    with _RULES_LOCK:
        if form_id is None:
            _RULES.pop(engine, None)
        else:
            _RULES.get(engine, {}).pop(form_id, None)


def _session_of(target: Any) -> Session:
    session = object_session(target)
    if session is None:
        raise RuntimeError("the policy needs the form attached to a session")
    return session


def _load_rules(session: Session, form_id: int) -> FormRules:
    grants: dict[str, dict[str, Grant]] = {}
    for rule in session.scalars(select(PermissionRule).where(PermissionRule.form_id == form_id)):
        grants.setdefault(rule.role, {})[rule.action] = Grant(rule.scope, rule.condition)
    levels: dict[str, dict[str, dict[str, str]]] = {}
    for rule in session.scalars(select(FieldRule).where(FieldRule.form_id == form_id)):
        levels.setdefault(rule.role, {}).setdefault(rule.state or "", {})[rule.field_key] = rule.access
    pools = tuple(PoolInfo(pool.id, pool.key, pool.label or {}, frozenset(pool.member_roles or ()),
                           frozenset(pool.member_departments or ()), frozenset(pool.member_users or ()))
                  for pool in session.scalars(select(Pool).where(Pool.form_id == form_id).order_by(Pool.id)))
    return FormRules(grants, levels, pools)


def role_of(actor: Actor, target: Any) -> str:
    """The actor's role key in the app of ``target`` (a form, or an app)."""
    app_id = target.app_id if hasattr(target, "app_id") else target.id
    return actor.app_role(app_id)


def is_app_admin(actor: Actor, target: Any) -> bool:
    """Workspace admins, the system actor, and the app's ``admin`` role may do everything in the app."""
    return actor.is_admin or role_of(actor, target) == "admin"


def grant(actor: Actor, action: str, form: Form) -> Grant:
    """The actor's scope for ``action`` on ``form``'s records (``none`` when refused)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if form.workspace_id != actor.workspace_id:
        return Grant("none")
    if is_app_admin(actor, form):
        return Grant("all")
    if action == "manage":
        return Grant("none")
    role_grants = rules_of(form).grants.get(role_of(actor, form))
    if role_grants is None:
        return Grant(DEFAULT_SCOPE)
    return role_grants.get(action, Grant("none"))


def pools_of(actor: Actor, form: Form) -> tuple[PoolInfo, ...]:
    """The form's pools the actor belongs to (admins belong to all)."""
    if form.workspace_id != actor.workspace_id:
        return ()
    pools = rules_of(form).pools
    if is_app_admin(actor, form):
        return pools
    role = role_of(actor, form)
    return tuple(pool for pool in pools if pool.admits(actor, role))


# --- actions --------------------------------------------------------------------------------------


def can(actor: Actor, action: str, form: Any) -> bool:
    """Whether ``actor`` may take ``action`` on ``form`` (or its records) at all, in some scope."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if form.workspace_id != actor.workspace_id:
        return False
    if not isinstance(form, Form):  # an app: only its management is asked about
        return is_app_admin(actor, form) if action == "manage" else True
    if grant(actor, action, form).scope != "none":
        return True
    return action == "read" and bool(pools_of(actor, form))


def require(actor: Actor, action: str, form: Any) -> None:
    """Raise Forbidden (and log it) unless ``can(actor, action, form)``."""
    if can(actor, action, form):
        return
    session = object_session(form)
    if session is not None:
        kind = "cross_workspace" if form.workspace_id != actor.workspace_id else "forbidden_action"
        audit.record(session, actor, kind, form_id=form.id if isinstance(form, Form) else None,
                     detail={"action": action})
    raise Forbidden(gettext("You may not %(action)s in this form.", action=gettext(action)))


# --- record scopes --------------------------------------------------------------------------------


class Scope:
    """A record scope an admin picks for a role and an action."""

    #: the key rules store
    name = ""

    def condition(self, actor: Actor, form: Form, grant: Grant) -> ColumnElement[bool]:
        """The SQL condition on ``Record`` of the records in scope."""
        raise NotImplementedError

    def describe(self, actor: Actor) -> str:
        """What the scope means, for ``explain``."""
        raise NotImplementedError


scopes: Registry[Scope] = Registry("record scope")


@scopes.register
class NoScope(Scope):
    name = "none"

    def condition(self, actor: Actor, form: Form, grant: Grant) -> ColumnElement[bool]:
        return false()

    def describe(self, actor: Actor) -> str:
        return gettext("no records")


@scopes.register
class OwnScope(Scope):
    name = "own"

    def condition(self, actor: Actor, form: Form, grant: Grant) -> ColumnElement[bool]:
        return Record.owner_id == actor.user_id if actor.user_id is not None else false()

    def describe(self, actor: Actor) -> str:
        return gettext("the records they own")


@scopes.register
class SubordinatesScope(Scope):
    name = "subordinates"

    def condition(self, actor: Actor, form: Form, grant: Grant) -> ColumnElement[bool]:
        users = actor.subordinate_user_ids or ((actor.user_id,) if actor.user_id is not None else ())
        return Record.owner_id.in_(users) if users else false()

    def describe(self, actor: Actor) -> str:
        return gettext("the records they or the members of the departments they manage own")


@scopes.register
class TeamScope(Scope):
    name = "team"

    def condition(self, actor: Actor, form: Form, grant: Grant) -> ColumnElement[bool]:
        users = actor.team_user_ids or ((actor.user_id,) if actor.user_id is not None else ())
        return Record.owner_id.in_(users) if users else false()

    def describe(self, actor: Actor) -> str:
        return gettext("the records owned by members of their department")


@scopes.register
class AllScope(Scope):
    name = "all"

    def condition(self, actor: Actor, form: Form, grant: Grant) -> ColumnElement[bool]:
        return true()

    def describe(self, actor: Actor) -> str:
        return gettext("every record of the form")


@scopes.register
class ConditionScope(Scope):
    """The records matching a condition tree over the form's fields and the system fields."""

    name = "condition"

    def condition(self, actor: Actor, form: Form, grant: Grant) -> ColumnElement[bool]:
        from formflow.conditions import sql as condition_sql
        from formflow.conditions.context import EvaluationContext
        from formflow.db import utcnow
        from formflow.forms.service import compiled

        if not grant.condition:
            return false()
        engine = _session_of(form).get_bind().engine
        fields: Iterable[Field] = ()
        if form.current_version_id is not None:
            with Session(engine) as session:  # compiled versions are cached: this rarely reads
                fields = compiled(session, form.current_version_id).fields.values()
        columns = condition_sql.record_columns(fields, engine.dialect.name)
        context = EvaluationContext(user_id=actor.user_id, team_user_ids=actor.team_user_ids,
                                    timezone=actor.timezone, now=utcnow())
        return condition_sql.compile(dict(grant.condition), columns, context)

    def describe(self, actor: Actor) -> str:
        return gettext("the records matching a condition")


#: actions whose scope also covers the pools the actor belongs to
POOL_ACTIONS = frozenset({"read"})


def scope_filter(actor: Actor, form: Form, action: str = "read") -> ColumnElement[bool]:
    """SQL condition on ``Record`` for the live records of ``form`` the actor may take ``action`` on."""
    # No test on Record.workspace_id: a record always has its form's workspace (the record service
    # writes it so), and _scope_condition refuses a form of another workspace; so the owner scopes
    # page and count from the (form_id, owner_id, deleted_at, id) index alone.
    live = and_(Record.form_id == form_literal(form), Record.deleted_at.is_(None))
    return and_(live, _scope_condition(actor, form, action))


def form_literal(form: Form) -> ColumnElement[int]:
    """The form's id as an inline SQL integer: a form's expression indexes are partial on
    ``form_id = <id>`` and SQLite only uses them when the query's WHERE has that very literal."""
    return bindparam("form_id", int(form.id), type_=Integer, unique=True, literal_execute=True)


def trash_filter(actor: Actor, form: Form) -> ColumnElement[bool]:
    """SQL condition on ``Record`` for the soft-deleted records of ``form`` the actor may restore."""
    trashed = and_(Record.form_id == form.id, Record.deleted_at.is_not(None))
    return and_(trashed, _scope_condition(actor, form, "delete", pools=False))


def _scope_condition(actor: Actor, form: Form, action: str, *, pools: bool = True) -> ColumnElement[bool]:
    if form.workspace_id != actor.workspace_id:
        return false()
    granted = grant(actor, action, form)
    if granted.scope == "all":
        return true()
    condition = scopes.get(granted.scope).condition(actor, form, granted)
    member_of = pools_of(actor, form) if pools and action in POOL_ACTIONS else ()
    if member_of:
        in_pool = exists().where(PoolEntry.record_id == Record.id,
                                 PoolEntry.pool_id.in_([pool.id for pool in member_of]))
        condition = or_(condition, and_(Record.owner_id.is_(None), in_pool))
    return condition


# --- field masks ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldMask:
    """Field keys the actor may read, write, or see only masked; a key in none of them is hidden.

    With per-state rules, ``readable``/``writable`` hold the keys allowed in *every* state (filters,
    sorts and searches use them, so they are never an oracle), ``shown`` every key some state lets
    the actor see, and ``for_state(record.state)`` the mask of one record.
    """

    readable: frozenset[str]
    writable: frozenset[str]
    masked: frozenset[str] = frozenset()
    #: keys readable or masked in some state (default: ``readable | masked``)
    shown: frozenset[str] = frozenset()
    #: state -> mask; ``None`` is the mask of states without their own rules
    states: Mapping[str | None, FieldMask] = field(default_factory=dict, compare=False)
    #: the actor and form it was computed for (the audit log names them)
    subject: tuple[Actor, Form] | None = field(default=None, compare=False)

    def can_read(self, key: str) -> bool:
        return key in self.readable

    def can_write(self, key: str) -> bool:
        return key in self.writable

    def can_show(self, key: str) -> bool:
        """Whether the key may appear in some record's data (its value, or its mask)."""
        return key in self.readable or key in self.masked or key in self.shown

    def visible(self, data: dict) -> dict:
        """``data`` without the hidden (and masked) fields."""
        return {key: value for key, value in data.items() if key in self.readable}

    def for_state(self, state: str | None) -> FieldMask:
        """The mask of a record in ``state``."""
        if not self.states:
            return self
        return self.states.get(state) or self.states[None]

    def masked_values(self, fields: Mapping[str, Field], data: Mapping[str, Any],
                      keys: Iterable[str] | None = None) -> dict[str, str]:
        """The masked text of each masked field among ``keys`` (default: all) that has a value."""
        wanted = self.masked if keys is None else self.masked & set(keys)
        return {key: masked_value(fields[key], data[key]) for key in sorted(wanted)
                if key in fields and data.get(key) is not None}


def field_levels(actor: Actor, form: Form, field_keys: Iterable[str], state: str | None = None
                 ) -> dict[str, str]:
    """Each field's access level for the actor, in ``state`` (None: the default)."""
    keys = list(field_keys)
    if form.workspace_id != actor.workspace_id:
        return dict.fromkeys(keys, "hidden")
    if is_app_admin(actor, form):
        return dict.fromkeys(keys, "write")
    by_state = rules_of(form).fields.get(role_of(actor, form), {})
    levels = {**by_state.get("", {}), **(by_state.get(state, {}) if state else {})}
    return {key: levels.get(key, "write") for key in keys}


def field_mask(actor: Actor, form: Form, field_keys: list[str]) -> FieldMask:
    """Which of ``field_keys`` (a form version's fields) the actor may read, write or see masked."""
    keys = list(field_keys)
    subject = (actor, form)
    default = _mask_of_levels(field_levels(actor, form, keys), subject)
    if form.workspace_id != actor.workspace_id or is_app_admin(actor, form):
        return default
    states = [state for state in rules_of(form).fields.get(role_of(actor, form), {}) if state]
    if not states:
        return default
    masks: dict[str | None, FieldMask] = {None: default}
    for state in states:
        masks[state] = _mask_of_levels(field_levels(actor, form, keys, state), subject)
    readable = frozenset.intersection(*(mask.readable for mask in masks.values()))
    writable = frozenset.intersection(*(mask.writable for mask in masks.values()))
    shown = frozenset.union(*(mask.readable | mask.masked for mask in masks.values()))
    return FieldMask(readable=readable, writable=writable, shown=shown, states=masks, subject=subject)


def _mask_of_levels(levels: Mapping[str, str], subject: tuple[Actor, Form]) -> FieldMask:
    readable = frozenset(key for key, level in levels.items() if level in ("read", "write"))
    masked = frozenset(key for key, level in levels.items() if level == "masked")
    return FieldMask(readable=readable, writable=frozenset(key for key, level in levels.items()
                                                           if level == "write"),
                     masked=masked, shown=readable | masked, subject=subject)


# --- refused writes -------------------------------------------------------------------------------


class FieldsRefused(ValidationFailed):
    """A write named fields the actor may not write: 403, one error per field, nothing written."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(errors, title=gettext("You may not change these fields"))
        self.status = 403
        self.code = "field_forbidden"
        self.detail = ", ".join(dict.fromkeys(error.field for error in errors))


def refused_write(mask: FieldMask, errors: list[FieldError], record_id: int | None = None) -> FieldsRefused:
    """The 403 for ``errors`` (from the record service's field check), logged in the audit log.

    Keys naming system columns are logged as mass-assignment, the others as refused fields.
    """
    if mask.subject is not None:
        actor, form = mask.subject
        session = object_session(form)
        keys = [error.field for error in errors]
        system = [key for key in keys if key in SYSTEM_KEYS]
        others = [key for key in keys if key not in SYSTEM_KEYS]
        if session is not None:
            for kind, named in (("mass_assignment", system), ("field_refused", others)):
                if named:
                    audit.record(session, actor, kind, form_id=form.id, record_id=record_id, fields=named)
    return FieldsRefused(errors)


def note_missing_record(session: Session, actor: Actor, record_id: Any) -> None:
    """Log a record id the actor asked for that belongs to another workspace (guessed or enumerated)."""
    if not isinstance(record_id, int) or isinstance(record_id, bool):
        return
    owner_workspace = session.scalar(select(Record.workspace_id).where(Record.id == record_id))
    if owner_workspace is not None and owner_workspace != actor.workspace_id:
        audit.record(session, actor, "cross_workspace", record_id=record_id)
