"""GET /workspace: what the token acts as."""

from __future__ import annotations


def test_workspace_names_the_token_user_and_role(member_api, member_user, workspace):
    body = member_api.get("/workspace").get_json()
    assert body["id"] == workspace.id
    assert body["slug"] == workspace.slug
    assert body["role"] == "member"
    assert body["user"] == {"id": member_user.id, "name": member_user.name, "email": member_user.email}
