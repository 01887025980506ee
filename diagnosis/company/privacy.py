"""A firm's rights over its data (个人信息保护法): download everything the platform holds about it, and
ask for its account to be closed, which zone staff confirm or refuse.

A confirmed closure does what the zone's `closure_mode` says:
- "anonymise": the company's name and credit code are replaced, its users' names and addresses
  scrubbed and their accounts deactivated, and every other trace of the name, code and addresses
  (mail in the outbox, notifications, the audit log, roster lines, free-text answers) is replaced too;
  the assessments and results stay, without identity, so the zone's statistics still count them.
- "delete": the company, its users, assessments and everything that points at them are removed
  (rows that merely mention them, like the audit log, keep the row with the reference cleared and
  the identity scrubbed as above).
"""
from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import mail
from ..access import ENTERPRISE, ZONE_ADMIN, ensure_role, staff_scope
from ..audit import record
from ..auth.service import deactivate
from ..errors import Refused
from ..extensions import db
from ..history import erasure
from ..models import (
    CLOSURE_MODES,
    AnswerChange,
    Assessment,
    ClosureRequest,
    Company,
    Evidence,
    PlanItem,
    Programme,
    QuestionNote,
    Rating,
    ReviewEvent,
    RosterEntry,
    User,
    Verification,
    Zone,
    utcnow,
)
from ..notifications.service import notify

MAX_REASON = 1000


# --- Export -----------------------------------------------------------------------------------

def _iso(value):
    return value.isoformat() if isinstance(value, (datetime, date)) else value


def _row(obj, columns: tuple[str, ...]) -> dict:
    return {c: _iso(getattr(obj, c)) for c in columns}


def export_data(user: User) -> dict:
    """Everything the platform holds about the user's company, as plain data."""
    from ..access import visible_comments
    from ..assessments.service import instrument_of
    ensure_role(user, ENTERPRISE)
    company = user.company
    if company is None:
        raise Refused(404, "no_company", _l("请先填写企业信息。"))
    users = db.session.scalars(sa.select(User).where(User.company_id == company.id).order_by(User.id)).all()
    assessments = db.session.scalars(sa.select(Assessment).where(Assessment.company_id == company.id)
                                     .order_by(Assessment.id)).all()
    ids = [a.id for a in assessments] or [-1]

    def rows(model, columns, order=None):
        out: dict[int, list] = {}
        for r in db.session.scalars(sa.select(model).where(model.assessment_id.in_(ids)).order_by(order or model.id)):
            out.setdefault(r.assessment_id, []).append(_row(r, columns))
        return out

    changes = rows(AnswerChange, ("question_id", "old_value", "new_value", "user_id", "via", "at"))
    verifications = rows(Verification, ("question_id", "verdict", "firm_value", "value", "reason", "by_id", "at"))
    history = rows(ReviewEvent, ("action", "from_state", "to_state", "question_id", "text", "user_id", "at"))
    evidence = rows(Evidence, ("question_id", "filename", "media_type", "size", "sha256", "uploaded_by_id", "at"))
    notes = rows(QuestionNote, ("question_id", "text", "by_id", "at"))
    ratings = rows(Rating, ("stars", "comment", "by_id", "at"))
    out_assessments = []
    for a in assessments:
        r = a.result
        out_assessments.append({
            "id": a.id, "instrument": instrument_of(a).id, "instrument_version": a.instrument_version.version,
            "status": a.status, "review_state": a.review_state, "created_at": _iso(a.created_at),
            "submitted_at": _iso(a.submitted_at), "finalised_at": _iso(a.finalised_at),
            "pledge_version": a.pledge_version, "pledged_at": _iso(a.pledged_at),
            "answers": a.answer_dict(), "comments": visible_comments(user, a),
            "not_applicable": a.not_applicable,
            "result": None if r is None else {
                "level": r.level, "total": r.total, "method": r.method, "period": r.period,
                "dimensions": r.dimensions, "verified_level": r.verified_level, "verified_total": r.verified_total,
                "verified_dimensions": r.verified_dimensions, "computed_at": _iso(r.computed_at)},
            "answer_changes": changes.get(a.id, []), "verifications": verifications.get(a.id, []),
            "review_history": history.get(a.id, []), "evidence": evidence.get(a.id, []),
            "notes": notes.get(a.id, []), "ratings": ratings.get(a.id, []),
        })
    roster = db.session.execute(sa.select(RosterEntry, Programme.name).join(Programme, Programme.id == RosterEntry.programme_id)
                                .where(RosterEntry.company_id == company.id).order_by(RosterEntry.id)).all()
    closures = db.session.scalars(sa.select(ClosureRequest).where(ClosureRequest.company_id == company.id)
                                  .order_by(ClosureRequest.id)).all()
    plan = db.session.scalars(sa.select(PlanItem).where(PlanItem.company_id == company.id).order_by(PlanItem.id)).all()
    return {
        "exported_at": _iso(utcnow()),
        "company": {**_row(company, ("id", "name", "uscc", "industry_section", "industry_division", "employees",
                                     "revenue", "size_class", "sub_zone", "created_at")), "zone": company.zone.name},
        "users": [_row(u, ("id", "email", "name", "role", "lang", "notify_by_mail", "active", "created_at",
                           "privacy_version", "privacy_accepted_at")) for u in users],
        "assessments": out_assessments,
        "programmes": [{"programme": name, **_row(e, ("uscc", "name", "contact", "mobile", "email", "sub_zone",
                                                      "invited_at", "opened_at", "reminders_sent"))}
                       for e, name in roster],
        "closure_requests": [_row(c, ("status", "reason", "created_at", "decided_at", "decision_reason"))
                             for c in closures],
        "plan_items": [_row(i, ("id", "assessment_id", "instrument_id", "title", "indicators", "owner", "owner_user_id",
                                "due_date",
                                "budget_band", "status", "drop_reason", "done_at", "project_name", "project_supplier",
                                "project_amount", "project_start", "project_end", "created_at", "updated_at"))
                       for i in plan],
    }


