"""Improvement plans. A firm (or its consultant) turns a result's recommendations into plan items and
follows them: owner, due date, budget band, status (planned / in progress / done / dropped with a
reason), the indicators each should move and optionally the retrofit project carrying it out.
The web pages, the API, the reminder task and the report all call these functions."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from scoring.recommend import recommend

from ..access import can_plan, find_assessment, find_company, visible_company_ids
from ..assessments.service import instrument_of
from ..audit import record
from ..errors import Refused
from ..extensions import db
from ..ids import MAX_ID
from ..inputs import parse_number
from ..models import PLAN_STATUSES, Assessment, Company, PlanItem, User, utcnow
from ..notifications.service import N_, notify
from ..reporting import result_dict

# Budget bands in 万元 (the firm's own planning category, not a rule of any programme).
BUDGET_BANDS = ("lt10", "10-50", "50-200", "gt200")
BUDGET_NAMES = {"lt10": N_("10万元以下"), "10-50": N_("10–50万元"), "50-200": N_("50–200万元"), "gt200": N_("200万元以上")}
STATUS_NAMES = {"planned": N_("计划中"), "in_progress": N_("实施中"), "done": N_("已完成"), "dropped": N_("已放弃")}
OPEN = ("planned", "in_progress")
REMIND_DAYS = 7        # owners are reminded once, this many days before an open item is due
HOME_DAYS = 30         # the firm's home lists open items due within this many days (and overdue ones)
# The roadmap's phases end this many months after the result: an item made from a recommendation is due then.
PHASE_MONTHS = {"0-6": 6, "6-18": 18, "18-36": 36}
MAX_AMOUNT = 10_000_000.0  # 万元
FIELDS = ("title", "owner", "owner_user_id", "due_date", "budget_band", "status", "drop_reason", "indicators", "project_name",
          "project_supplier", "project_amount", "project_start", "project_end")


def _company_for_plan(user: User, company_id: Any) -> Company:
    if not isinstance(company_id, int) or isinstance(company_id, bool) or not 0 < company_id <= MAX_ID:
        raise Refused(404, "not_found", _l("找不到这家企业，或您无权查看。"))
    company = find_company(user, company_id)
    if company is None:
        raise Refused(404, "not_found", _l("找不到这家企业，或您无权查看。"))
    return company


def _ensure_writer(user: User) -> None:
    if not can_plan(user):
        raise Refused(403, "forbidden", _l("改进计划由企业或其顾问填写；园区管理人员只能查看。"))


def recommendations(a: Assessment, lang: str) -> list[dict]:
    """The result's recommendations as the report ranks them, numbered from 1, each with the plan item
    already made from it (if any)."""
    if a.result is None:
        return []
    inst = instrument_of(a)
    result = result_dict(a)
    made = {(tuple(sorted(p.indicators or [])), p.title.get("zh")): p for p in items_of(a.company_id)
            if p.assessment_id == a.id}
    out = []
    for n, r in enumerate(recommend(inst, result, result.get("benchmark")), start=1):
        ind = inst.indicator(r["indicator"])
        out.append({"n": n, "indicator": r["indicator"], "indicator_title": ind.title.get(lang) if ind else r["indicator"],
                    "action": r["action"].get(lang) or r["action"]["zh"], "months": r["months"], "effort": r["effort"],
                    "item": made.get(((r["indicator"],), r["action"]["zh"]))})
    return out


def add_from_result(user: User, assessment_id: int, n: Any) -> PlanItem:
    """A plan item from the result's n-th recommendation: its action as the title, its indicator linked,
    due at the end of its roadmap phase counted from the result's date, owned by the user who made it (by
    account when that is the firm's own user; a consultant by name)."""
    a = find_assessment(user, assessment_id)
    if a is None or a.result is None:
        raise Refused(404, "not_found", _l("找不到这份评估，或您无权查看。"))
    _ensure_writer(user)
    recs = recommend(instrument_of(a), result_dict(a), result_dict(a).get("benchmark"))
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= len(recs):
        raise Refused(422, "bad_recommendation", _l("没有这条建议。"))
    r = recs[n - 1]
    title = {"zh": r["action"]["zh"], "en": r["action"].get("en") or r["action"]["zh"]}
    existing = next((p for p in items_of(a.company_id) if p.assessment_id == a.id and p.title.get("zh") == title["zh"]
                     and p.indicators == [r["indicator"]]), None)
    if existing is not None:
        return existing
    start = (a.submitted_at or utcnow()).date()
    own = user.company_id == a.company_id and user.role == "enterprise"  # the firm's user: owner by account
    item = PlanItem(company_id=a.company_id, assessment_id=a.id, instrument_id=a.result.instrument_id, title=title,
                    indicators=[r["indicator"]], owner=None if own else user.name[:100], status="planned",
                    created_by_id=user.id, owner_user_id=user.id if own else None,
                    due_date=add_months(start, PHASE_MONTHS.get(r["months"], 6)))
    db.session.add(item)
    db.session.flush()
    record("plan_item", target=str(item.id), detail={"company": a.company_id, "assessment": a.id, "recommendation": n})
    db.session.commit()
    return item


