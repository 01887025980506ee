"""Programme operations shared by the web pages and the API: create, import a roster, launch
(invite every firm with an address), follow each firm's status, remind, and join by the link."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.security import generate_password_hash

import questionnaires

from .. import mail
from ..access import ZONE_ADMIN, ensure_role, staff_area
from ..auth.service import PRIVACY_VERSION
from ..errors import Refused
from ..extensions import db
from ..industries import size_class
from ..models import (
    Area,
    Assignment,
    Company,
    Programme,
    RosterEntry,
    RosterEvent,
    RosterProgress,
    User,
    utcnow,
)
from . import roster
from .links import hash_of, token

STATUSES = ("not_invited", "invited", "opened", "started", "submitted", "reviewed")
STATUS_NAMES = {"not_invited": _l("未邀请"), "invited": _l("已邀请"), "opened": _l("已打开链接"),
                "started": _l("已开始"), "submitted": _l("已提交"), "reviewed": _l("已审核")}
DONE = ("submitted", "reviewed")  # the firm has submitted (and maybe been reviewed): it counts as diagnosed
DECISION_NAMES = {"approved": _l("通过"), "rejected": _l("未通过")}
DECIDED = ("approved", "rejected")  # the area's staff approved or rejected the submission (issue 18's review)
MAX_REMINDER_CAP = 10


# --- Reading ---------------------------------------------------------------------------------------

def visible_programmes(user: User) -> sa.Select:
    """Programmes of the user's area and every area below it."""
    area = staff_area(user) if user.role == ZONE_ADMIN else None
    if area is None:
        return sa.select(Programme).where(sa.false())
    return sa.select(Programme).join(Area, Area.id == Programme.area_id).where(Area.path.startswith(area.path))


def get(user: User, programme_id: int) -> Programme:
    ensure_role(user, ZONE_ADMIN)
    found = db.session.scalar(visible_programmes(user).where(Programme.id == programme_id))
    if found is None:
        raise Refused(404, "not_found", _l("没有这个项目，或您无权查看。"))
    return found


def listing(user: User) -> list[Programme]:
    ensure_role(user, ZONE_ADMIN)
    return list(db.session.scalars(visible_programmes(user).order_by(Programme.id.desc())))


def started_from(p: Programme) -> datetime:
    return datetime.combine(p.starts_on, datetime.min.time(), tzinfo=UTC)


def roster_query(p: Programme, status: str | None = None) -> sa.Select:
    """Every roster firm (or those of one status) with its status and dates, in roster order (read from
    the per-entry copy kept by diagnosis/roster_progress.py, which states the rule)."""
    q = (sa.select(RosterEntry, RosterProgress.status, RosterProgress.started_at, RosterProgress.submitted_at,
                   RosterProgress.decision)
         .join(RosterProgress, RosterProgress.entry_id == RosterEntry.id)
         .where(RosterEntry.programme_id == p.id).order_by(RosterEntry.id))
    return q.where(RosterProgress.status == status) if status in STATUSES else q


def status_counts(p: Programme) -> dict:
    """Firms per status, overall and per sub-zone, against the quotas: one GROUP BY."""
    q = (sa.select(RosterEntry.sub_zone, RosterProgress.status, sa.func.count())
         .join(RosterProgress, RosterProgress.entry_id == RosterEntry.id)
         .where(RosterEntry.programme_id == p.id).group_by(RosterEntry.sub_zone, RosterProgress.status))
    total = dict.fromkeys(STATUSES, 0)
    by_sub: dict = {}
    for sub, st, n in db.session.execute(q).all():
        total[st] += n
        entry = by_sub.setdefault(sub or "", dict.fromkeys(STATUSES, 0))
        entry[st] += n
    quotas = p.quotas or {}
    subs = [{"sub_zone": s, "counts": c, "firms": sum(c.values()), "quota": quotas.get(s),
             "done": c["submitted"] + c["reviewed"],
             "quota_share": round(100 * (c["submitted"] + c["reviewed"]) / quotas[s], 1) if quotas.get(s) else None}
            for s, c in sorted(by_sub.items())]
    return {"total": total, "firms": sum(total.values()), "sub_zones": subs, "consultants": consultant_counts(p)}


