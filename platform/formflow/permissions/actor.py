"""Who is acting: a user in a workspace, or the named system actor jobs run as."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from formflow.accounts.models import Department, Membership, User, Workspace

ROLES = ("admin", "member")


@dataclass(frozen=True)
class Actor:
    """The user and workspace a service call acts for; built once per request or job."""

    user_id: int | None
    workspace_id: int
    #: "admin", "member", or "system" for jobs
    role: str
    timezone: str = "Asia/Shanghai"
    department_ids: tuple[int, ...] = ()
    #: users sharing a department with this one ("my team" in conditions), this user included
    team_user_ids: tuple[int, ...] = ()

    @property
    def is_admin(self) -> bool:
        return self.role in ("admin", "system")


def load_actor(session: Session, user: User, workspace: Workspace) -> Actor | None:
    """The actor for ``user`` in ``workspace``, or None when the user is not a member."""
    membership = session.scalar(
        select(Membership).where(Membership.workspace_id == workspace.id, Membership.user_id == user.id))
    if membership is None or not user.is_active:
        return None
    department_ids: tuple[int, ...] = ()
    team: tuple[int, ...] = (user.id,)
    if membership.department_id is not None:
        department_ids = (membership.department_id,)
        team = tuple(session.scalars(
            select(Membership.user_id).where(Membership.workspace_id == workspace.id,
                                             Membership.department_id == membership.department_id)))
    return Actor(user_id=user.id, workspace_id=workspace.id, role=membership.role,
                 timezone=workspace.timezone, department_ids=department_ids, team_user_ids=team)


def system_actor(workspace: Workspace) -> Actor:
    """The actor jobs and imports run as: acts in one workspace, recorded as no user."""
    return Actor(user_id=None, workspace_id=workspace.id, role="system", timezone=workspace.timezone)


__all__ = ["ROLES", "Actor", "Department", "load_actor", "system_actor"]
