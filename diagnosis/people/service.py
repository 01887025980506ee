"""Zone staff manage their people: invitation codes for firms, and consultant and staff accounts.

Staff act on their own area only: codes of their zones, accounts of their zones (staff of an area
above theirs or beside it are not theirs), and nobody is given a role above the inviter's own.
An invited account has no usable password until the invitee sets one through a signed,
single-use link in the mail (like the reset link); every change is in the audit log.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .. import mail
from ..access import CONSULTANT, ENTERPRISE, ZONE_ADMIN, ensure_role, staff_area, staff_scope
from ..audit import record
from ..auth.service import deactivate, end_sessions
from ..errors import Refused
from ..extensions import db
from ..models import Area, Company, InviteCode, User, Zone, utcnow

RANK = {ENTERPRISE: 0, CONSULTANT: 1, ZONE_ADMIN: 2}
INVITE_DAYS = 7
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{3,63}$")
MAX_USES = 100_000
PENDING_HASH = "!invited:"  # an invited account's password hash until the invitee sets one: matches no password


def _aware(when: datetime | None) -> datetime | None:
    from datetime import UTC
    return when if when is None or when.tzinfo else when.replace(tzinfo=UTC)


# --- Invitation codes -------------------------------------------------------------------------

@dataclass
class CodeRow:
    code: InviteCode
    uses: int
    users: list[User]
    state: str  # active, expired, used_up


def _state(code: InviteCode, uses: int, now: datetime) -> str:
    if code.expires_at is not None and _aware(code.expires_at) <= now:
        return "expired"
    if code.max_uses is not None and uses >= code.max_uses:
        return "used_up"
    return "active"


def _own_zone(staff: User) -> Zone:
    """Codes are made for a zone: staff of a zone make them for theirs."""
    ensure_role(staff, ZONE_ADMIN)
    zone = db.session.get(Zone, staff.zone_id) if staff.zone_id is not None else None
    if zone is None:
        raise Refused(403, "forbidden", _l("只有园区的管理人员可以管理邀请码。"))
    return zone


def codes(staff: User) -> list[CodeRow]:
    """The invitation codes of the staff member's zones, newest first, with who registered with each."""
    ensure_role(staff, ZONE_ADMIN)
    zone_ids = staff_scope(staff).zone_ids
    rows = db.session.scalars(sa.select(InviteCode).where(InviteCode.zone_id.in_(zone_ids))
                              .order_by(InviteCode.id.desc()).limit(300)).all()
    users: dict[int, list[User]] = {}
    if rows:
        for u in db.session.scalars(sa.select(User).where(User.invite_code_id.in_([r.id for r in rows])).order_by(User.id)):
            users.setdefault(u.invite_code_id, []).append(u)
    now = utcnow()
    return [CodeRow(r, len(users.get(r.id, [])), users.get(r.id, []), _state(r, len(users.get(r.id, [])), now))
            for r in rows]


def create_code(staff: User, code: str | None, expires_on, max_uses: int | None) -> InviteCode:
    """A new code for the staff member's zone; blank code: one is made up. Expiry at the end of that day (UTC)."""
    zone = _own_zone(staff)
    code = (code or "").strip() or f"Z{zone.id}-{secrets.token_hex(4).upper()}"
    if not CODE_RE.match(code):
        raise Refused(422, "bad_code", _l("邀请码只能由4到64位字母、数字、短横线和下划线组成。"), [{"field": "code"}])
    if max_uses is not None and not 1 <= max_uses <= MAX_USES:
        raise Refused(422, "bad_uses", _l("使用次数上限应在1到%(n)s之间。", n=MAX_USES), [{"field": "max_uses"}])
    expires_at = None
    if expires_on is not None:
        from datetime import UTC, time
        expires_at = datetime.combine(expires_on, time(23, 59, 59), tzinfo=UTC)
        if expires_at <= utcnow():
            raise Refused(422, "bad_expiry", _l("有效期应在今天或以后。"), [{"field": "expires_on"}])
    taken = db.session.scalar(sa.select(InviteCode.id).where(sa.func.lower(InviteCode.code) == code.lower()))
    standing = db.session.scalar(sa.select(Zone.id).where(sa.func.lower(Zone.invite_code) == code.lower()))
    if taken is not None or standing is not None:
        raise Refused(409, "code_taken", _l("这个邀请码已被使用，请换一个。"), [{"field": "code"}])
    row = InviteCode(zone_id=zone.id, code=code, expires_at=expires_at, max_uses=max_uses, created_by_id=staff.id)
    db.session.add(row)
    db.session.flush()
    record("invite_created", target=code, detail={"expires_at": expires_at.isoformat() if expires_at else None,
                                                  "max_uses": max_uses})
    db.session.commit()
    return row


