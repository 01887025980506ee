"""API tokens: shown once, stored as a SHA-256 hash, revocable."""
from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa

from ..extensions import db
from ..models import ApiToken, User, utcnow

PREFIX = "dg_"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(user: User, name: str) -> str:
    token = PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, name=name[:100] or "api", token_hash=digest(token)))
    return token


def user_for(token: str) -> User | None:
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == digest(token), ApiToken.revoked_at.is_(None)))
    if row is None:
        return None
    row.last_used_at = utcnow()
    return row.user


def of_user(user: User) -> list[ApiToken]:
    return db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())).all()


def revoke(user: User, token_id: int) -> bool:
    """Revoke one of the user's own tokens; False when there is no such live token."""
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    db.session.commit()
    return True
