"""Personal API tokens: created once (the plaintext is shown once), stored as SHA-256, revocable.

A token is ``ff_`` followed by 43 URL-safe characters (256 bits of randomness). Only its SHA-256 hex
digest and its first characters are kept, so a leaked database does not leak usable tokens; lookup is
by digest, which leaks nothing about the plaintext through timing.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from formflow.accounts.models import ApiToken, Membership, User, Workspace
from formflow.db import transaction, utcnow
from formflow.errors import FieldError, NotFound, ValidationFailed
from formflow.i18n import gettext

#: every plaintext token starts with this, so secret scanners and people recognise it
TOKEN_MARK = "ff_"
#: characters of the plaintext kept in ``ApiToken.prefix`` to tell tokens apart in lists
PREFIX_LENGTH = 10
#: ``last_used_at`` is written at most this often per token, so reads do not each cost a write
LAST_USED_RESOLUTION = timedelta(minutes=5)
MAX_NAME_LENGTH = 200


def hash_token(plaintext: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_token(session: Session, user: User, workspace: Workspace, name: str) -> tuple[ApiToken, str]:
    """A new token acting as ``user`` in ``workspace``; returns the row and the plaintext (shown once)."""
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed([FieldError("name", "invalid", gettext(
            "Give the token a name of 1 to %(max)s characters.", max=MAX_NAME_LENGTH))])
    membership = session.scalar(select(Membership.id).where(Membership.workspace_id == workspace.id,
                                                            Membership.user_id == user.id))
    if membership is None:
        raise NotFound(gettext("This user is not a member of this workspace."))
    plaintext = TOKEN_MARK + secrets.token_urlsafe(32)
    with transaction(session):
        token = ApiToken(user_id=user.id, workspace_id=workspace.id, name=name,
                         prefix=plaintext[:PREFIX_LENGTH], token_hash=hash_token(plaintext))
        session.add(token)
    return token, plaintext


#: a live token's row with its user and workspace, by digest; built once (every API call runs it)
_LIVE_TOKEN = (
    select(ApiToken, User, Workspace)
    .join(User, User.id == ApiToken.user_id)
    .join(Workspace, Workspace.id == ApiToken.workspace_id)
    .join(Membership, (Membership.user_id == User.id) & (Membership.workspace_id == Workspace.id))
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None),
           User.is_active.is_(True))
)


def authenticate(session: Session, plaintext: str) -> tuple[User, Workspace] | None:
    """The user and workspace of a live token, or None (unknown, revoked, inactive user, left workspace)."""
    if not plaintext or not plaintext.startswith(TOKEN_MARK) or len(plaintext) > 200:
        return None
    row = session.execute(_LIVE_TOKEN, {"token_hash": hash_token(plaintext)}).first()
    if row is None:
        return None
    token, user, workspace = row
    _touch(session, token)
    return user, workspace


def _touch(session: Session, token: ApiToken) -> None:
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    with transaction(session):
        token.last_used_at = now


def list_tokens(session: Session, user: User, workspace: Workspace | None = None) -> list[ApiToken]:
    """The user's tokens (in one workspace when given), newest first, revoked ones included."""
    query = select(ApiToken).where(ApiToken.user_id == user.id)
    if workspace is not None:
        query = query.where(ApiToken.workspace_id == workspace.id)
    return list(session.scalars(query.order_by(ApiToken.id.desc())))


def revoke_token(session: Session, token_id: int) -> ApiToken:
    """Make token ``token_id`` unusable from now on; revoking twice keeps the first time."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(gettext("No such token."))
    with transaction(session):
        if token.revoked_at is None:
            token.revoked_at = utcnow()
    return token
