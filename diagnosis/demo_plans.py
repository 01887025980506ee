"""Demo improvement plans: items made from the recommendations of firms' earlier results, in every state.
Re-assessed firms have items done between their two rounds (so their latest result says what was done);
firms assessed once have items planned, in progress or dropped, some due within days (home page, reminders);
the demo firm's own account has a submitted assessment a year ago and a plan in every state, most items owned by
its account (reminders go to that user), some by a name without an account."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import sqlalchemy as sa

from scoring.recommend import recommend

from .assessments.service import instrument_of
from .extensions import db
from .models import Assessment, Company, PlanItem, Result, User
from .plans.service import PHASE_MONTHS, add_months

BANDS = ("lt10", "10-50", "50-200", "gt200")
OWNERS = ("生产部 王工", "信息部 李工", "质量部 赵工", "设备部 孙工", "总经理办公室")
SUPPLIERS = ("锡科智造诊断服务有限公司", "某工业软件有限公司", "某自动化设备有限公司")


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)  # SQLite gives naive datetimes back


def _items_from(a: Assessment, result: Result, rng: np.random.Generator, statuses: list[str], now: datetime,
                next_at: datetime | None) -> list[PlanItem]:
    inst = instrument_of(a)
    recs = recommend(inst, {"total": result.total, "level": result.level, "method": result.method,
                            "dimensions": result.dimensions, **result.details}, result.details.get("benchmark"))
    items = []
    submitted = _aware(a.submitted_at)
    next_at = _aware(next_at) if next_at else None
    for r, status in zip(recs, statuses):
        start = submitted.date()
        due = add_months(start, PHASE_MONTHS.get(r["months"], 6))
        done_at = None
        if status == "done":
            # Done before the next round when there is one, else some weeks ago.
            end = next_at or now
            span = max(1, int((end - submitted).days) - 2)
            done_at = submitted + timedelta(days=int(rng.integers(1, span + 1)))
        project = status in ("done", "in_progress") and rng.random() < 0.5
        items.append(PlanItem(
            company_id=a.company_id, assessment_id=a.id, instrument_id=result.instrument_id,
            title={"zh": r["action"]["zh"], "en": r["action"].get("en") or r["action"]["zh"]}, indicators=[r["indicator"]],
            owner=str(rng.choice(OWNERS)), due_date=due, budget_band=str(rng.choice(BANDS)), status=status,
            drop_reason="预算优先用于产线改造，明年再议" if status == "dropped" else None, done_at=done_at,
            project_name=f"{inst.indicator(r['indicator']).title.get('zh')}改造项目" if project else None,
            project_supplier=str(rng.choice(SUPPLIERS)) if project else None,
            project_amount=float(rng.choice([8, 25, 60, 120])) if project else None,
            project_start=start + timedelta(days=30) if project else None,
            project_end=due if project else None,
            created_at=submitted + timedelta(days=1), updated_at=done_at or submitted + timedelta(days=1)))
    return items


def seed_plans(zone_id: int, rng: np.random.Generator, demo_firm: Company | None = None) -> int:
    now = datetime.now(UTC)
    rows = db.session.execute(
        sa.select(Result, Assessment).join(Assessment, Assessment.id == Result.assessment_id)
        .join(Company, Company.id == Result.company_id)
        .where(Company.zone_id == zone_id, Result.instrument_id == "sme-digital")
        .order_by(Result.company_id, Assessment.submitted_at)).all()
    by_firm: dict[int, list] = {}
    for result, a in rows:
        by_firm.setdefault(result.company_id, []).append((result, a))
    made = []
    for company_id, rounds in by_firm.items():
        if demo_firm is not None and company_id == demo_firm.id:
            continue  # its plan is made below
        if len(rounds) >= 2:
            if rng.random() > 0.6:
                continue
            (r0, a0), (_r1, a1) = rounds[-2], rounds[-1]
            statuses = ["done", "done", "in_progress", "dropped"][: int(rng.integers(2, 5))]
            made += _items_from(a0, r0, rng, statuses, now, a1.submitted_at)
        elif rng.random() < 0.25:
            r0, a0 = rounds[-1]
            statuses = [str(s) for s in rng.choice(["planned", "in_progress", "done", "dropped"], int(rng.integers(1, 4)))]
            made += _items_from(a0, r0, rng, statuses, now, None)
    # Some open items fall due within the week, so reminders and the firms' home pages have something to show.
    open_items = [p for p in made if p.status in ("planned", "in_progress")]
    for p in open_items[: max(3, len(open_items) // 10)]:
        p.due_date = (now + timedelta(days=int(rng.integers(2, 8)))).date()
    if demo_firm is not None:
        a = db.session.scalar(sa.select(Assessment).where(Assessment.company_id == demo_firm.id,
                                                          Assessment.status == "submitted").order_by(Assessment.id))
        if a is not None:
            items = _items_from(a, a.result, rng, ["done", "in_progress", "planned", "dropped", "planned"], now, None)
            for p, days in zip(items, (None, 5, 20, None, 90)):
                if days is not None:
                    p.due_date = (now + timedelta(days=days)).date()
            # Owned by the firm's own account (its reminders go to that user alone), except the last two,
            # which a supplier and a department without an account own by name.
            account = db.session.scalar(sa.select(User.id).where(User.company_id == demo_firm.id,
                                                                 User.role == "enterprise").order_by(User.id))
            for p in items[:3] if account is not None else ():
                p.owner, p.owner_user_id = None, account
            made += items
    db.session.add_all(made)
    db.session.flush()
    return len(made)