def rows(p: Programme, status: str | None = None, limit: int | None = 200, offset: int = 0) -> list[dict]:
    q = roster_query(p, status).offset(offset).limit(limit)
    return [{"entry": e, "status": st, "started_at": started, "submitted_at": submitted, "decision": decision}
            for e, st, started, submitted, decision in db.session.execute(q).all()]


def page(user: User, programme_id: int, status: str | None = None) -> dict:
    """Everything the programme page shows: progress per sub-zone, targets with their movers, the roster."""
    from . import targets
    p = get(user, programme_id)
    evaluated = targets.of_programme(user, p.id)
    return {"p": p, "counts": status_counts(p), "rows": rows(p, status if status in STATUSES else None),
            "status": status, "evaluated": evaluated,
            "movers": {ev["target"].id: targets.movers(ev["target"], 10) for ev in evaluated}}


# --- Changing ------------------------------------------------------------------------------------

@dataclass
class ProgrammeForm:
    name: str
    instrument_id: str
    starts_on: date
    ends_on: date
    reminder_days: int
    reminder_cap: int
    quotas: dict
    lang: str = "zh"
    consultant_quotas: dict = field(default_factory=dict)  # {consultant email: firms}, as typed


def parse_quotas(text: str) -> dict:
    """“东区=20; 西区=15” → {"东区": 20, "西区": 15}; Refused naming the bad part."""
    out = {}
    for part in (text or "").replace("；", ";").replace("\n", ";").split(";"):
        if not part.strip():
            continue
        name, sep, n = part.replace("＝", "=").partition("=")
        if not sep or not n.strip().isdigit() or not name.strip() or len(name.strip()) > 100:
            raise Refused(422, "bad_quota", _l("配额应写成“片区=家数”，用分号隔开：%(part)s", part=part.strip()[:50]))
        out[name.strip()] = int(n.strip())
    return out


def create(user: User, form: ProgrammeForm) -> Programme:
    """A programme of the user's own area (a zone or a sub-zone: firms register in a zone)."""
    ensure_role(user, ZONE_ADMIN)
    area = staff_area(user)
    if area is None or area.zone_id is None:
        raise Refused(403, "forbidden", _l("项目由园区（或片区）的管理人员建立：名单上的企业在园区注册。"))
    _check(form)
    by_consultant = _consultant_quotas(area.zone_id, form.consultant_quotas)
    p = Programme(consultant_quotas=by_consultant, area_id=area.id, zone_id=area.zone_id, name=form.name, instrument_id=form.instrument_id,
                  starts_on=form.starts_on, ends_on=form.ends_on, reminder_days=form.reminder_days,
                  reminder_cap=form.reminder_cap, quotas=form.quotas, status="draft", created_by_id=user.id,
                  lang=form.lang)
    db.session.add(p)
    db.session.commit()
    return p


def _consultant_quotas(zone_id: int, typed: dict) -> dict:
    """{consultant email: n} as typed → {consultant id: n}; a 422 naming an address that is no consultant of the zone."""
    out = {}
    for email, n in typed.items():
        uid = db.session.scalar(sa.select(User.id).where(User.email == email.strip().lower(), User.role == "consultant",
                                                         User.zone_id == zone_id))
        if uid is None:
            raise Refused(422, "unknown_consultant", _l("本园区没有这位顾问：%(email)s", email=email[:100]),
                          [{"field": "consultant_quotas"}])
        out[str(uid)] = n
    return out


