"""Why a user can or cannot see or change a record or a field: the policy's decisions, in words.

``explain`` asks the same functions every output path uses (``grant``, ``scope_filter`` run as SQL
on the one record, ``field_levels`` for the record's state), so the explanation cannot disagree with
what the user actually gets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import object_session

from formflow.forms.models import Form
from formflow.i18n import gettext, label
from formflow.permissions import policy
from formflow.permissions.actor import Actor
from formflow.permissions.models import PoolEntry
from formflow.records.models import Record

#: the record actions an explanation covers
RECORD_ACTIONS = ("read", "update", "delete", "comment", "assign", "transition", "export")


@dataclass
class Explanation:
    """The decisions (action -> allowed), the field's level, and the reasons, in the current locale."""

    role: str
    decisions: dict[str, bool] = field(default_factory=dict)
    field_level: str | None = None
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"role": self.role, "decisions": dict(self.decisions), "field_level": self.field_level,
                "reasons": list(self.reasons)}


def explain(actor: Actor, form: Form, record: Record | None = None, field_key: str | None = None
            ) -> Explanation:
    """Why ``actor`` may or may not act on ``form`` (and ``record``, and its field ``field_key``)."""
    role = policy.role_of(actor, form)
    result = Explanation(role=role)
    if form.workspace_id != actor.workspace_id or (record is not None
                                                   and record.workspace_id != actor.workspace_id):
        result.decisions = dict.fromkeys(RECORD_ACTIONS, False)
        result.reasons.append(gettext("The form or record belongs to another workspace."))
        return result
    if policy.is_app_admin(actor, form):
        result.decisions = dict.fromkeys(RECORD_ACTIONS, True)
        result.reasons.append(gettext("%(role)s: administrators see and change every record and field.",
                                      role=role))
        if field_key is not None:
            result.field_level = "write"
        return result
    configured = policy.rules_of(form).grants.get(role) is not None
    if not configured:
        result.reasons.append(gettext("The role %(role)s has no rules on this form: it may do everything "
                                      "but manage it, on every record.", role=role))
    for action in RECORD_ACTIONS:
        granted = policy.grant(actor, action, form)
        scope = policy.scopes.get(granted.scope)
        if record is None:
            result.decisions[action] = granted.scope != "none"
        else:
            result.decisions[action] = _in_scope(actor, form, record, action)
        if configured:
            result.reasons.append(gettext("%(action)s: the role %(role)s may act on %(scope)s.",
                                          action=gettext(action), role=role, scope=scope.describe(actor)))
    if record is not None:
        result.reasons.extend(_record_reasons(actor, form, record, result))
    if field_key is not None:
        state = record.state if record is not None else None
        level = policy.field_levels(actor, form, [field_key], state)[field_key]
        default = policy.field_levels(actor, form, [field_key])[field_key]
        result.field_level = level
        if state and level != default:
            result.reasons.append(gettext(
                "The field %(field)s is %(level)s for %(role)s in the state %(state)s (by default: "
                "%(default)s).", field=field_key, level=gettext(level), role=role, state=state,
                default=gettext(default)))
        else:
            result.reasons.append(gettext("The field %(field)s is %(level)s for %(role)s.", field=field_key,
                                          level=gettext(level), role=role))
    return result


def _in_scope(actor: Actor, form: Form, record: Record, action: str) -> bool:
    session = object_session(form)
    if session is None or record.deleted_at is not None:
        return False
    return bool(session.scalar(select(exists().where(policy.scope_filter(actor, form, action),
                                                     Record.id == record.id))))


def _record_reasons(actor: Actor, form: Form, record: Record, result: Explanation) -> list[str]:
    reasons = []
    if record.deleted_at is not None:
        reasons.append(gettext("The record is in the trash."))
    if record.owner_id is not None and record.owner_id == actor.user_id:
        reasons.append(gettext("The user owns this record."))
    elif record.owner_id is not None and record.owner_id in actor.subordinate_user_ids:
        reasons.append(gettext("The record belongs to a member of a department the user manages."))
    elif record.owner_id is not None and record.owner_id in actor.team_user_ids:
        reasons.append(gettext("The record belongs to a member of the user's department."))
    elif record.owner_id is not None:
        reasons.append(gettext("The record belongs to someone outside the user's departments."))
    session = object_session(form)
    entry = session.get(PoolEntry, record.id) if session is not None and record.owner_id is None else None
    if entry is not None:
        pool = next((item for item in policy.rules_of(form).pools if item.id == entry.pool_id), None)
        member = pool is not None and pool in policy.pools_of(actor, form)
        name = label(pool.label) or pool.key if pool is not None else "?"
        reasons.append(gettext("The record waits in the pool %(pool)s, which the user belongs to.", pool=name)
                       if member else
                       gettext("The record waits in the pool %(pool)s, which the user does not belong to.",
                               pool=name))
    if not result.decisions.get("read"):
        reasons.append(gettext("So the user cannot see this record: it is outside every scope they have."))
    return reasons
