"""Logging in and registering: the checks, the lock-out after repeated failures, and the audit trail."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from flask import current_app

from ..audit import record
from ..extensions import db
from ..models import User, Zone, utcnow


@dataclass
class Login:
    user: User | None     # the user to log in, when the password was right
    locked: bool = False  # the account is locked for a while after too many failures


def authenticate(email: str, password: str) -> Login:
    """Check an email and password; count failures and lock the account after several in a row,
    so a password cannot be guessed slowly either. Every outcome is audited."""
    email = email.strip().lower()
    user = db.session.scalar(sa.select(User).where(User.email == email))
    now = utcnow()
    if user is not None and user.locked_until is not None and _aware(user.locked_until) > now:
        record("login_locked", target=email, user=user)
        db.session.commit()
        return Login(None, locked=True)
    if user is not None and user.check_password(password):
        user.failed_logins = 0
        user.locked_until = None
        record("login", target=email, user=user)
        db.session.commit()
        return Login(user)
    if user is not None:
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= current_app.config["LOCKOUT_AFTER"]:
            user.locked_until = now + timedelta(minutes=current_app.config["LOCKOUT_MINUTES"])
            user.failed_logins = 0
            record("lockout", target=email, user=user)
    record("login_failed", target=email[:200], user=user or False)
    db.session.commit()
    return Login(None)


def _aware(when: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


@dataclass
class Registered:
    user: User | None = None
    field: str = ""       # the form field at fault when not registered
    problem: str = ""     # which check failed: invite, email_taken, password_has_email


def register(invite_code: str, email: str, name: str, password: str) -> Registered:
    """A new firm user in the zone of the invitation code."""
    zone = db.session.scalar(sa.select(Zone).where(Zone.invite_code == invite_code.strip()))
    email = email.strip().lower()
    if zone is None:
        return Registered(field="invite_code", problem="invite")
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        return Registered(field="email", problem="email_taken")
    local = email.split("@")[0]
    if local and local in password.lower():
        return Registered(field="password", problem="password_has_email")
    user = User(email=email, name=name.strip(), role="enterprise", zone_id=zone.id)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return Registered(user)
