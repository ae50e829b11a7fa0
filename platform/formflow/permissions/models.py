"""What the policy reads: app roles and their assignment, per-form rules (actions with a record scope,
field access per state), public pools with their entries and claims, and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from formflow.db import Base, JSONData, utcnow

#: the key of a record id column: BIGINT on PostgreSQL, INTEGER on SQLite (as ``records.id``)
RECORD_ID = BigInteger().with_variant(Integer, "sqlite")


class Role(Base):
    """A custom role of an app (``admin``, ``manager`` and ``member`` exist without a row)."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("app_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    #: ``{"zh-CN": "销售", "en": "Sales rep"}``
    label: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MemberRole(Base):
    """The role a membership holds in one app; without a row a member holds ``member``."""

    __tablename__ = "member_roles"
    __table_args__ = (UniqueConstraint("membership_id", "app_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"))
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    #: a role key of the app (builtin or a ``Role``)
    role: Mapped[str] = mapped_column(String(64))


class PermissionRule(Base):
    """What one role may do with one form's records: an action and its record scope.

    Once a role has any rule on a form, the actions it has no rule for are refused; a role without
    rules on a form keeps the defaults (policy.DEFAULT_SCOPE).
    """

    __tablename__ = "permission_rules"
    __table_args__ = (UniqueConstraint("form_id", "role", "action"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(64))
    #: one of policy.ACTIONS
    action: Mapped[str] = mapped_column(String(32))
    #: one of policy.SCOPES: none, own, subordinates, team, all, condition
    scope: Mapped[str] = mapped_column(String(32))
    #: the condition tree of a ``condition`` scope
    condition: Mapped[dict[str, Any] | None]


class FieldRule(Base):
    """One role's access to one field of a form, by default (``state`` "") or in one workflow state."""

    __tablename__ = "field_rules"
    __table_args__ = (UniqueConstraint("form_id", "role", "field_key", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(64))
    field_key: Mapped[str] = mapped_column(String(64))
    #: a workflow state key, or "" for every state without its own rule
    state: Mapped[str] = mapped_column(String(64), default="")
    #: one of policy.ACCESS_LEVELS: hidden, masked, read, write
    access: Mapped[str] = mapped_column(String(16))


class Pool(Base):
    """A public pool of a form: records without an owner that its members see and may claim."""

    __tablename__ = "pools"
    __table_args__ = (UniqueConstraint("form_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[dict[str, Any]]
    #: most records one user may hold from this pool at once (None: no limit)
    max_held: Mapped[int | None]
    #: most claims one user may make from this pool per day, in the workspace's timezone (None: no limit)
    max_daily_claims: Mapped[int | None]
    #: minutes before a former owner may claim a record they released (or lost) again
    cooldown_minutes: Mapped[int] = mapped_column(default=0)
    #: who belongs: app role keys, department ids (with their subtrees), user ids; all empty: everyone
    member_roles: Mapped[list[Any]] = mapped_column(JSONData, default=list)
    member_departments: Mapped[list[Any]] = mapped_column(JSONData, default=list)
    member_users: Mapped[list[Any]] = mapped_column(JSONData, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PoolEntry(Base):
    """A record waiting in a pool: who put it there, when, why, and its owner before."""

    __tablename__ = "pool_entries"
    __table_args__ = (Index("ix_pool_entries_pool", "pool_id", "record_id"),)

    record_id: Mapped[int] = mapped_column(RECORD_ID, ForeignKey("records.id", ondelete="CASCADE"),
                                           primary_key=True, autoincrement=False)
    pool_id: Mapped[int] = mapped_column(ForeignKey("pools.id", ondelete="CASCADE"))
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: the owner the record had when it entered (the cool-down applies to them)
    previous_owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")


class PoolClaim(Base):
    """One claim of a record from a pool; open (``released_at`` None) while the claimant holds it."""

    __tablename__ = "pool_claims"
    __table_args__ = (Index("ix_pool_claims_user", "pool_id", "user_id", "claimed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    pool_id: Mapped[int] = mapped_column(ForeignKey("pools.id", ondelete="CASCADE"))
    record_id: Mapped[int] = mapped_column(RECORD_ID, ForeignKey("records.id", ondelete="CASCADE"),
                                           index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None]


class AuditEntry(Base):
    """A refused or suspicious request, for admins to read: never updated, never shown to members."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_workspace", "workspace_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    #: None when the request named no workspace we could trust (an unknown token)
    workspace_id: Mapped[int | None] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: one of audit.KINDS
    kind: Mapped[str] = mapped_column(String(32))
    form_id: Mapped[int | None] = mapped_column(ForeignKey("forms.id", ondelete="SET NULL"))
    #: the record concerned; no foreign key, so the entry outlives it (and may name another workspace's id)
    record_id: Mapped[int | None] = mapped_column(RECORD_ID)
    #: the field keys concerned
    fields: Mapped[list[Any]] = mapped_column(JSONData, default=list)
    #: what else helps to understand it (token prefix, the other workspace...)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