def add_item(user: User, company_id: Any, data: Any) -> PlanItem:
    """A plan item the firm writes itself (not from a recommendation): a title is required."""
    company = _company_for_plan(user, company_id)
    _ensure_writer(user)
    if not isinstance(data, dict):
        raise Refused(422, "bad_item", _l("请求格式不正确。"))
    clean = _clean(data, creating=True)
    _check_owner(company.id, clean)
    item = PlanItem(company_id=company.id, status="planned", indicators=[], created_by_id=user.id)
    _apply(item, clean, user)
    db.session.add(item)
    db.session.flush()
    record("plan_item", target=str(item.id), detail={"company": company.id})
    db.session.commit()
    return item


def get_item(user: User, item_id: Any) -> PlanItem:
    if not isinstance(item_id, int) or isinstance(item_id, bool) or not 0 < item_id <= MAX_ID:
        raise Refused(404, "not_found", _l("找不到这条计划事项。"))
    item = db.session.scalar(sa.select(PlanItem).where(PlanItem.id == item_id,
                                                       PlanItem.company_id.in_(visible_company_ids(user))))
    if item is None:
        raise Refused(404, "not_found", _l("找不到这条计划事项。"))
    return item


def update_item(user: User, item_id: Any, data: Any) -> PlanItem:
    """Change some fields of an item (those given); a status change is audited with from, to and reason."""
    item = get_item(user, item_id)
    _ensure_writer(user)
    if not isinstance(data, dict):
        raise Refused(422, "bad_item", _l("请求格式不正确。"))
    clean = _clean(data, creating=False)
    _check_owner(item.company_id, clean)
    status = clean.get("status", item.status)
    reason = clean.get("drop_reason", item.drop_reason)
    if status == "dropped" and not reason:
        raise Refused(422, "reason_required", _l("放弃一项计划需要写明原因。"), [{"field": "drop_reason"}])
    before = item.status
    _apply(item, clean, user)
    if item.status != before:
        record("plan_status", target=str(item.id),
               detail={"company": item.company_id, "from": before, "to": item.status, "reason": item.drop_reason})
    db.session.commit()
    return item


def _apply(item: PlanItem, clean: dict, user: User) -> None:
    for key, value in clean.items():
        setattr(item, key, value)
    # One owner: an account of the firm, or a name (someone without an account); setting one clears the other.
    if clean.get("owner_user_id") is not None:
        item.owner = None
    elif clean.get("owner") is not None:
        item.owner_user_id = None
    if "status" in clean:
        item.done_at = (item.done_at or utcnow()) if item.status == "done" else None
        if item.status != "dropped":
            item.drop_reason = None
    if "due_date" in clean:
        item.reminded_for = None  # a new due date gets its own reminder
    item.updated_at = utcnow()


