"""Hook points of the record service: code that runs inside every record write's transaction.

Workflows (the state step) and automation (jobs in the outbox) append callables here at start-up;
each is called as ``hook(session, actor, event)``. ``before_write`` runs after validation and
auto-numbering, before the record and its revision are written: a hook may change ``event.record``
(its state, say) or raise a ``FormflowError`` to refuse the write, which rolls everything back.
``after_write`` runs once the record and revision are flushed (the record has its id), still inside
the transaction: rows it adds commit or roll back with the record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from formflow.forms.models import Form
    from formflow.permissions.actor import Actor
    from formflow.records.models import Record

#: what happened: "create", "update", "delete", "restore", "transition" (a workflow step: the state
#: changes, records/transitions.py), "migrate" (an admin moves the record to another workflow version)
KINDS = ("create", "update", "delete", "restore", "transition", "migrate", "assign")


@dataclass
class RecordEvent:
    """One record write as hooks see it."""

    #: one of KINDS
    kind: str
    form: Form
    record: Record
    #: changed field values ``{key: [old, new]}`` (unmasked: hooks run on the server)
    diff: dict[str, list[Any]]
    #: the record's data before the write (None for a create)
    before: dict[str, Any] | None = None
    #: free room for hooks to pass things to later hooks of the same write
    extra: dict[str, Any] = field(default_factory=dict)


Hook = Callable[[Session, "Actor", RecordEvent], None]

#: called before the record is written; may change the record or raise to refuse
before_write: list[Hook] = []
#: called after the record and its revision are flushed, inside the same transaction
after_write: list[Hook] = []


def run(hooks: list[Hook], session: Session, actor: Actor, event: RecordEvent) -> None:
    """Call each hook in registration order."""
    for hook in list(hooks):
        hook(session, actor, event)