def consultant_counts(p: Programme) -> list[dict]:
    """Per consultant with a quota or with roster firms assigned: the firms per status against the quota."""
    q = (sa.select(Assignment.consultant_id, RosterProgress.status, sa.func.count())
         .select_from(RosterProgress).join(Assignment, Assignment.company_id == RosterProgress.company_id)
         .where(RosterProgress.programme_id == p.id).group_by(Assignment.consultant_id, RosterProgress.status))
    quotas = {int(k): v for k, v in (p.consultant_quotas or {}).items()}
    by: dict[int, dict] = {uid: dict.fromkeys(STATUSES, 0) for uid in quotas}
    for uid, st, n in db.session.execute(q).all():
        by.setdefault(uid, dict.fromkeys(STATUSES, 0))[st] += n
    names = dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(list(by)))).all()) if by else {}
    emails = dict(db.session.execute(sa.select(User.id, User.email).where(User.id.in_(list(by)))).all()) if by else {}
    return [{"consultant_id": uid, "name": names.get(uid, ""), "email": emails.get(uid, ""), "counts": c,
             "firms": sum(c.values()), "quota": quotas.get(uid),
             "quota_share": round(100 * c["submitted"] / quotas[uid], 1) if quotas.get(uid) else None}
            for uid, c in sorted(by.items(), key=lambda kv: names.get(kv[0], ""))]


def _check(form: ProgrammeForm) -> None:
    if not form.name.strip() or len(form.name) > 200:
        raise Refused(422, "bad_name", _l("项目名称应为 1 到 200 个字。"))
    if form.instrument_id not in questionnaires.available():
        raise Refused(422, "unknown_instrument", _l("没有这个评估工具。"))
    if form.ends_on < form.starts_on:
        raise Refused(422, "bad_period", _l("结束日期不能早于开始日期。"))
    if not 1 <= form.reminder_days <= 90 or not 0 <= form.reminder_cap <= MAX_REMINDER_CAP:
        raise Refused(422, "bad_schedule", _l("提醒间隔应为 1 到 90 天，次数上限 0 到 %(n)s 次。", n=MAX_REMINDER_CAP))


def import_roster(user: User, programme_id: int, data: bytes) -> roster.Imported:
    p = get(user, programme_id)
    if p.status == "closed":
        raise Refused(409, "closed", _l("项目已结束。"))
    return roster.import_roster(p, data, user)


def link(p: Programme, entry: RosterEntry) -> str:
    """The firm's personal link; built by hand because reminders go out from the worker, outside a request."""
    return current_app.config["BASE_URL"].rstrip("/") + f"/programmes/join/{token(p.id, entry.uscc)}"


def _mail(p: Programme, entry: RosterEntry, kind: str, now: datetime | None = None) -> None:
    """An invitation or a reminder with the firm's personal link, logged with its outbox row."""
    # The recipient's language when the address has an account, else the programme's.
    account = db.session.scalar(sa.select(User).where(User.email == entry.email.strip().lower())) if entry.email else None
    with force_locale(account.lang if account is not None and account.lang else (p.lang or "zh")):
        if kind == "invited":
            subject = _("邀请参加%(programme)s", programme=p.name)
            first = _("%(firm)s：园区邀请贵企业参加“%(programme)s”数字化诊断，请在 %(end)s 前完成在线自评。",
                      firm=entry.name, programme=p.name, end=p.ends_on.isoformat())
        else:
            subject = _("提醒：%(programme)s尚未完成", programme=p.name)
            first = _("%(firm)s：贵企业的“%(programme)s”诊断尚未提交，截止日期为 %(end)s。",
                      firm=entry.name, programme=p.name, end=p.ends_on.isoformat())
        body = "\n\n".join([first, _("通过这个专属链接注册或登录，直接进入评估：%(url)s", url=link(p, entry)),
                            _("如有疑问，请联系园区管理部门。")])
    row = mail.send(entry.email, f"programme_{kind}", subject, body, zone_id=p.zone_id,
                    lang=account.lang if account is not None and account.lang else (p.lang or "zh"))
    now = now or utcnow()
    entry.last_mailed_at = now
    if kind == "invited":
        entry.invited_at = now
    else:
        entry.reminders_sent += 1
    db.session.add(RosterEvent(entry_id=entry.id, kind=kind, outbox_id=row.id, at=now))


@dataclass
class Launched:
    invited: int
    without_email: int