def _text(value: Any, field: str, limit: int, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise Refused(422, "required", _l("请填写%(field)s。", field=field), [{"field": field}])
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise Refused(422, "bad_text", _l("%(field)s 最多 %(n)s 个字。", field=field, n=limit), [{"field": field}])
    return value.strip() or None


def _date(value: Any, field: str) -> date | None:
    if value is None or value == "":
        return None
    try:
        if not isinstance(value, str) or len(value) != 10 or not value.isascii():
            raise ValueError
        d = date.fromisoformat(value)
    except ValueError:
        raise Refused(422, "bad_date", _l("日期格式应为 YYYY-MM-DD。"), [{"field": field}]) from None
    if not 2000 <= d.year <= 2100:
        raise Refused(422, "bad_date", _l("日期应在2000年至2100年之间。"), [{"field": field}])
    return d


def _clean(data: dict, creating: bool) -> dict:
    """The fields of `data` checked one by one (forms send strings, the API JSON values)."""
    unknown = sorted(str(k)[:64] for k in data if k not in FIELDS)
    if unknown:
        raise Refused(422, "unknown_field", _l("未知字段。"), [{"field": k} for k in unknown])
    out: dict[str, Any] = {}
    if "title" in data or creating:
        t = _text(data.get("title"), "title", 500, required=True)
        out["title"] = {"zh": t, "en": t}
    if "owner" in data:
        out["owner"] = _text(data["owner"], "owner", 100)
    if "owner_user_id" in data:
        v = data["owner_user_id"]
        if isinstance(v, str) and v.isascii() and v.isdigit() and len(v) <= 10:
            v = int(v)                      # a form's select; other scripts' digits are refused below
        if v is None or v == "":
            out["owner_user_id"] = None
        elif isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_ID:
            out["owner_user_id"] = v
        else:
            raise Refused(422, "bad_owner", _l("负责人账号应为本企业的用户。"), [{"field": "owner_user_id"}])
    for key in ("due_date", "project_start", "project_end"):
        if key in data:
            out[key] = _date(data[key], key)
    if "budget_band" in data:
        v = data["budget_band"] or None
        if v is not None and v not in BUDGET_BANDS:
            raise Refused(422, "bad_budget", _l("没有这个预算区间。"), [{"field": "budget_band", "allowed": list(BUDGET_BANDS)}])
        out["budget_band"] = v
    if "status" in data:
        if data["status"] not in PLAN_STATUSES:
            raise Refused(422, "bad_status", _l("没有这个状态。"), [{"field": "status", "allowed": list(PLAN_STATUSES)}])
        out["status"] = data["status"]
    if "drop_reason" in data:
        out["drop_reason"] = _text(data["drop_reason"], "drop_reason", 1000)
    for key in ("project_name", "project_supplier"):
        if key in data:
            out[key] = _text(data[key], key, 200)
    if "project_amount" in data:
        v = data["project_amount"]
        if v is None or v == "":
            out["project_amount"] = None
        else:
            n = parse_number(v) if isinstance(v, str) else (float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None)
            if n is None or not 0 <= n <= MAX_AMOUNT:
                raise Refused(422, "bad_amount", _l("金额应为0到1000万之间的数字（万元）。"), [{"field": "project_amount"}])
            out["project_amount"] = n
    if "indicators" in data:
        v = data["indicators"]
        if not isinstance(v, list) or len(v) > 50 or not all(isinstance(i, str) and 0 < len(i) <= 64 for i in v):
            raise Refused(422, "bad_indicators", _l("indicators 应为指标编号列表。"), [{"field": "indicators"}])
        out["indicators"] = list(dict.fromkeys(v))
    start, end = out.get("project_start"), out.get("project_end")
    if start and end and end < start:
        raise Refused(422, "bad_dates", _l("项目结束日期不能早于开始日期。"), [{"field": "project_end"}])
    return out


def owner_choices(company_id: int) -> list[User]:
    """The firm's active users, who may own an item (and get its reminders)."""
    return db.session.scalars(sa.select(User).where(User.company_id == company_id, User.role == "enterprise",
                                                    User.active.is_(True)).order_by(User.name, User.id)).all()


def _check_owner(company_id: int, clean: dict) -> None:
    """An owner account must be an active user of the item's own firm: never another firm's, nor staff."""
    owner_id = clean.get("owner_user_id")
    if owner_id is not None and owner_id not in {u.id for u in owner_choices(company_id)}:
        raise Refused(422, "bad_owner", _l("负责人账号应为本企业的用户。"), [{"field": "owner_user_id"}])


def items_of(company_id: int) -> list[PlanItem]:
    return db.session.scalars(sa.select(PlanItem).where(PlanItem.company_id == company_id)
                              .order_by(PlanItem.due_date.is_(None), PlanItem.due_date, PlanItem.id)).all()


def company_plan(user: User, company_id: Any) -> tuple[Company, list[PlanItem]]:
    company = _company_for_plan(user, company_id)
    return company, items_of(company.id)


def due_soon(user: User, today: date | None = None) -> list[PlanItem]:
    """The firm's open items due within HOME_DAYS days, overdue ones first (for the firm's home)."""
    if user.company_id is None or user.role != "enterprise":
        return []
    today = today or date.today()
    return db.session.scalars(sa.select(PlanItem).where(
        PlanItem.company_id == user.company_id, PlanItem.status.in_(OPEN), PlanItem.due_date.is_not(None),
        PlanItem.due_date <= today + timedelta(days=HOME_DAYS)).order_by(PlanItem.due_date, PlanItem.id).limit(20)).all()


def send_due_reminders(today: date | None = None) -> int:
    """Remind each open item's owner REMIND_DAYS days before its due date, once per due date, through the
    notifications (and the outbox for users who want mail): the owner's account when the item has one, else
    every user of the firm. Returns the number of items reminded."""
    today = today or date.today()
    rows = db.session.scalars(sa.select(PlanItem).where(
        PlanItem.status.in_(OPEN), PlanItem.due_date.is_not(None), PlanItem.due_date >= today,
        PlanItem.due_date <= today + timedelta(days=REMIND_DAYS),
        sa.or_(PlanItem.reminded_for.is_(None), PlanItem.reminded_for != PlanItem.due_date))).all()
    for item in rows:
        users = owner_choices(item.company_id)
        # The owner's account alone when it is still one of the firm's active users; else every firm user.
        users = [u for u in users if u.id == item.owner_user_id] or users
        for u in users:
            notify(u, "plan_due", f"/plans/{item.company_id}#item-{item.id}", item=item.title_in(u.lang or "zh"),
                   due=f"{item.due_date:%Y-%m-%d}", owner=item.owner_name or "—")
        item.reminded_for = item.due_date
    db.session.commit()
    return len(rows)


def done_between(company_id: int, start: datetime, end: datetime | None) -> list[PlanItem]:
    """Items the firm marked done after one assessment was submitted and up to the next one."""
    q = sa.select(PlanItem).where(PlanItem.company_id == company_id, PlanItem.status == "done", PlanItem.done_at > start)
    if end is not None:
        q = q.where(PlanItem.done_at <= end)
    return db.session.scalars(q.order_by(PlanItem.done_at, PlanItem.id)).all()


def report_items(company_id: int, as_of: datetime) -> list[PlanItem]:
    """The items that existed at the report's date, for the report (status as it stands on that date)."""
    return db.session.scalars(sa.select(PlanItem).where(PlanItem.company_id == company_id, PlanItem.created_at <= as_of)
                              .order_by(PlanItem.due_date.is_(None), PlanItem.due_date, PlanItem.id)).all()


def item_dict(item: PlanItem) -> dict:
    """An item as the API gives it."""
    return {"id": item.id, "company_id": item.company_id, "assessment_id": item.assessment_id,
            "title": item.title, "indicators": item.indicators or [], "owner": item.owner,
            "owner_user_id": item.owner_user_id,
            "owner_user_name": item.owner_user.name if item.owner_user is not None else None,
            "due_date": item.due_date.isoformat() if item.due_date else None, "budget_band": item.budget_band,
            "status": item.status, "drop_reason": item.drop_reason,
            "done_at": item.done_at.isoformat() if item.done_at else None,
            "project": None if not item.project_name else {
                "name": item.project_name, "supplier": item.project_supplier, "amount": item.project_amount,
                "start": item.project_start.isoformat() if item.project_start else None,
                "end": item.project_end.isoformat() if item.project_end else None},
            "created_at": item.created_at.isoformat(), "updated_at": item.updated_at.isoformat()}


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return date(year, month, 28)
