"""The token service: plaintext shown once, only the hash stored, revocation and deactivation honoured."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from formflow.accounts import tokens
from formflow.accounts.models import ApiToken, Membership
from formflow.errors import NotFound, ValidationFailed


def test_create_token_stores_only_the_hash_and_a_prefix(session, admin_user, workspace):
    token, plaintext = tokens.create_token(session, admin_user, workspace, "ci")
    stored = session.scalar(select(ApiToken).where(ApiToken.id == token.id))
    assert plaintext.startswith("ff_") and len(plaintext) > 40
    assert stored.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert stored.prefix == plaintext[:tokens.PREFIX_LENGTH]
    assert plaintext not in (stored.token_hash, stored.prefix, stored.name)


def test_tokens_are_unique(session, admin_user, workspace):
    plaintexts = {tokens.create_token(session, admin_user, workspace, f"t{n}")[1] for n in range(5)}
    assert len(plaintexts) == 5


def test_authenticate_returns_the_user_and_workspace(session, admin_user, workspace):
    _token, plaintext = tokens.create_token(session, admin_user, workspace, "ci")
    assert tokens.authenticate(session, plaintext) == (admin_user, workspace)


def test_authenticate_records_last_use(session, admin_user, workspace):
    token, plaintext = tokens.create_token(session, admin_user, workspace, "ci")
    tokens.authenticate(session, plaintext)
    session.expire_all()
    assert session.get(ApiToken, token.id).last_used_at is not None


@pytest.mark.parametrize("plaintext", ["", "ff_", "ff_unknown", "not-a-token", "ff_" + "x" * 500])
def test_authenticate_refuses_unknown_tokens(session, plaintext):
    assert tokens.authenticate(session, plaintext) is None


def test_authenticate_refuses_a_revoked_token(session, admin_user, workspace):
    token, plaintext = tokens.create_token(session, admin_user, workspace, "ci")
    tokens.revoke_token(session, token.id)
    assert tokens.authenticate(session, plaintext) is None


def test_authenticate_refuses_a_deactivated_user(session, admin_user, workspace):
    _token, plaintext = tokens.create_token(session, admin_user, workspace, "ci")
    admin_user.is_active = False
    session.commit()
    assert tokens.authenticate(session, plaintext) is None


def test_authenticate_refuses_a_user_who_left_the_workspace(session, admin_user, workspace):
    _token, plaintext = tokens.create_token(session, admin_user, workspace, "ci")
    session.delete(session.scalar(select(Membership).where(Membership.user_id == admin_user.id)))
    session.commit()
    assert tokens.authenticate(session, plaintext) is None


def test_revoking_twice_keeps_the_first_time(session, admin_user, workspace):
    token, _plaintext = tokens.create_token(session, admin_user, workspace, "ci")
    first = tokens.revoke_token(session, token.id).revoked_at
    assert tokens.revoke_token(session, token.id).revoked_at == first


def test_revoke_unknown_token_is_not_found(session):
    with pytest.raises(NotFound):
        tokens.revoke_token(session, 999_999)


def test_create_token_refuses_a_non_member(session, make_user, workspace):
    with pytest.raises(NotFound):
        tokens.create_token(session, make_user(None), workspace, "ci")


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_create_token_refuses_a_bad_name(session, admin_user, workspace, name):
    with pytest.raises(ValidationFailed) as raised:
        tokens.create_token(session, admin_user, workspace, name)
    assert [error.field for error in raised.value.errors] == ["name"]


def test_list_tokens_shows_the_users_tokens_newest_first(session, admin_user, member_user, workspace):
    first, _ = tokens.create_token(session, admin_user, workspace, "one")
    second, _ = tokens.create_token(session, admin_user, workspace, "two")
    tokens.create_token(session, member_user, workspace, "other")
    assert [token.id for token in tokens.list_tokens(session, admin_user, workspace)] == [second.id, first.id]


def test_create_token_persists_after_reads_on_the_same_session(app, admin_user, workspace):
    """The CLI looks the user up first; the token must still be committed."""
    from formflow.db import make_sessionmaker

    maker = make_sessionmaker(app.extensions["formflow.engine"])
    with maker() as cli_session:
        cli_session.scalar(select(ApiToken.id))
        token, _ = tokens.create_token(cli_session, cli_session.merge(admin_user),
                                       cli_session.merge(workspace), "cli")
    with maker() as check:
        assert check.get(ApiToken, token.id) is not None
