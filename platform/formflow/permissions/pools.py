"""Public pools: records without an owner that a pool's members see and may claim.

A form may have several pools (by region, product line...). A record is in a pool when it has a
``PoolEntry`` and no owner; the policy's scope filter shows it to the pool's members. Members claim it
(``claim_record``) within the pool's limits: at most ``max_held`` records held from the pool at once,
at most ``max_daily_claims`` claims a day (the workspace's day), and not before ``cooldown_minutes``
after the record left them. Owners release their records into a pool (``release_record``); whoever
may ``assign`` a record moves it to a chosen pool (``move_to_pool``); both need a reason.

Every change is one transaction and goes through the record service (records/ownership.py): version
+ 1, a revision with ``owner`` and ``pool`` in its diff, the write hooks. Concurrent claims of one
record: exactly one wins. Claims of one pool are serialized (the pool row is locked ``FOR UPDATE`` on
PostgreSQL; SQLite's writers queue on BEGIN IMMEDIATE), so the limits hold under concurrency too.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from formflow.db import transaction, utcnow
from formflow.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from formflow.forms.models import Form
from formflow.i18n import gettext, label
from formflow.permissions import policy
from formflow.permissions.actor import Actor
from formflow.permissions.models import Pool, PoolClaim, PoolEntry
from formflow.records.access import load_record
from formflow.records.models import Record
from formflow.records.ownership import change_owner

#: longest reason for a release or a move
MAX_REASON_LENGTH = 500


def get_pool(session: Session, actor: Actor, form: Form, key: str) -> Pool:
    """The pool ``key`` of ``form``; NotFound when there is none (or the form is of another workspace)."""
    pool = session.scalar(select(Pool).where(Pool.form_id == form.id, Pool.key == key,
                                             Pool.workspace_id == actor.workspace_id))
    if pool is None:
        raise NotFound(gettext("No such pool."))
    return pool


def pool_of(session: Session, record_id: int) -> Pool | None:
    """The pool a record waits in, or None."""
    return session.scalar(select(Pool).join(PoolEntry, PoolEntry.pool_id == Pool.id)
                          .where(PoolEntry.record_id == record_id))


def claim_record(session: Session, actor: Actor, form: Form, record_id: int) -> Record:
    """Take a record of a pool the actor belongs to; 409 when someone was faster or a limit is reached."""
    policy.require(actor, "read", form)
    try:
        with transaction(session):
            entry = session.get(PoolEntry, record_id)
            if entry is None:
                raise _not_in_pool(session, actor, form, record_id)
            pool = session.scalar(select(Pool).where(Pool.id == entry.pool_id).with_for_update())
            if pool is None or pool.form_id != form.id:
                raise NotFound(gettext("Record not found."))
            if pool.id not in {item.id for item in policy.pools_of(actor, form)}:
                raise _forbidden(gettext("You are not a member of the pool %(pool)s.",
                                         pool=label(pool.label)), "not_pool_member")
            # read again after the lock: a claim that held it first may have taken the record
            entry = session.scalar(select(PoolEntry).where(PoolEntry.record_id == record_id)
                                   .execution_options(populate_existing=True))
            record = session.scalar(select(Record)
                                    .where(policy.scope_filter(actor, form), Record.id == record_id)
                                    .execution_options(populate_existing=True))
            if entry is None or record is None or record.owner_id is not None:
                raise _already_claimed()
            _check_limits(session, actor, pool, entry)
            change_owner(session, actor, form, record, actor.user_id, action="claim",
                         changes={"pool": [pool.key, None]})
            session.delete(entry)
            session.add(PoolClaim(workspace_id=form.workspace_id, pool_id=pool.id, record_id=record.id,
                                  user_id=actor.user_id, claimed_at=utcnow()))
            session.flush()
            return record
    except StaleDataError as error:
        raise _already_claimed() from error


def release_record(session: Session, actor: Actor, form: Form, record_id: int, pool_key: str,
                   reason: str) -> Record:
    """Give up a record the actor owns into the pool ``pool_key``."""
    text = _reason(reason)
    policy.require(actor, "update", form)
    try:
        with transaction(session):
            record = load_record(session, actor, form, record_id, action="update")
            if record.owner_id != actor.user_id:
                raise _forbidden(gettext("Only the record's owner may release it."), "not_owner")
            pool = get_pool(session, actor, form, pool_key)
            return _into_pool(session, actor, form, record, pool, text, "release")
    except StaleDataError as error:
        raise _changed_meanwhile() from error


def move_to_pool(session: Session, actor: Actor, form: Form, record_id: int, pool_key: str,
                 reason: str) -> Record:
    """Move a record (owned, or in another pool) to the pool ``pool_key``: needs the ``assign`` scope."""
    text = _reason(reason)
    policy.require(actor, "assign", form)
    try:
        with transaction(session):
            record = session.scalar(select(Record).where(policy.scope_filter(actor, form, "assign"),
                                                         Record.id == record_id))
            if record is None:
                policy.note_missing_record(session, actor, record_id)
                raise NotFound(gettext("Record not found."))
            pool = get_pool(session, actor, form, pool_key)
            return _into_pool(session, actor, form, record, pool, text, "move")
    except StaleDataError as error:
        raise _changed_meanwhile() from error


def _into_pool(session: Session, actor: Actor, form: Form, record: Record, pool: Pool, reason: str,
               action: str) -> Record:
    entry = session.get(PoolEntry, record.id)
    previous_pool = session.get(Pool, entry.pool_id) if entry is not None else None
    previous_owner = record.owner_id if record.owner_id is not None else (
        entry.previous_owner_id if entry is not None else None)
    now = utcnow()
    if record.owner_id is not None:
        for claim in session.scalars(select(PoolClaim).where(PoolClaim.record_id == record.id,
                                                             PoolClaim.released_at.is_(None))):
            claim.released_at = now
    change_owner(session, actor, form, record, None, action=action,
                 changes={"pool": [previous_pool.key if previous_pool else None, pool.key]})
    if entry is None:
        entry = PoolEntry(record_id=record.id, workspace_id=form.workspace_id)
        session.add(entry)
    entry.pool_id = pool.id
    entry.entered_at = now
    entry.entered_by_id = actor.user_id
    entry.previous_owner_id = previous_owner
    entry.reason = reason
    session.flush()
    return record


def _check_limits(session: Session, actor: Actor, pool: Pool, entry: PoolEntry) -> None:
    """Raise 409 ``pool_limit`` naming the first limit the claim would break."""
    now = utcnow()
    if (pool.cooldown_minutes and entry.previous_owner_id == actor.user_id
            and now - entry.entered_at < timedelta(minutes=pool.cooldown_minutes)):
        wait = timedelta(minutes=pool.cooldown_minutes) - (now - entry.entered_at)
        raise Conflict(gettext("You gave this record up recently; you may claim it again in %(minutes)s "
                               "minutes.", minutes=max(1, int(wait.total_seconds() // 60))),
                       code="pool_cooldown")
    if pool.max_held is not None:
        held = session.scalar(select(func.count()).select_from(PoolClaim).join(
            Record, Record.id == PoolClaim.record_id).where(
            PoolClaim.pool_id == pool.id, PoolClaim.user_id == actor.user_id, PoolClaim.released_at.is_(None),
            Record.owner_id == actor.user_id, Record.deleted_at.is_(None))) or 0
        if held >= pool.max_held:
            raise Conflict(gettext("You already hold %(count)s records from this pool, the most allowed.",
                                   count=held), code="pool_limit", extra={"limit": "max_held"})
    if pool.max_daily_claims is not None:
        claims = session.scalar(select(func.count()).select_from(PoolClaim).where(
            PoolClaim.pool_id == pool.id, PoolClaim.user_id == actor.user_id,
            PoolClaim.claimed_at >= start_of_day(now, actor.timezone))) or 0
        if claims >= pool.max_daily_claims:
            raise Conflict(gettext("You have made %(count)s claims from this pool today, the most allowed.",
                                   count=claims), code="pool_limit", extra={"limit": "max_daily_claims"})


def start_of_day(moment: datetime, timezone: str) -> datetime:
    """Midnight of ``moment``'s day in ``timezone``, as an aware datetime."""
    local = moment.astimezone(ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _reason(reason: Any) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if not text or len(text) > MAX_REASON_LENGTH:
        raise ValidationFailed([FieldError("reason", "required", gettext(
            "Give a reason of 1 to %(max)s characters.", max=MAX_REASON_LENGTH))])
    return text


def _not_in_pool(session: Session, actor: Actor, form: Form, record_id: int) -> Exception:
    """409 ``already_claimed`` for a record the actor saw in one of their pools (or sees now), else 404."""
    visible = session.scalar(select(Record.id).where(policy.scope_filter(actor, form),
                                                     Record.id == record_id))
    member_of = [pool.id for pool in policy.pools_of(actor, form)]
    claimed = session.scalar(select(PoolClaim.id).where(PoolClaim.record_id == record_id,
                                                        PoolClaim.pool_id.in_(member_of)).limit(1))
    if visible is None and claimed is None:
        policy.note_missing_record(session, actor, record_id)
        return NotFound(gettext("Record not found."))
    return _already_claimed()


def _forbidden(message: str, code: str) -> Forbidden:
    error = Forbidden(message)
    error.code = code
    return error


def _already_claimed() -> Conflict:
    return Conflict(gettext("This record is no longer in the pool: someone claimed it first."),
                    code="already_claimed")


def _changed_meanwhile() -> Conflict:
    return Conflict(gettext("Someone else changed this record; try again."), code="stale_version")
