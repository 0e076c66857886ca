"""API tokens: made for a user (shown once), looked up by their hash, revoked.

A token is ``hm_`` and 43 URL-safe characters; the store keeps its SHA-256 only, so a copy of
the store gives nobody the API. A token acts as its user, with exactly that user's rights.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import ApiToken, Role, User, utcnow
from .errors import ValidationError
from .transaction import transaction
from .validation import check_name

PREFIX = "hm_"
#: How old the recorded last use of a token may be before a call records it again.
LAST_USED_PRECISION = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token of ``user`` called ``name``: the record, and the token itself (shown to the
    user once, never stored). Raises ValidationError, having written nothing, on a bad name."""
    name = name.strip()
    problem = check_name(name, "token name")
    if problem:
        raise ValidationError.field("name", problem)
    token = PREFIX + secrets.token_urlsafe(32)
    with transaction():
        record = ApiToken(user=user, name=name, token_hash=_digest(token), prefix=token[:10])
        db.session.add(record)
    return record, token


def user_for(token: str) -> User | None:
    """The active user a token acts for, loaded with the user's roles and permissions in the
    same query; None for an unknown, revoked or malformed token, or an account that is
    disabled. Records when it was last used, to the minute (the token list shows no more, and
    a write on every call would make each API request a transaction of its own)."""
    if not token.startswith(PREFIX) or len(token) > 128:
        return None
    record = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _digest(token))
        .options(joinedload(ApiToken.user).joinedload(User.roles).joinedload(Role.permissions)))
    if record is None or record.revoked_at is not None or not record.user.is_active:
        return None
    now = utcnow()
    if record.last_used_at is None or now - record.last_used_at >= LAST_USED_PRECISION:
        record.last_used_at = now
        db.session.commit()
    return record.user


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, newest first, revoked ones included."""
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def revoke(user: User, token_id: int) -> ApiToken | None:
    """Revoke the user's token ``token_id`` (None when the user has no such token)."""
    record = db.session.get(ApiToken, token_id)
    if record is None or record.user_id != user.id:
        return None
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        db.session.commit()
    return record