def export_zip(user: User, lang: str) -> tuple[str, bytes]:
    """The ZIP a firm downloads: data.json and the PDF report of every scored assessment. Audited."""
    from ..reporting import render_report, report_name
    data = export_data(user)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2, default=str))
        seen: set[str] = set()
        for a in db.session.scalars(sa.select(Assessment).where(Assessment.company_id == user.company_id)
                                    .order_by(Assessment.id)):
            if a.result is None:
                continue
            name = f"reports/{a.id}-{report_name(a, lang)}"
            if name in seen:
                continue
            seen.add(name)
            z.writestr(name, render_report(a, lang, viewer=user))
    record("data_export", target=f"company:{user.company_id}", detail={"assessments": len(data["assessments"])})
    db.session.commit()
    return f"data-export-{user.company_id}-{utcnow():%Y%m%d}.zip", buf.getvalue()


# --- Closure: the firm asks -----------------------------------------------------------------------

def pending_request(company_id: int | None) -> ClosureRequest | None:
    if company_id is None:
        return None
    return db.session.scalar(sa.select(ClosureRequest).where(ClosureRequest.company_id == company_id,
                                                             ClosureRequest.status == "pending"))


def latest_request(user: User) -> ClosureRequest | None:
    if user.company_id is None:
        return None
    return db.session.scalar(sa.select(ClosureRequest).where(ClosureRequest.company_id == user.company_id)
                             .order_by(ClosureRequest.id.desc()).limit(1))


def _text(raw, field: str, required: bool = False) -> str | None:
    text = (raw or "").strip() if isinstance(raw, str) else ""
    if len(text) > MAX_REASON:
        raise Refused(422, "too_long", _l("说明不能超过 %(n)s 个字。", n=MAX_REASON), [{"field": field}])
    if required and not text:
        raise Refused(422, "required", _l("请写明理由。"), [{"field": field}])
    return text or None


def request_closure(user: User, reason: str | None) -> ClosureRequest:
    """The firm asks for its account to be closed; the zone's staff are told."""
    ensure_role(user, ENTERPRISE)
    if user.company_id is None:
        raise Refused(404, "no_company", _l("请先填写企业信息。"))
    if pending_request(user.company_id) is not None:
        raise Refused(409, "pending", _l("注销申请已提交，正在等待园区处理。"))
    row = ClosureRequest(zone_id=user.zone_id, company_id=user.company_id, requested_by_id=user.id,
                         reason=_text(reason, "reason"), status="pending")
    db.session.add(row)
    db.session.flush()
    record("closure_requested", target=f"company:{user.company_id}")
    for staff in _zone_staff(user.company):
        notify(staff, "closure_requested", "/zone/closures", firm=user.company.name)
    db.session.commit()
    return row


def _zone_staff(company: Company) -> list[User]:
    """Active staff whose area covers the company."""
    staff = db.session.scalars(sa.select(User).where(  # the zone's own, or staff of an area (city, sub-zone...)
        User.role == ZONE_ADMIN, User.active.is_(True),
        sa.or_(User.zone_id == company.zone_id, User.area_id.is_not(None)))).all()
    return [s for s in staff if company.zone_id in staff_scope(s).zone_ids
            and (staff_scope(s).sub_zone in (None, company.sub_zone))]


# --- Closure: zone staff decide -------------------------------------------------------------------