def launch(user: User, programme_id: int) -> Launched:
    """Start the programme: every roster firm with an email not yet invited gets its invitation."""
    p = get(user, programme_id)
    if p.status == "closed":
        raise Refused(409, "closed", _l("项目已结束。"))
    p.status = "running"
    p.launched_at = p.launched_at or utcnow()
    invited = 0
    pending = db.session.scalars(sa.select(RosterEntry).where(RosterEntry.programme_id == p.id,
                                                              RosterEntry.invited_at.is_(None),
                                                              RosterEntry.email.is_not(None)))
    for entry in pending:
        _mail(p, entry, "invited")
        invited += 1
    without = db.session.scalar(sa.select(sa.func.count()).where(RosterEntry.programme_id == p.id,
                                                                 RosterEntry.email.is_(None)))
    db.session.commit()
    return Launched(invited, without or 0)


def send_due_reminders(now: datetime | None = None, limit: int = 500) -> int:
    """Remind firms of running programmes that have not submitted, on each programme's schedule,
    at most `reminder_cap` times; a firm that submitted is never reminded. Returns mails queued."""
    now = now or utcnow()
    sent = 0
    running = db.session.scalars(sa.select(Programme).where(Programme.status == "running",
                                                            Programme.ends_on >= now.date())).all()
    for p in running:
        due = (sa.select(RosterEntry).join(RosterProgress, RosterProgress.entry_id == RosterEntry.id)
               .where(RosterEntry.programme_id == p.id, RosterEntry.invited_at.is_not(None),
                      RosterEntry.email.is_not(None), RosterProgress.submitted_at.is_(None),
                      RosterEntry.reminders_sent < p.reminder_cap,
                      RosterEntry.last_mailed_at <= now - timedelta(days=p.reminder_days))
               .order_by(RosterEntry.id).limit(limit - sent))
        for entry in db.session.scalars(due).all():
            _mail(p, entry, "reminded", now)
            sent += 1
        db.session.commit()
        if sent >= limit:
            break
    return sent


# --- The personal link -------------------------------------------------------------------------------

@dataclass
class Opened:
    outcome: str                      # "assessment", "login", "register", "wrong_user"
    entry: RosterEntry
    programme: Programme
    assessment_id: int | None = None


def _entry(raw_token: str) -> tuple[RosterEntry, Programme]:
    entry = db.session.scalar(sa.select(RosterEntry).where(RosterEntry.token_hash == hash_of(raw_token[:100])))
    p = db.session.get(Programme, entry.programme_id) if entry else None
    if entry is None or p is None or p.status != "running":
        raise Refused(404, "not_found", _l("链接无效或项目未在进行中。"))
    return entry, p


def open_link(raw_token: str, user: User | None) -> Opened:
    """A firm follows its link: noted as opened; then straight into the assessment when it is
    logged in as the roster firm, else to log in (registered firm) or to register."""
    entry, p = _entry(raw_token)
    if entry.company_id is None:
        entry.company_id = db.session.scalar(sa.select(Company.id).where(Company.uscc == entry.uscc,
                                                                         Company.zone_id == p.zone_id))
    logged_in = user is not None and user.is_authenticated
    if logged_in and (user.role != "enterprise" or user.company_id is None or user.company_id != entry.company_id):
        db.session.rollback()
        return Opened("wrong_user", entry, p)  # someone else's link: not noted as opened
    if entry.opened_at is None:
        entry.opened_at = utcnow()
        db.session.add(RosterEvent(entry_id=entry.id, kind="opened"))
    db.session.commit()
    if logged_in:
        return Opened("assessment", entry, p, _start(user, p))
    registered = entry.company_id is not None and db.session.scalar(
        sa.select(User.id).where(User.company_id == entry.company_id)) is not None
    return Opened("login" if registered else "register", entry, p)


def _start(user: User, p: Programme) -> int:
    from ..assessments import service as assessments
    a, _created = assessments.start_or_resume(user, user.company_id, p.instrument_id)
    return a.id


@dataclass
class Joined:
    user: User | None
    assessment_id: int | None = None
    field: str = ""
    problem: str = ""
    accepted: bool = False  # registered, or the address had an account: the caller answers both alike


