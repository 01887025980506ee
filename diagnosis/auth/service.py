"""Accounts: logging in, registering, changing a password, ending sessions, deactivating.

Written so that an outsider learns nothing and can harm no one (issue 15):
- a failed login reads the same, whether the address is unknown, the password wrong
  or the pair locked, and costs the same password hash in every case;
- failures are counted per account *and* client address, so a stranger who guesses
  wrongly locks out the stranger, not the owner;
- registering an address that exists answers exactly as registering a new one;
- every session carries the user's session version: logout, a password change and
  deactivation bump it and all earlier sessions end; the latter two revoke API tokens.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, timedelta
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from .. import mail
from ..audit import record
from ..extensions import db
from ..models import ApiToken, LoginThrottle, User, utcnow

# The privacy notice in force (templates/auth/privacy.html); a new text gets a new version.
PRIVACY_VERSION = "2026.11"


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to check when there is no account, so an unknown address costs what a known one does."""
    return generate_password_hash("not-a-password-of-anyone")


def _throttle_key(email: str, address: str | None) -> str:
    return hashlib.sha256(f"{email}\n{address or ''}".encode()).hexdigest()


def _aware(when):
    return when if when is None or when.tzinfo else when.replace(tzinfo=UTC)


def _count_failure(key: str, now) -> int:
    """One more failure for the pair, atomically (two wrong guesses at once must both count, not clash)."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(LoginThrottle).values(key=key, failures=1, updated_at=now).on_conflict_do_update(
        index_elements=["key"], set_={"failures": LoginThrottle.failures + 1, "updated_at": now}))
    return db.session.scalar(sa.select(LoginThrottle.failures).where(LoginThrottle.key == key))


def authenticate(email: str, password: str, address: str | None) -> User | None:
    """The user if the password is right and this address is not locked out of this account; else None.
    The caller commits (the audit events and the failure count)."""
    email = email.strip().lower()
    user = db.session.scalar(sa.select(User).where(User.email == email))
    key = _throttle_key(email, address)
    throttle = db.session.get(LoginThrottle, key)
    now = utcnow()
    locked = throttle is not None and throttle.locked_until is not None and _aware(throttle.locked_until) > now
    # Always one hash check: the answer's timing must not tell known addresses from unknown ones.
    right = check_password_hash(user.password_hash if user is not None else _dummy_hash(), password)
    if user is not None and user.active and right and not locked:
        if throttle is not None:
            db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == key))
        record("login", target=email, user=user)
        return user
    if locked:
        record("login_locked", target=email[:200], user=user or False)
        return None
    failures = _count_failure(key, now)
    if failures >= current_app.config["LOCKOUT_AFTER"]:
        # Lock this address out of this account for a while: slow guessing stays slow, the owner elsewhere is unaffected.
        db.session.execute(sa.update(LoginThrottle).where(LoginThrottle.key == key).values(
            locked_until=now + timedelta(minutes=current_app.config["LOCKOUT_MINUTES"]), failures=0))
        record("lockout", target=email[:200], user=user or False)
    record("login_failed", target=email[:200], user=user or False)
    return None


@dataclass
class Registration:
    zone_found: bool
    user: User | None  # the new account, or None when the address was taken (told to no one)
    refused: str | None = None  # the code exists but cannot be used: "expired" or "used_up"


def tell_owner(owner: User, email: str) -> None:
    """Someone tried to register an address that has an account: the owner learns of it by mail;
    the one registering is answered as for a new address and learns nothing."""
    record("register_existing", target=email[:200], user=False)
    with force_locale(owner.lang or "zh"):
        mail.send(owner, "register_existing", _("有人用您的邮箱申请注册"),
                  _("有人用您的邮箱 %(email)s 在智改数转诊断平台申请注册。您已有账号，无需再注册；如果不是您本人，"
                    "请忽略这封邮件，您的账号没有任何变化。", email=email))


def register(invite_code: str, name: str, email: str, password: str) -> Registration:
    """Create an enterprise account. An address that exists is left alone, and the caller answers
    as it does for a new one: whoever owns the address can log in (or reset) as before."""
    from ..people.service import zone_for_code
    zone, code, refused = zone_for_code(invite_code)
    if zone is None:
        return Registration(False, None)
    if refused:
        record("register_refused", target=(code.code if code else "")[:200], user=False, detail={"why": refused})
        return Registration(True, None, refused)
    email = email.strip().lower()
    password_hash = generate_password_hash(password)  # in both cases, so both take as long
    owner = db.session.scalar(sa.select(User).where(User.email == email))
    if owner is not None:
        tell_owner(owner, email)
        return Registration(True, None)
    user = User(email=email, name=name.strip(), role="enterprise", zone_id=zone.id, password_hash=password_hash,
                privacy_version=PRIVACY_VERSION, privacy_accepted_at=utcnow(), invite_code_id=code.id if code else None)
    db.session.add(user)
    db.session.flush()
    record("register", target=email[:200], user=user)
    return Registration(True, user)


def end_sessions(user: User) -> None:
    """Every session made before now (other browsers, copied cookies) answers as logged out."""
    user.session_version = (user.session_version or 0) + 1


def revoke_tokens(user: User) -> int:
    return db.session.execute(sa.update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                              .values(revoked_at=utcnow())).rowcount


def change_password(user: User, current: str, new: str) -> bool:
    """False if `current` is wrong. Otherwise the new password holds, every session and API token ends."""
    if not user.check_password(current):
        return False
    user.set_password(new)
    end_sessions(user)
    revoke_tokens(user)
    record("password_changed", target=user.email, user=user)
    return True


def deactivate(user: User) -> None:
    user.active = False
    end_sessions(user)
    revoke_tokens(user)
    record("deactivated", target=user.email, user=False)


# --- Password reset by mail ---------------------------------------------------------------
# The link carries the user's id and a fingerprint of their current password hash and session
# version, signed and dated: it expires, and once used (the hash changes) it is dead.

def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _fingerprint(user: User) -> str:
    return hashlib.sha256(f"{user.password_hash}:{user.session_version or 0}".encode()).hexdigest()[:20]


def request_reset(email: str) -> None:
    """Mail a reset link to an active account with this address; for any other address nothing
    happens, and the caller answers the same either way."""
    email = email.strip().lower()
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None or not getattr(user, "active", True):
        record("password_reset_requested", target=email[:200], user=False)
        return
    token = _reset_serializer().dumps({"u": user.id, "f": _fingerprint(user)})
    link = current_app.config["BASE_URL"].rstrip("/") + "/auth/reset/" + token
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    with force_locale(user.lang or "zh"):
        mail.send(user, "password_reset", _("重设密码"),
                  _("请在 %(hours)s 小时内打开下面的链接设置新密码（链接只能用一次）：\n\n%(link)s\n\n"
                    "如果不是您本人申请，请忽略这封邮件，您的密码不会改变。", hours=hours, link=link))
    record("password_reset_requested", target=email, user=user)


def user_for_reset(token: str) -> User | None:
    """The user a reset link was made for, while it is unexpired and unused; otherwise None."""
    try:
        data = _reset_serializer().loads(token, max_age=int(current_app.config["PASSWORD_RESET_HOURS"] * 3600))
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = db.session.get(User, data["u"])
    if user is None or not getattr(user, "active", True) or data.get("f") != _fingerprint(user):
        return None
    return user


def reset_password(user: User, new: str) -> None:
    """Set a new password from a reset link: every session and API token of the user ends."""
    user.set_password(new)
    user.failed_logins = 0
    end_sessions(user)
    revoke_tokens(user)
    record("password_reset", target=user.email, user=user)
