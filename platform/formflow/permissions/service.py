"""Changing the rules (app admins only): custom roles, role assignments, actions with scopes, field
access per state, pools. Each call is one transaction, checks everything and raises once, and makes
the policy forget the form's cached rules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from formflow.accounts.models import Department, Membership
from formflow.apps.models import App
from formflow.conditions.tree import parse
from formflow.db import transaction
from formflow.errors import FieldError, NotFound, ValidationFailed
from formflow.forms.models import Form
from formflow.i18n import gettext
from formflow.permissions import policy
from formflow.permissions.actor import Actor
from formflow.permissions.models import FieldRule, MemberRole, PermissionRule, Pool, Role
from formflow.records.access import current_version

#: role and pool keys: like field keys
KEY_LENGTH = 63


def roles_of(session: Session, app: App) -> list[str]:
    """The role keys of an app: the builtin ones, then its custom roles by key."""
    custom = session.scalars(select(Role.key).where(Role.app_id == app.id).order_by(Role.key))
    return [*policy.BUILTIN_ROLES, *(key for key in custom if key not in policy.BUILTIN_ROLES)]


def create_role(session: Session, actor: Actor, app: App, key: str, label: Mapping[str, str]) -> Role:
    """A custom role of ``app``."""
    policy.require(actor, "manage", app)
    errors = _key_errors("key", key)
    if not errors and key in roles_of(session, app):
        errors.append(FieldError("key", "duplicate_key", gettext("This role exists already.")))
    if errors:
        raise ValidationFailed(errors)
    with transaction(session):
        role = Role(workspace_id=app.workspace_id, app_id=app.id, key=key, label=dict(label))
        session.add(role)
    return role


def assign_role(session: Session, actor: Actor, app: App, user_id: int, role: str) -> MemberRole | None:
    """Give a member of the workspace ``role`` in ``app`` (``member`` removes the assignment)."""
    policy.require(actor, "manage", app)
    if role not in roles_of(session, app):
        raise ValidationFailed([FieldError("role", "unknown_role", gettext("Unknown role %(role)s.",
                                                                           role=str(role)[:64]))])
    membership = session.scalar(select(Membership).where(Membership.workspace_id == app.workspace_id,
                                                         Membership.user_id == user_id))
    if membership is None:
        raise NotFound(gettext("This user is not a member of this workspace."))
    with transaction(session):
        assigned = session.scalar(select(MemberRole).where(MemberRole.membership_id == membership.id,
                                                           MemberRole.app_id == app.id))
        if role == "member":
            if assigned is not None:
                session.delete(assigned)
            return None
        if assigned is None:
            assigned = MemberRole(workspace_id=app.workspace_id, membership_id=membership.id, app_id=app.id)
            session.add(assigned)
        assigned.role = role
    return assigned


def set_permissions(session: Session, actor: Actor, form: Form, role: str,
                    grants: Mapping[str, str | Mapping[str, Any]]) -> None:
    """Replace a role's rules on ``form``: ``{action: scope}`` or ``{action: {"condition": tree}}``.

    Actions left out are refused from then on; ``{}`` refuses every action (to return a role to the
    defaults, ``clear_permissions``).
    """
    app = _app_of(session, form)
    policy.require(actor, "manage", form)
    errors = _role_errors(session, app, role)
    rows: list[PermissionRule] = []
    fields = current_version(session, form).fields if form.current_version_id is not None else {}
    for action, value in grants.items():
        path = f"grants.{action}"
        if action not in policy.ACTIONS or action == "manage":
            errors.append(FieldError(path, "unknown_action", gettext("Unknown action %(action)s.",
                                                                     action=str(action)[:32])))
            continue
        scope, condition = (("condition", value.get("condition")) if isinstance(value, Mapping)
                            else (value, None))
        if scope not in policy.scopes:
            errors.append(FieldError(path, "unknown_scope", gettext("Unknown scope %(scope)s.",
                                                                    scope=str(scope)[:32])))
            continue
        if scope == "condition":
            try:
                parse(condition, fields, path=f"{path}.condition")
            except ValidationFailed as failure:
                errors.extend(failure.errors)
                continue
        rows.append(PermissionRule(workspace_id=form.workspace_id, form_id=form.id, role=role, action=action,
                                   scope=scope, condition=condition))
    if errors:
        raise ValidationFailed(errors)
    with transaction(session):
        for old in session.scalars(select(PermissionRule).where(PermissionRule.form_id == form.id,
                                                                PermissionRule.role == role)):
            session.delete(old)
        session.flush()
        session.add_all(rows)
    policy.forget_rules(session, form.id)


def clear_permissions(session: Session, actor: Actor, form: Form, role: str) -> None:
    """Return a role to the defaults on ``form`` (every action but manage, every record)."""
    policy.require(actor, "manage", form)
    with transaction(session):
        for old in session.scalars(select(PermissionRule).where(PermissionRule.form_id == form.id,
                                                                PermissionRule.role == role)):
            session.delete(old)
    policy.forget_rules(session, form.id)


def set_field_access(session: Session, actor: Actor, form: Form, role: str, levels: Mapping[str, str],
                     state: str = "") -> None:
    """Set a role's access to some fields (``{key: "hidden"|"masked"|"read"|"write"}``), by default
    (``state`` "") or in one workflow state; other fields keep their rules."""
    app = _app_of(session, form)
    policy.require(actor, "manage", form)
    errors = _role_errors(session, app, role)
    if state and _key_errors("state", state):
        errors.extend(_key_errors("state", state))
    for key, level in levels.items():
        if _key_errors(f"levels.{key}", key):
            errors.extend(_key_errors(f"levels.{key}", key))
        if level not in policy.ACCESS_LEVELS:
            errors.append(FieldError(f"levels.{key}", "unknown_level", gettext(
                "Access is one of: %(levels)s.", levels=", ".join(policy.ACCESS_LEVELS))))
    if errors:
        raise ValidationFailed(errors)
    with transaction(session):
        existing = {rule.field_key: rule for rule in session.scalars(select(FieldRule).where(
            FieldRule.form_id == form.id, FieldRule.role == role, FieldRule.state == state,
            FieldRule.field_key.in_(list(levels))))}
        for key, level in levels.items():
            rule = existing.get(key)
            if rule is None:
                rule = FieldRule(workspace_id=form.workspace_id, form_id=form.id, role=role, field_key=key,
                                 state=state)
                session.add(rule)
            rule.access = level
    policy.forget_rules(session, form.id)


def create_pool(session: Session, actor: Actor, form: Form, key: str, label: Mapping[str, str], *,
                max_held: int | None = None, max_daily_claims: int | None = None, cooldown_minutes: int = 0,
                member_roles: Iterable[str] = (), member_departments: Iterable[int] = (),
                member_users: Iterable[int] = ()) -> Pool:
    """A public pool of ``form``; all member lists empty: every member of the app belongs to it."""
    app = _app_of(session, form)
    policy.require(actor, "manage", form)
    errors = _key_errors("key", key)
    for name, value in (("max_held", max_held), ("max_daily_claims", max_daily_claims),
                        ("cooldown_minutes", cooldown_minutes)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            errors.append(FieldError(name, "invalid", gettext("Give a whole number of 0 or more.")))
    roles = list(member_roles)
    known = roles_of(session, app)
    errors += [FieldError(f"member_roles.{index}", "unknown_role", gettext("Unknown role %(role)s.",
                                                                           role=str(role)[:64]))
               for index, role in enumerate(roles) if role not in known]
    departments = list(member_departments)
    found = set(session.scalars(select(Department.id).where(Department.workspace_id == form.workspace_id,
                                                             Department.id.in_(departments))))
    errors += [FieldError(f"member_departments.{index}", "unknown_department",
                          gettext("No such department.")) for index, item in enumerate(departments)
               if item not in found]
    users = list(member_users)
    members = set(session.scalars(select(Membership.user_id).where(
        Membership.workspace_id == form.workspace_id, Membership.user_id.in_(users))))
    errors += [FieldError(f"member_users.{index}", "unknown_user", gettext("No such member."))
               for index, item in enumerate(users) if item not in members]
    if not errors and session.scalar(select(Pool.id).where(Pool.form_id == form.id, Pool.key == key)):
        errors.append(FieldError("key", "duplicate_key", gettext("This pool exists already.")))
    if errors:
        raise ValidationFailed(errors)
    with transaction(session):
        pool = Pool(workspace_id=form.workspace_id, form_id=form.id, key=key, label=dict(label),
                    max_held=max_held, max_daily_claims=max_daily_claims, cooldown_minutes=cooldown_minutes,
                    member_roles=roles, member_departments=departments, member_users=users)
        session.add(pool)
    policy.forget_rules(session, form.id)
    return pool


def _app_of(session: Session, form: Form) -> App:
    app = session.get(App, form.app_id)
    if app is None:
        raise NotFound(gettext("No such app."))
    return app


def _role_errors(session: Session, app: App, role: str) -> list[FieldError]:
    if role not in roles_of(session, app):
        return [FieldError("role", "unknown_role", gettext("Unknown role %(role)s.", role=str(role)[:64]))]
    if role == "admin":
        return [FieldError("role", "admin_role", gettext("Administrators may always do everything."))]
    return []


def _key_errors(path: str, key: Any) -> list[FieldError]:
    if isinstance(key, str) and 0 < len(key) <= KEY_LENGTH and key[0].isascii() and key[0].islower() and all(
            character.isascii() and (character.islower() or character.isdigit() or character == "_")
            for character in key):
        return []
    return [FieldError(path, "invalid_key", gettext(
        "A key starts with a lowercase letter and has at most 63 lowercase letters, digits and _."))]