def expire_code(staff: User, code_id: int | None) -> InviteCode:
    ensure_role(staff, ZONE_ADMIN)
    row = db.session.get(InviteCode, code_id) if code_id else None
    if row is None or row.zone_id not in staff_scope(staff).zone_ids:
        raise Refused(404, "not_found", _l("没有这个邀请码。"))
    now = utcnow()
    if row.expires_at is None or _aware(row.expires_at) > now:
        row.expires_at = now
        record("invite_expired", target=row.code)
    db.session.commit()
    return row


REGISTER_REFUSALS = {
    "expired": _l("这个邀请码已过期，请向园区管理部门索取新的邀请码。"),
    "used_up": _l("这个邀请码的使用次数已满，请向园区管理部门索取新的邀请码。"),
}


def zone_for_code(raw: str) -> tuple[Zone | None, InviteCode | None, str | None]:
    """The zone a registration code opens, the managed code it is (if any), and why it cannot be used
    ("expired", "used_up") or None. The zone's standing code never expires. The count is taken with
    the code's row locked on PostgreSQL, so two registrations cannot both take the last use."""
    raw = (raw or "").strip()
    if not raw:
        return None, None, None
    zone = db.session.scalar(sa.select(Zone).where(Zone.invite_code == raw))
    if zone is not None:
        return zone, None, None
    row = db.session.scalar(sa.select(InviteCode).where(InviteCode.code == raw).with_for_update())
    if row is None:
        return None, None, None
    uses = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.invite_code_id == row.id)) or 0
    state = _state(row, uses, utcnow())
    return db.session.get(Zone, row.zone_id), row, (None if state == "active" else state)


# --- People -------------------------------------------------------------------------------------

def _in_area(staff: User) -> sa.ColumnElement:
    """The condition on `users` for the accounts of the staff member's area: firms and consultants of its
    zones (of its sub-zone's firms, for sub-zone staff), and staff whose own area lies at or below theirs."""
    scope, own = staff_scope(staff), staff_area(staff)
    members = sa.and_(User.role != ZONE_ADMIN, User.zone_id.in_(scope.zone_ids))
    if scope.sub_zone:
        members = sa.and_(members, sa.or_(User.role == CONSULTANT, User.company_id.in_(
            sa.select(Company.id).where(Company.zone_id.in_(scope.zone_ids), Company.sub_zone == scope.sub_zone))))
    if own is None:
        return members
    below = Area.path.startswith(own.path)
    staff_below = sa.and_(User.role == ZONE_ADMIN, sa.or_(  # a staff member's area: their own, else their zone's
        User.area_id.in_(sa.select(Area.id).where(below)),
        sa.and_(User.area_id.is_(None), User.zone_id.in_(sa.select(Area.zone_id).where(below, Area.kind == "zone")))))
    return sa.or_(members, staff_below)


PER_PAGE = 50
MAX_QUERY = 100


@dataclass
class PeoplePage:
    people: list[User]
    total: int
    page: int
    pages: int