def closures(staff: User) -> list[ClosureRequest]:
    """Requests of the firms in the staff member's area, pending first."""
    ensure_role(staff, ZONE_ADMIN)
    scope = staff_scope(staff)
    q = sa.select(ClosureRequest).where(ClosureRequest.zone_id.in_(scope.zone_ids))
    rows = db.session.scalars(q.order_by(ClosureRequest.status != "pending", ClosureRequest.id.desc()).limit(300)).all()
    if scope.sub_zone:
        rows = [r for r in rows if r.company is not None and r.company.sub_zone == scope.sub_zone]
    return rows


def _request_for(staff: User, request_id: int | None) -> ClosureRequest:
    ensure_role(staff, ZONE_ADMIN)
    row = db.session.get(ClosureRequest, request_id) if request_id else None
    scope = staff_scope(staff)
    if row is None or row.zone_id not in scope.zone_ids or (
            scope.sub_zone and (row.company is None or row.company.sub_zone != scope.sub_zone)):
        raise Refused(404, "not_found", _l("没有这个注销申请。"))
    if row.status != "pending":
        raise Refused(409, "decided", _l("这个注销申请已处理。"))
    return row


def refuse(staff: User, request_id: int | None, reason: str | None) -> ClosureRequest:
    row = _request_for(staff, request_id)
    row.status, row.decided_by_id, row.decided_at = "refused", staff.id, utcnow()
    row.decision_reason = _text(reason, "reason", required=True)
    record("closure_refused", target=f"company:{row.company_id}")
    for u in db.session.scalars(sa.select(User).where(User.company_id == row.company_id, User.active.is_(True))):
        notify(u, "closure_refused", "/company/closure", reason=row.decision_reason)
    db.session.commit()
    return row


def set_mode(staff: User, mode: str | None) -> Zone:
    """Zone staff of a zone choose what a confirmed closure does there."""
    ensure_role(staff, ZONE_ADMIN)
    zone = db.session.get(Zone, staff.zone_id) if staff.zone_id is not None and staff.area_id is None else None
    if zone is None:
        raise Refused(403, "forbidden", _l("只有园区本级的管理人员可以修改这项设置。"))
    if mode not in CLOSURE_MODES:
        raise Refused(422, "bad_mode", _l("请选择注销后的处理方式。"), [{"field": "mode"}])
    if zone.closure_mode != mode:
        record("closure_setting", target=f"zone:{zone.id}", detail={"from": zone.closure_mode, "to": mode})
        zone.closure_mode = mode
    db.session.commit()
    return zone


def confirm(staff: User, request_id: int | None, confirmed: bool) -> str:
    """Close the firm's account as the zone's setting says; the firm's users get a last mail.
    `confirmed`: staff ticked that they mean it (the page asks, without JavaScript). Returns the mode applied."""
    row = _request_for(staff, request_id)
    if not confirmed:
        raise Refused(422, "unconfirmed", _l("请勾选确认后再注销。"))
    company = row.company
    if company is None:
        raise Refused(404, "not_found", _l("没有这个注销申请。"))
    mode = company.zone.closure_mode if company.zone.closure_mode in CLOSURE_MODES else "anonymise"
    users = db.session.scalars(sa.select(User).where(User.company_id == company.id)).all()
    for u in users:  # told before their addresses go; the mail carries no firm name
        if u.active:
            with force_locale(u.lang or "zh"):
                mail.send(u, "closure_done", _("账号已注销"),
                          _("您在智改数转诊断平台的企业账号已按您的申请注销。按园区的设置，企业的标识信息已%(what)s。",
                            what=_("删除") if mode == "delete" else _("匿名化，评估结果仅用于统计")),
                          zone_id=company.zone_id)
    needles = {company.name, company.uscc, *(u.email for u in users)}
    row.status, row.decided_by_id, row.decided_at, row.mode = "confirmed", staff.id, utcnow(), mode
    row.reason = None  # the firm's own words may name it
    db.session.flush()
    # The review history is append-only in the database (history.py); this is the erasure it allows.
    with erasure(db.session):
        if mode == "delete":
            _delete_company(company, users)
        else:
            _anonymise_company(company, users)
        _scrub(needles, company.id)
        db.session.flush()
    record("closure_confirmed", target=f"closure:{request_id}", detail={"mode": mode})
    db.session.commit()
    return mode


def _anonymous_identity(company: Company) -> tuple[str, str]:
    """A name and an 18-character code that identify nothing and are unique per company."""
    return _("已注销企业 %(id)s", id=company.id)[:200], f"X{company.id:017d}"[-18:]


def _anonymise_roster(company: Company) -> None:
    """The zone's roster lines of the firm keep their place (programme counts) without identity."""
    name, code = _anonymous_identity(company)
    db.session.execute(sa.update(RosterEntry).where(RosterEntry.company_id == company.id)
                       .values(name=name, uscc=code, contact=None, mobile=None, email=None))


