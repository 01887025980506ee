"""Demo zone: a user for each role and a population of synthetic firms with submitted assessments."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import sqlalchemy as sa

import questionnaires
import scoring
from questionnaires.synthetic import answer_sets, latent_maturity
from scoring.progress import next_gap, period_of

from .assessments import service
from .credit_codes import USCC_ALPHABET, uscc_check_char
from .extensions import db
from .industries import size_class
from .models import Answer, Assessment, Assignment, Company, DimensionScore, Result, User, Zone

DEMO_INVITE = "DEMO-2026"
# Share of demo firms that took each instrument.
DEMO_INSTRUMENTS = {"sme-digital": 1.0, "cloud-adoption": 0.6, "smart-manufacturing": 0.4}
DEMO_PASSWORD = "demo-password-2026"
DEMO_USERS = {
    "enterprise": "firm@demo.example.com",
    "consultant": "consultant@demo.example.com",
    "zone_admin": "admin@demo.example.com",
}

# Manufacturing divisions common in a zone, with rough weights.
DIVISIONS = ["33", "34", "35", "38", "39", "29", "26", "36", "40", "30", "17", "27", "14", "22", "32"]
DIV_WEIGHTS = np.array([10, 12, 11, 10, 9, 7, 6, 5, 4, 5, 4, 4, 3, 3, 3], float)
NAME_HEADS = ["恒", "华", "远", "新", "盛", "瑞", "博", "精", "鼎", "汇", "联", "达", "宏", "天", "嘉", "锦", "正", "信", "永", "泰"]
NAME_TAILS = ["拓", "锐", "诚", "通", "创", "源", "科", "益", "丰", "升", "川", "辰", "航", "力", "德", "安", "凯", "钧", "晟", "越"]
TRADES = {"33": "金属制品", "34": "机械", "35": "装备", "38": "电气", "39": "电子", "29": "塑胶", "26": "化工", "36": "汽车部件",
          "40": "仪器", "30": "新材料", "17": "纺织", "27": "医药", "14": "食品", "22": "纸业", "32": "合金"}


SUB_ZONES = ["东区", "西区", "科创园", "综合保税区"]
REASSESSED = 0.3      # share of firms that took an instrument twice, a year or so apart
STALE_DRAFTS = 0.05   # share of firms with a draft nobody has touched for months
FULL_BENCHMARK_UP_TO = 5000  # above this, peer benchmarks are computed when a result is first opened


def seed(firms: int = 300, seed_value: int = 2026) -> dict:
    """Create the demo zone unless it exists; return what was created."""
    if db.session.scalar(sa.select(Zone.id).where(Zone.invite_code == DEMO_INVITE)) is not None:
        return {"created": False}
    rng = np.random.default_rng(seed_value)
    zone = Zone(name="示范高新技术产业开发区", invite_code=DEMO_INVITE, sub_zones=SUB_ZONES)
    db.session.add(zone)
    db.session.flush()

    companies = _companies(zone.id, firms, rng)
    db.session.add_all(companies)
    db.session.flush()

    # Bigger firms tend to be further along: shift maturity by size class.
    shift = np.array([{"large": 0.25, "medium": 0.12, "small": 0.0, "micro": -0.05}[c.size_class] for c in companies])
    maturity = latent_maturity(firms, rng, shift)
    levels = {}
    now = datetime.now(UTC)
    for instrument_id, share in DEMO_INSTRUMENTS.items():
        taking = np.flatnonzero(rng.random(firms) < share)
        again = taking[rng.random(len(taking)) < REASSESSED]
        # An earlier round, before the firm's latest one: a little less mature, 9-18 months ago.
        earlier = np.clip(maturity[again] - rng.normal(0.12, 0.07, len(again)), 0.0, 1.0)
        submit_synthetic(instrument_id, [companies[i] for i in again], earlier, rng, now, days=(270, 540))
        twice = np.isin(taking, again)[:, None]
        latest_days = np.where(twice, [1, 260], [1, 540])
        levels[instrument_id] = submit_synthetic(instrument_id, [companies[i] for i in taking], maturity[taking], rng, now,
                                        days=latest_days)
    _stale_drafts(companies, rng, now)

    users = _users(zone.id, companies, rng)
    # The demo firm's own account: a self-assessment about a year ago and an improvement plan in every state,
    # so it can re-assess from its last answers; other firms' plans, re-assessed firms with items done.
    demo_firm = db.session.scalar(sa.select(Company).where(Company.uscc == demo_uscc(999_999)))
    submit_synthetic("sme-digital", [demo_firm], np.array([0.35]), rng, now, days=(330, 360))
    from .demo_plans import seed_plans
    seed_plans(zone.id, rng, demo_firm)
    _accounts(zone.id, companies[-1], now)
    from .demo_city import seed_city
    users.update(seed_city(zone, companies, rng, now))
    db.session.commit()
    # Planner statistics for the bulk-loaded tables: without them PostgreSQL picks
    # nested loops for the zone aggregates and a dashboard query takes minutes.
    # VACUUM also sets PostgreSQL's visibility map, so counts can be answered from indexes alone.
    statement = "VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text(statement))
    if firms <= FULL_BENCHMARK_UP_TO:
        from .rescore import rescore
        rescore(zone.id)  # benchmark every demo result against the seeded population
    from .demo_review import seed_review
    reviewed = seed_review(zone.id, DEMO_PASSWORD) if firms >= 20 else None
    return {"created": True, "zone": zone.name, "firms": firms, "users": users, "levels": levels, "review": reviewed}


def submit_synthetic(instrument_id: str, companies: list[Company], maturity: np.ndarray, rng: np.random.Generator,
            now: datetime, days) -> list[int]:
    """Submitted assessments with answers drawn around each firm's maturity, stored in bulk
    (hundreds of thousands of rows for `--firms 100000`); returns the level counts."""
    if not companies:
        return []
    inst = questionnaires.get(instrument_id)
    version = service.snapshot(inst)
    answers = answer_sets(inst, len(companies), rng, maturity)
    batch = scoring.score_batch(inst, answers)
    days = np.asarray(days)
    lo, hi = (days[:, 0], days[:, 1]) if days.ndim == 2 else (days[0], days[1])
    days_ago = rng.integers(lo, hi, len(companies))
    when = [now - timedelta(days=int(d), minutes=int(m)) for d, m in zip(days_ago, rng.integers(0, 600, len(companies)))]
    ids = db.session.scalars(sa.insert(Assessment).returning(Assessment.id, sort_by_parameter_order=True), [
        {"company_id": c.id, "instrument_version_id": version.id, "status": "submitted", "review_state": "submitted",
         "created_at": w - timedelta(days=3), "updated_at": w, "submitted_at": w}
        for c, w in zip(companies, when)
    ]).all()
    for chunk in _chunks([{"assessment_id": aid, "question_id": qid, "value": value, "updated_at": w}
                          for aid, w, ans in zip(ids, when, answers) for qid, value in ans.items()]):
        db.session.execute(sa.insert(Answer), chunk)
    results = [batch.result(i).to_dict() for i in range(len(companies))]
    result_ids = db.session.scalars(sa.insert(Result).returning(Result.id, sort_by_parameter_order=True), [
        {"assessment_id": aid, "company_id": c.id, "instrument_id": inst.id, "period": period_of(w),
         "is_latest": True, "latest_in_period": True, "method": r["method"], "total": r["total"], "level": r["level"],
         "next_gap": next_gap(r["blockers"]), "dimensions": r["dimensions"],
         "details": {k: r[k] for k in ("indicators", "blockers", "hidden", "question_levels", "question_points")},
         "indicators": r["indicators"],
         "computed_at": w}
        for aid, c, w, r in zip(ids, companies, when, results)
    ]).all()
    for chunk in _chunks([{"result_id": rid, "dimension_id": d, "percent": v["percent"]}
                          for rid, r in zip(result_ids, results) for d, v in r["dimensions"].items()]):
        db.session.execute(sa.insert(DimensionScore), chunk)
    _link_rounds(inst.id, companies)
    return np.bincount(batch.level, minlength=len(inst.levels)).tolist()


def _link_rounds(instrument_id: str, companies: list[Company]) -> None:
    """A firm assessed twice: the earlier result is no longer its latest, and the later one remembers its level."""
    rows = _rows_in_chunks(instrument_id, [c.id for c in companies])
    superseded, linked, before = [], [], {}
    for rid, company_id, level, period in rows:
        if company_id in before:
            prev_id, prev_level, prev_period = before[company_id]
            superseded.append({"id": prev_id, "is_latest": False, "latest_in_period": prev_period != period})
            linked.append({"id": rid, "previous_level": prev_level})
        before[company_id] = (rid, level, period)
    for updates in (superseded, linked):
        for chunk in _chunks(updates):
            db.session.execute(sa.update(Result), chunk)  # ORM bulk update by primary key


def _rows_in_chunks(instrument_id: str, ids: list[int]) -> list:
    """Each firm's latest results in submission order, asked for 20,000 firms at a time (bound-parameter limits)."""
    out = []
    for i in range(0, len(ids), 20000):
        out += db.session.execute(
            sa.select(Result.id, Result.company_id, Result.level, Result.period)
            .join(Assessment, Assessment.id == Result.assessment_id)
            .where(Result.instrument_id == instrument_id, Result.company_id.in_(ids[i:i + 20000]), Result.is_latest)
            .order_by(Result.company_id, Assessment.submitted_at)
        ).all()
    return out


