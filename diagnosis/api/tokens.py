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
    return row.user if row.user.active else None


def stale_use(token: str) -> int | None:
    """The token row's id when its last use is older than a minute (so a read need not write each time)."""
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == digest(token)))
    now = utcnow()
    last = row.last_used_at if row is not None else now
    if last is None or (now - (last if last.tzinfo else last.replace(tzinfo=now.tzinfo))).total_seconds() > 60:
        return row.id
    return None


def touch(token_id: int) -> None:
    """Record a use, on its own, after the request: a database that cannot write must not fail a read."""
    db.session.execute(sa.update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))
    db.session.commit()


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
