"""Accounts: users, workspaces, memberships. Services take a session and never import flask."""

from __future__ import annotations

from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from formflow.accounts.models import Membership, User, Workspace
from formflow.db import transaction
from formflow.errors import Conflict, NotFound
from formflow.i18n import gettext
from formflow.permissions.actor import ROLES


def create_user(session: Session, email: str, name: str, password: str | None) -> User:
    """A new active user; the password is stored as a werkzeug scrypt hash."""
    email = email.strip().lower()
    with transaction(session):
        if session.scalar(select(User.id).where(User.email == email)) is not None:
            raise Conflict(gettext("A user with this email exists already."), code="duplicate_email")
        user = User(email=email, name=name.strip(),
                    password_hash=generate_password_hash(password) if password else None)
        session.add(user)
    return user


def create_workspace(session: Session, slug: str, name: str, timezone: str = "Asia/Shanghai") -> Workspace:
    """A new workspace with a unique slug."""
    with transaction(session):
        if session.scalar(select(Workspace.id).where(Workspace.slug == slug)) is not None:
            raise Conflict(gettext("A workspace with this address exists already."), code="duplicate_slug")
        workspace = Workspace(slug=slug, name=name, timezone=timezone)
        session.add(workspace)
    return workspace


def add_member(session: Session, workspace: Workspace, user: User, role: str = "member") -> Membership:
    """Make ``user`` a member of ``workspace`` with ``role``."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    with transaction(session):
        membership = Membership(workspace_id=workspace.id, user_id=user.id, role=role)
        session.add(membership)
    return membership


def user_by_email(session: Session, email: str) -> User:
    """The user with ``email``; NotFound when there is none."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(gettext("No user with this email."))
    return user


def workspace_by_slug(session: Session, slug: str) -> Workspace:
    """The workspace at ``slug``; NotFound when there is none."""
    workspace = session.scalar(select(Workspace).where(Workspace.slug == slug))
    if workspace is None:
        raise NotFound(gettext("No such workspace."))
    return workspace


def authenticate_password(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, else None (same work either way)."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.password_hash or not user.is_active:
        # Hash anyway so a missing account and a wrong password take the same time.
        check_password_hash(_dummy_hash(), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def workspaces_for_user(session: Session, user: User) -> list[Workspace]:
    """The workspaces ``user`` is a member of, by name."""
    return list(session.scalars(
        select(Workspace).join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.user_id == user.id).order_by(Workspace.name)))


def active_user(session: Session, user_id: str | int) -> User | None:
    """The active user with this id (as stored in a login session), else None."""
    try:
        key = int(user_id)
    except (TypeError, ValueError):
        return None
    user = session.get(User, key)
    return user if user is not None and user.is_active else None


def set_user_locale(session: Session, user: User, locale: str) -> None:
    """Remember ``user``'s interface language ('zh_CN' or 'en')."""
    with transaction(session):
        session.get(User, user.id).locale = locale


@cache
def _dummy_hash() -> str:
    return generate_password_hash("formflow-timing-equalizer")