def _stale_drafts(companies: list[Company], rng: np.random.Generator, now: datetime) -> None:
    """Drafts begun and abandoned 2-8 months ago, so the dashboard has stalled firms to show."""
    inst = questionnaires.get("cloud-adoption")
    version = service.snapshot(inst)
    picked = np.flatnonzero(rng.random(len(companies)) < STALE_DRAFTS)
    if not len(picked):
        return
    when = [now - timedelta(days=int(d)) for d in rng.integers(60, 240, len(picked))]
    ids = db.session.scalars(sa.insert(Assessment).returning(Assessment.id, sort_by_parameter_order=True), [
        {"company_id": companies[i].id, "instrument_version_id": version.id, "status": "draft",
         "created_at": w, "updated_at": w} for i, w in zip(picked, when)]).all()
    started = answer_sets(inst, len(picked), rng, np.full(len(picked), 0.2))
    db.session.execute(sa.insert(Answer), [
        {"assessment_id": aid, "question_id": qid, "value": value, "updated_at": w}
        for aid, w, ans in zip(ids, when, started) for qid, value in list(ans.items())[:3]])


def _chunks(rows: list, size: int = 20000):
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def _companies(zone_id: int, n: int, rng: np.random.Generator, offset: int = 0) -> list[Company]:
    out = []
    divs = rng.choice(DIVISIONS, n, p=DIV_WEIGHTS / DIV_WEIGHTS.sum())
    employees = np.clip(np.rint(rng.lognormal(np.log(80), 1.0, n)), 3, 6000).astype(int)
    revenue = np.round(employees * rng.lognormal(np.log(55), 0.6, n), 1)  # 10k yuan
    zones = rng.choice(len(SUB_ZONES), n, p=[0.35, 0.3, 0.2, 0.15])
    for i in range(n):
        name = f"示范{NAME_HEADS[i % 20]}{NAME_TAILS[(i // 20) % 20]}{TRADES[divs[i]]}{'有限公司' if i % 7 else '股份有限公司'}"
        if i >= 400:
            name = name.replace("示范", f"示范{i // 400}")
        out.append(Company(zone_id=zone_id, name=name, uscc=demo_uscc(offset + i), industry_division=str(divs[i]),
                           sub_zone=SUB_ZONES[int(zones[i])],
                           industry_section="C", employees=int(employees[i]), revenue=float(revenue[i]),
                           size_class=size_class(str(divs[i]), int(employees[i]), float(revenue[i]))))
    return out