def people(staff: User, role: str | None = None, q: str | None = None, page: int = 1) -> PeoplePage:
    """Accounts of the staff member's area by role and name, a page at a time; `q` finds any part of a
    name, an email or a firm's name."""
    ensure_role(staff, ZONE_ADMIN)
    where = [_in_area(staff)]
    if role in RANK:
        where.append(User.role == role)
    q = (q or "").strip()[:MAX_QUERY]
    if q:
        where.append(sa.or_(User.name.contains(q, autoescape=True), User.email.contains(q.lower(), autoescape=True),
                            User.company_id.in_(sa.select(Company.id).where(Company.name.contains(q, autoescape=True)))))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(*where)) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, page), pages)
    found = db.session.scalars(sa.select(User).where(*where).options(sa.orm.selectinload(User.company))
                               .order_by(User.role, User.name, User.id).offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    return PeoplePage(list(found), total, page, pages)


def is_pending(user: User) -> bool:
    return (user.password_hash or "").startswith(PENDING_HASH)


def _target(staff: User, user_id: int | None) -> User:
    ensure_role(staff, ZONE_ADMIN)
    user = db.session.scalar(sa.select(User).where(User.id == user_id, _in_area(staff))) if user_id else None
    if user is None:
        raise Refused(404, "not_found", _l("没有这个账号。"))
    if user.id == staff.id:
        raise Refused(409, "self", _l("不能停用或启用自己的账号。"))
    if RANK[user.role] > RANK[staff.role]:
        raise Refused(403, "forbidden", _l("您的角色不能进行这项操作。"))
    return user


def deactivate_user(staff: User, user_id: int | None) -> User:
    """Sessions end and API tokens are revoked (auth.service.deactivate); audited."""
    user = _target(staff, user_id)
    if user.active:
        deactivate(user)
        record("deactivated", target=user.email, detail={"by": staff.id})
    db.session.commit()
    return user


def reactivate_user(staff: User, user_id: int | None) -> User:
    user = _target(staff, user_id)
    if not user.active:
        user.active = True
        end_sessions(user)
        record("reactivated", target=user.email, detail={"by": staff.id})
    db.session.commit()
    return user


def _invite_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="staff-invite")


def _fingerprint(user: User) -> str:
    return hashlib.sha256(f"{user.password_hash}:{user.session_version or 0}".encode()).hexdigest()[:20]


def invite(staff: User, email: str, name: str, role: str, lang: str = "zh") -> User:
    """A consultant or staff account in the inviter's zone and area, with a link by mail to set a password."""
    ensure_role(staff, ZONE_ADMIN)
    if role not in (CONSULTANT, ZONE_ADMIN):
        raise Refused(422, "bad_role", _l("只能邀请顾问或园区管理人员。"), [{"field": "role"}])
    if RANK[role] > RANK[staff.role]:
        raise Refused(403, "forbidden", _l("您的角色不能进行这项操作。"))
    if staff.zone_id is None and role == CONSULTANT:
        raise Refused(403, "no_zone", _l("顾问属于某个园区，请由该园区的管理人员邀请。"))
    email = (email or "").strip().lower()
    name = (name or "").strip()
    if not re.fullmatch(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+", email) or len(email) > 254:
        raise Refused(422, "bad_email", _l("请输入有效的邮箱地址。"), [{"field": "email"}])
    if not name or len(name) > 100:
        raise Refused(422, "bad_name", _l("请填写姓名（不超过100字）。"), [{"field": "name"}])
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise Refused(409, "email_taken", _l("这个邮箱已有账号。"), [{"field": "email"}])
    user = User(email=email, name=name, role=role, zone_id=staff.zone_id, area_id=staff.area_id,
                lang=lang if lang in ("zh", "en") else "zh", password_hash=PENDING_HASH + secrets.token_hex(16))
    db.session.add(user)
    db.session.flush()
    token = _invite_serializer().dumps({"u": user.id, "f": _fingerprint(user)})
    link = current_app.config["BASE_URL"].rstrip("/") + "/auth/invite/" + token
    with force_locale(user.lang):
        role_name = _("顾问") if role == CONSULTANT else _("园区管理人员")
        mail.send(user, "staff_invite", _("邀请您加入智改数转诊断平台"),
                  _("%(inviter)s邀请您以%(role)s身份加入智改数转诊断平台。请在 %(days)s 天内打开下面的链接设置密码"
                    "（链接只能用一次），然后用邮箱 %(email)s 登录：\n\n%(link)s",
                    inviter=staff.name, role=role_name, days=INVITE_DAYS, email=email, link=link))
    record("user_invited", target=email, detail={"role": role, "by": staff.id})
    db.session.commit()
    return user


def user_for_invite(token: str) -> User | None:
    """The invited user while the link is unexpired and unused (no password set yet); else None."""
    try:
        data = _invite_serializer().loads(token, max_age=INVITE_DAYS * 86400)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = db.session.get(User, data["u"])
    if user is None or not user.active or not is_pending(user) or data.get("f") != _fingerprint(user):
        return None
    return user


def accept_invite(token: str, password: str) -> User:
    user = user_for_invite(token[:500])
    if user is None:
        raise Refused(400, "invalid_link", _l("这个链接无效或已过期。"))
    user.set_password(password)
    end_sessions(user)
    record("invite_accepted", target=user.email, user=user)
    db.session.commit()
    return user