def _anonymise_company(company: Company, users: list[User]) -> None:
    _anonymise_roster(company)
    company.name, company.uscc = _anonymous_identity(company)
    for u in users:
        deactivate(u)
        u.email = f"closed-{u.id}@closed.invalid"
        u.name = _("已注销用户")
        u.password_hash = "!closed"
    _remove_evidence(sa.select(Assessment.id).where(Assessment.company_id == company.id))
    db.session.flush()


def _remove_evidence(assessment_ids) -> None:
    from ..assessments.evidence import folder
    base = folder()
    for name in db.session.scalars(sa.select(Evidence.stored_name).where(Evidence.assessment_id.in_(assessment_ids))):
        (base / name).unlink(missing_ok=True)
    db.session.execute(sa.delete(Evidence).where(Evidence.assessment_id.in_(assessment_ids)))


def _delete_company(company: Company, users: list[User]) -> None:
    """Remove the company, its users and every row that depends on them. A reference from a row that
    can live without it (the audit log, a closure request) is cleared; a row that cannot is removed."""
    _remove_evidence(sa.select(Assessment.id).where(Assessment.company_id == company.id))
    _anonymise_roster(company)  # before its link to the company is cleared
    entries = list(db.session.scalars(sa.select(RosterEntry.id).where(RosterEntry.company_id == company.id)))
    for u in users:
        deactivate(u)
    db.session.flush()
    tables = db.metadata.tables
    if users:
        _purge(tables["users"], tables["users"].c.id, [u.id for u in users])
    group = (company.zone_id, company.industry_division, company.size_class)
    _purge(tables["companies"], tables["companies"].c.id, [company.id])
    db.session.expunge_all()
    from ..figures_cube import recount
    recount(db.session, {group})  # the zone's pre-aggregates: these core deletes pass no ORM event
    from ..roster_progress import refresh_entries
    refresh_entries(db.session, entries)  # its roster lines: no firm, no assessments any more


def _purge(table: sa.Table, column: sa.Column, values: list, depth: int = 0) -> None:
    """Delete the rows of `table` whose `column` is in `values`, after every row that points at them."""
    if not values or depth > 8:
        return
    referrers = [fk for t in db.metadata.sorted_tables for fk in t.foreign_keys if fk.column.table is table]
    for fk in referrers:
        keys = list(db.session.scalars(sa.select(fk.column).where(column.in_(values))))
        if not keys:
            continue
        child = fk.parent
        if child.nullable and not child.primary_key:
            db.session.execute(sa.update(child.table).where(child.in_(keys)).values({child.name: None}))
        elif child.table is not table:
            _purge(child.table, child, keys, depth + 1)
    db.session.execute(sa.delete(table).where(column.in_(values)))


def _scrub(needles: set[str], company_id: int) -> None:
    """Replace every remaining trace of the firm's name, code and addresses in text columns, and in the
    JSON of its own rows (free-text answers and the like). Short strings are left: they match too much."""
    needles = {n for n in needles if n and len(n) >= 4}
    if not needles:
        return
    gone = _("已注销")
    own_assessments = sa.select(Assessment.id).where(Assessment.company_id == company_id)
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            kind = column.type
            if isinstance(kind, sa.JSON):
                if "assessment_id" in table.c:
                    where = table.c.assessment_id.in_(own_assessments)
                elif "company_id" in table.c:
                    where = table.c.company_id == company_id
                else:
                    continue
                _scrub_json(table, column, where, needles, gone)
            elif isinstance(kind, (sa.String, sa.Text)) and not column.primary_key and not column.foreign_keys:
                length = getattr(kind, "length", None)
                for needle in needles:
                    if length is not None and length < len(needle):
                        continue
                    db.session.execute(sa.update(table).where(column.contains(needle, autoescape=True))
                                       .values({column.name: sa.func.replace(column, needle, gone)}))


def _scrub_json(table: sa.Table, column: sa.Column, where, needles: set[str], gone: str) -> None:
    """JSON values are read and written back in Python: escaped or not, a needle inside is found."""
    pk = list(table.primary_key.columns)
    if not pk:
        return
    rows = db.session.execute(sa.select(*pk, column).where(where, column.is_not(None))).all()
    for *keys, value in rows:
        text = json.dumps(value, ensure_ascii=False)
        if not any(n in text for n in needles):
            continue
        for n in needles:
            text = text.replace(json.dumps(n, ensure_ascii=False)[1:-1], json.dumps(gone, ensure_ascii=False)[1:-1])
        db.session.execute(sa.update(table).where(*(c == k for c, k in zip(pk, keys, strict=True)))
                           .values({column.name: json.loads(text)}))