def demo_uscc(i: int) -> str:
    """A well-formed credit code, unique per i: 91 (enterprise), a Wuxi region code, then i in base 31."""
    body = ""
    k = i
    for _ in range(9):
        body = USCC_ALPHABET[k % 31] + body
        k //= 31
    first17 = "91320214" + body
    return first17 + uscc_check_char(first17)


def _accounts(zone_id: int, company: Company, now: datetime) -> None:
    """Something on the staff's people pages: a managed invitation code with an expiry and a limit, a firm
    that registered with it, and that firm's pending request to close its account."""
    from .models import ClosureRequest, InviteCode
    code = InviteCode(zone_id=zone_id, code="DEMO-2026-Q4", expires_at=now + timedelta(days=90), max_uses=50)
    db.session.add(code)
    db.session.flush()
    user = User(email="closing@demo.example.com", name="赵经理", role="enterprise", zone_id=zone_id, company_id=company.id,
                invite_code_id=code.id)
    user.set_password(DEMO_PASSWORD)
    db.session.add(user)
    db.session.flush()
    db.session.add(ClosureRequest(zone_id=zone_id, company_id=company.id, requested_by_id=user.id, status="pending",
                                  reason="企业已迁出本园区（演示数据）"))


def _users(zone_id: int, companies: list[Company], rng: np.random.Generator) -> dict[str, str]:
    firm = Company(zone_id=zone_id, name="示范精密机械有限公司", uscc=demo_uscc(999_999), industry_section="C", sub_zone=SUB_ZONES[0],
                   industry_division="34", employees=120, revenue=8600.0, size_class=size_class("34", 120, 8600.0))
    db.session.add(firm)
    db.session.flush()
    people = [
        User(email=DEMO_USERS["enterprise"], name="王经理", role="enterprise", zone_id=zone_id, company_id=firm.id),
        User(email=DEMO_USERS["consultant"], name="李顾问", role="consultant", zone_id=zone_id),
        User(email=DEMO_USERS["zone_admin"], name="张主任", role="zone_admin", zone_id=zone_id),
    ]
    for u in people:
        u.set_password(DEMO_PASSWORD)
    db.session.add_all(people)
    db.session.flush()
    consultant = people[1]
    assigned = [firm] + list(rng.choice(np.array(companies, dtype=object), min(20, len(companies)), replace=False))
    db.session.add_all([Assignment(consultant_id=consultant.id, company_id=c.id) for c in assigned])
    return dict(DEMO_USERS)
