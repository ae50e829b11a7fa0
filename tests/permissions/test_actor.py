"""load_actor: app roles, the department ("team") and the managed subtree ("subordinates")."""

from __future__ import annotations

import pytest

from formflow.permissions.actor import department_subtrees


@pytest.mark.parametrize(("roots", "edges", "expected"), [
    ([], [(1, None)], ()),
    ([1], [(1, None), (2, 1), (3, 2), (4, None)], (1, 2, 3)),
    ([2], [(1, None), (2, 1), (3, 2)], (2, 3)),
    ([1], [(1, 2), (2, 1)], (1, 2)),  # a cycle stops
    ([1, 4], [(1, None), (2, 1), (4, None), (5, 4)], (1, 2, 4, 5)),
])
def test_department_subtrees(roots, edges, expected):
    assert department_subtrees(roots, edges) == expected


def test_a_manager_loads_the_members_of_the_subtree(make_person, make_department):
    boss = make_person("manager")
    sales = make_department("Sales", manager=boss)
    east = make_department("East", parent=sales)
    near, far = make_person(department=sales), make_person(department=east)

    boss = make_person.reload(boss.user_id)

    assert set(boss.subordinate_user_ids) == {boss.user_id, near.user_id, far.user_id}
    assert set(boss.managed_department_ids) == {sales.id, east.id}


def test_app_roles_are_per_app(make_person, crm):
    rep = make_person("rep")

    assert rep.app_role(crm.id) == "rep"
    assert rep.app_role(crm.id + 1000) == "member"


def test_workspace_admins_are_admins_of_every_app(admin, crm):
    assert admin.app_role(crm.id) == "admin"
