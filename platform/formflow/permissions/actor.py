"""Who is acting: a user in a workspace, or the named system actor jobs run as.

``load_actor`` computes once per request what the policy needs about the user, so that scope filters
need no further query: the membership's app roles, the department ("my team") and the members of
every department this user manages, subtrees included ("my subordinates").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from formflow.accounts.models import Department, Membership, User, Workspace

#: workspace roles: admins manage every app; members work with records as their app roles allow
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
    membership_id: int | None = None
    #: ``(app id, role key)`` for each app where the membership holds a role other than ``member``
    app_roles: tuple[tuple[int, str], ...] = ()
    #: this user and the members of every department this user manages, sub-departments included
    subordinate_user_ids: tuple[int, ...] = ()
    #: the departments this user manages, sub-departments included
    managed_department_ids: tuple[int, ...] = ()

    @property
    def is_admin(self) -> bool:
        return self.role in ("admin", "system")

    def app_role(self, app_id: int) -> str:
        """The actor's role key in an app: ``admin`` for workspace admins, else the assigned one."""
        if self.is_admin:
            return "admin"
        return dict(self.app_roles).get(app_id, "member")


def load_actor(session: Session, user: User, workspace: Workspace) -> Actor | None:
    """The actor for ``user`` in ``workspace``, or None when the user is not a member."""
    from formflow.permissions.models import MemberRole

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
    rows = session.execute(select(MemberRole.app_id, MemberRole.role)
                           .where(MemberRole.membership_id == membership.id).order_by(MemberRole.app_id))
    app_roles = tuple((app_id, role) for app_id, role in rows)
    managed = managed_departments(session, workspace.id, user.id)
    subordinates: tuple[int, ...] = (user.id,)
    if managed:
        subordinates = tuple(sorted({user.id, *session.scalars(select(Membership.user_id).where(
            Membership.workspace_id == workspace.id, Membership.department_id.in_(managed)))}))
    return Actor(user_id=user.id, workspace_id=workspace.id, role=membership.role,
                 timezone=workspace.timezone, department_ids=department_ids, team_user_ids=team,
                 membership_id=membership.id, app_roles=app_roles, subordinate_user_ids=subordinates,
                 managed_department_ids=managed)


def managed_departments(session: Session, workspace_id: int, user_id: int) -> tuple[int, ...]:
    """The departments ``user_id`` manages and every department below them (one query)."""
    rows = session.execute(select(Department.id, Department.parent_id, Department.manager_id)
                           .where(Department.workspace_id == workspace_id)).all()
    return department_subtrees([row.id for row in rows if row.manager_id == user_id],
                               [(row.id, row.parent_id) for row in rows])


def department_subtrees(roots: list[int], edges: list[tuple[int, int | None]]) -> tuple[int, ...]:
    """``roots`` and every department below them, given ``(id, parent id)`` pairs; cycles are harmless."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for department_id, parent_id in edges:
        children[parent_id].append(department_id)
    found: set[int] = set()
    pending = list(roots)
    while pending:
        department_id = pending.pop()
        if department_id in found:
            continue
        found.add(department_id)
        pending.extend(children.get(department_id, ()))
    return tuple(sorted(found))


def system_actor(workspace: Workspace) -> Actor:
    """The actor jobs and imports run as: acts in one workspace, recorded as no user."""
    return Actor(user_id=None, workspace_id=workspace.id, role="system", timezone=workspace.timezone)


__all__ = ["ROLES", "Actor", "Department", "load_actor", "system_actor"]
