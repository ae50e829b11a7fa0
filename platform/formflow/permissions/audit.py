"""The audit log: refused writes to fields, mass-assignment of system fields, forged or revoked tokens,
ids of other workspaces and refused actions, for workspace admins to read.

An entry must outlive the request that caused it, and that request's transaction is usually rolled
back (a refused write writes nothing). So ``record`` keeps the entry on the session and writes it,
on a connection of its own, when the session's outermost transaction ends (commit, rollback or
close); outside a transaction it writes at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event, insert, select
from sqlalchemy.orm import Session, SessionTransaction

from formflow.db import utcnow
from formflow.errors import BadRequest, Forbidden
from formflow.i18n import gettext
from formflow.permissions.actor import Actor
from formflow.permissions.models import AuditEntry

logger = logging.getLogger(__name__)

#: what an entry records
KINDS = (
    "field_refused",      # a write named a field the actor may not write (read-only, masked or hidden)
    "mass_assignment",    # a write named a system field: owner, state, id, version...
    "invalid_token",      # a bearer token that is not one of ours (forged, mistyped)
    "revoked_token",      # a token that was revoked, or whose user left or was deactivated
    "cross_workspace",    # an id that belongs to another workspace
    "forbidden_action",   # an action the actor's role does not allow
)
#: most entries one page of the log returns
MAX_PAGE = 500
_PENDING = "formflow.audit.pending"
_LISTENING = "formflow.audit.listening"


@dataclass(frozen=True)
class Subject:
    """Who did it, where: the actor's workspace and user, or only what a request claimed."""

    workspace_id: int | None
    user_id: int | None

    @classmethod
    def of(cls, actor: Actor) -> Subject:
        return cls(actor.workspace_id, actor.user_id)


def record(session: Session, subject: Subject | Actor, kind: str, *, form_id: int | None = None,
           record_id: int | None = None, fields: Iterable[str] = (), detail: dict[str, Any] | None = None
           ) -> None:
    """Log one event; written when the session's transaction ends, whatever its outcome."""
    if kind not in KINDS:
        raise ValueError(f"unknown audit kind {kind!r}")
    who = Subject.of(subject) if isinstance(subject, Actor) else subject
    entry = {"workspace_id": who.workspace_id, "user_id": who.user_id, "kind": kind, "form_id": form_id,
             "record_id": record_id, "fields": sorted(set(fields)), "detail": detail or {},
             "created_at": utcnow()}
    if not session.in_transaction():
        _write(session.get_bind(), [entry])
        return
    session.info.setdefault(_PENDING, []).append(entry)
    if not session.info.get(_LISTENING):
        event.listen(session, "after_transaction_end", _flush_pending)
        session.info[_LISTENING] = True


def _flush_pending(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    pending = session.info.pop(_PENDING, None)
    if pending:
        _write(session.get_bind(), pending)


def _write(bind: Any, entries: list[dict[str, Any]]) -> None:
    engine: Engine = bind.engine if hasattr(bind, "engine") else bind
    try:
        with engine.begin() as connection:
            connection.execute(insert(AuditEntry), entries)
    except Exception:  # an audit failure must not turn a refusal into a server error; it is logged
        logger.exception("could not write %d audit entries", len(entries))


def list_entries(session: Session, actor: Actor, *, kind: str | None = None, before: int | None = None,
                 limit: int = 100) -> list[AuditEntry]:
    """The workspace's audit entries, newest first (admins only); ``before`` (an entry id) pages back."""
    if not actor.is_admin:
        raise Forbidden(gettext("Only administrators may read the audit log."))
    if kind is not None and kind not in KINDS:
        raise BadRequest(gettext("Unknown audit kind '%(kind)s'.", kind=str(kind)[:32]), code="bad_kind")
    statement = select(AuditEntry).where(AuditEntry.workspace_id == actor.workspace_id)
    if kind is not None:
        statement = statement.where(AuditEntry.kind == kind)
    if before is not None:
        statement = statement.where(AuditEntry.id < before)
    limit = max(1, min(int(limit), MAX_PAGE))
    return list(session.scalars(statement.order_by(AuditEntry.id.desc()).limit(limit)))


def render(entry: AuditEntry) -> dict[str, Any]:
    """An entry as the API returns it."""
    return {"id": entry.id, "kind": entry.kind, "user": entry.user_id, "form": entry.form_id,
            "record": entry.record_id, "fields": list(entry.fields or []), "detail": dict(entry.detail or {}),
            "created_at": entry.created_at.isoformat().replace("+00:00", "Z")}


def token_refused(session: Session, plaintext: str) -> None:
    """Log a bearer token that did not authenticate: ``revoked_token`` when it is one of ours (revoked,
    or its user left or was deactivated), else ``invalid_token`` (forged or mistyped; no workspace)."""
    from formflow.accounts.models import ApiToken
    from formflow.accounts.tokens import PREFIX_LENGTH, hash_token

    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plaintext))) \
        if plaintext and len(plaintext) <= 200 else None
    if token is None:
        shown = "".join(character for character in plaintext[:PREFIX_LENGTH] if character.isprintable())
        record(session, Subject(None, None), "invalid_token", detail={"prefix": shown})
        return
    record(session, Subject(token.workspace_id, token.user_id), "revoked_token",
           detail={"token": token.id, "prefix": token.prefix, "revoked": token.revoked_at is not None})