def register_through_link(raw_token: str, *, email: str, name: str, password: str, employees: int,
                          revenue: float, privacy: bool = False) -> Joined:
    """Register the roster firm's first user and the firm itself (from the roster, with the
    headcount and revenue it gives), then open its programme assessment."""
    entry, p = _entry(raw_token)
    email = email.strip().lower()
    if not roster.EMAIL.match(email) or not name.strip():
        return Joined(None, field="email", problem="incomplete")
    if not privacy:
        return Joined(None, field="privacy", problem="privacy")
    local = email.split("@")[0]
    if local and local in password.lower():
        return Joined(None, field="password", problem="password_has_email")
    owner = db.session.scalar(sa.select(User).where(User.email == email))
    if owner is not None:  # answered as for a new address (no oracle); the owner is told by mail
        from ..auth.service import tell_owner
        generate_password_hash(password)  # as long as a registration takes
        tell_owner(owner, email)
        db.session.commit()
        return Joined(None, accepted=True)
    company = db.session.scalar(sa.select(Company).where(Company.uscc == entry.uscc))
    if company is not None and (company.zone_id != p.zone_id or db.session.scalar(
            sa.select(User.id).where(User.company_id == company.id)) is not None):
        return Joined(None, field="email", problem="firm_registered")
    if company is None:
        company = Company(zone_id=p.zone_id, name=entry.name, uscc=entry.uscc, industry_section=_section(entry),
                          industry_division=entry.industry_division, employees=employees, revenue=revenue,
                          size_class=size_class(entry.industry_division, employees, revenue), sub_zone=entry.sub_zone)
        db.session.add(company)
        db.session.flush()
    entry.company_id = company.id
    user = User(email=email, name=name.strip(), role="enterprise", zone_id=p.zone_id, company_id=company.id,
                privacy_version=PRIVACY_VERSION, privacy_accepted_at=utcnow())
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    _start(user, p)
    return Joined(user, accepted=True)


def _section(entry: RosterEntry) -> str:
    from ..industries import division
    return division(entry.industry_division).section


# --- The same figures for integrators (the API): plain values, the same permissions -----------------

def summary(p: Programme) -> dict:
    return {"id": p.id, "name": p.name, "instrument": p.instrument_id, "area_id": p.area_id, "zone_id": p.zone_id,
            "starts_on": p.starts_on.isoformat(), "ends_on": p.ends_on.isoformat(), "status": p.status,
            "lang": p.lang or "zh", "reminder_days": p.reminder_days, "reminder_cap": p.reminder_cap,
            "quotas": p.quotas or {}, "consultant_quotas": p.consultant_quotas or {}}


def listing_body(user: User) -> dict:
    return {"items": [summary(p) for p in listing(user)]}


def status_body(user: User, programme_id: int) -> dict:
    """The programme with its firms per status, overall and per sub-zone against the quotas."""
    p = get(user, programme_id)
    return {**summary(p), "progress": status_counts(p)}


ROSTER_PAGE = 100


def roster_body(user: User, programme_id: int, status: str | None, page: int) -> dict:
    p = get(user, programme_id)
    if status is not None and status not in STATUSES:
        raise Refused(400, "bad_parameter", _l("没有这个状态。"), [{"field": "status", "allowed": list(STATUSES)}])
    found = rows(p, status, limit=ROSTER_PAGE, offset=(page - 1) * ROSTER_PAGE)

    def when(d):
        return d.isoformat() if d else None
    return {"page": page, "per_page": ROSTER_PAGE, "items": [
        {"uscc": r["entry"].uscc, "name": r["entry"].name, "company_id": r["entry"].company_id,
         "industry_division": r["entry"].industry_division, "size_class": r["entry"].size_class,
         "above_scale": r["entry"].above_scale, "sub_zone": r["entry"].sub_zone, "status": r["status"],
         "invited_at": when(r["entry"].invited_at), "opened_at": when(r["entry"].opened_at),
         "started_at": when(r["started_at"]), "submitted_at": when(r["submitted_at"]),
         "reminders_sent": r["entry"].reminders_sent} for r in found]}


def targets_body(user: User, programme_id: int) -> dict:
    from . import targets
    return {"items": [{"id": ev["target"].id, **targets.plain(ev)} for ev in targets.of_programme(user, programme_id)]}
