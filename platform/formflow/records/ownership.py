"""Owner changes of the record service: claiming from a pool, releasing into one, moving between pools.

Like every record write, an owner change goes through the shared steps of records/service.py inside
the caller's transaction (``db.transaction``, opened by permissions/pools.py, which checks the pool's
rules first): the record's version + 1 (``UPDATE … WHERE version = :seen``, so a lost race raises
StaleDataError), the ``before_write`` hooks, a revision whose diff holds ``owner`` (and ``pool``),
the ``after_write`` hooks. The record keeps its id, so its whole history travels with it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from formflow.db import utcnow
from formflow.forms.models import Form
from formflow.permissions.actor import Actor
from formflow.records import hooks
from formflow.records.hooks import RecordEvent
from formflow.records.models import Record
from formflow.records.service import _add_revision, _touch

#: the revision actions of owner changes
ACTIONS = ("claim", "release", "move", "assign")


def change_owner(session: Session, actor: Actor, form: Form, record: Record, owner_id: int | None, *,
                 action: str, changes: dict[str, list[Any]] | None = None) -> Record:
    """Give ``record`` to ``owner_id`` (None: nobody) inside the caller's transaction.

    ``action`` names the revision (one of ACTIONS); ``changes`` adds system diff entries such as
    ``{"pool": [old key, new key]}``. Hooks see the event kind ``assign``.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown owner change {action!r}")
    now = utcnow()
    diff: dict[str, list[Any]] = {"owner": [record.owner_id, owner_id], **(changes or {})}
    record.owner_id = owner_id
    _touch(record, actor, now)
    event = RecordEvent("assign", form, record, diff, before=dict(record.data), extra={"action": action})
    hooks.run(hooks.before_write, session, actor, event)
    session.flush()
    _add_revision(session, actor, record, action, event.diff, now)
    hooks.run(hooks.after_write, session, actor, event)
    return record
