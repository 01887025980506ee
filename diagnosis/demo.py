"""Demo zone: a user for each role and a population of synthetic firms with submitted assessments."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import sqlalchemy as sa

import questionnaires
import scoring
from questionnaires.synthetic import answer_sets, latent_maturity

from .assessments import service
from .extensions import db
from .models import Answer, Assessment, Assignment, Company, User, Zone
from .registry import USCC_ALPHABET, size_class, uscc_check_char

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


def seed(firms: int = 300, seed_value: int = 2026) -> dict:
    """Create the demo zone unless it exists; return what was created."""
    if db.session.scalar(sa.select(Zone.id).where(Zone.invite_code == DEMO_INVITE)) is not None:
        return {"created": False}
    rng = np.random.default_rng(seed_value)
    zone = Zone(name="示范高新技术产业开发区", invite_code=DEMO_INVITE)
    db.session.add(zone)
    db.session.flush()

    companies = _companies(zone.id, firms, rng)
    db.session.add_all(companies)
    db.session.flush()

    # Bigger firms tend to be further along: shift maturity by size class.
    shift = np.array([{"large": 0.25, "medium": 0.12, "small": 0.0, "micro": -0.05}[c.size_class] for c in companies])
    maturity = latent_maturity(firms, rng, shift)
    levels = {}
    for instrument_id, share in DEMO_INSTRUMENTS.items():
        taking = np.flatnonzero(rng.random(firms) < share)
        levels[instrument_id] = _submit_population(instrument_id, [companies[i] for i in taking], maturity[taking], rng)

    users = _users(zone.id, companies, rng)
    db.session.commit()
    from .benchmarks import rescore
    rescore(zone.id)  # benchmark every demo result against the seeded population
    return {"created": True, "zone": zone.name, "firms": firms, "users": users, "levels": levels}


def _submit_population(instrument_id: str, companies: list[Company], maturity: np.ndarray,
                       rng: np.random.Generator) -> list[int]:
    """Submitted assessments with answers drawn around each firm's maturity; returns the level counts."""
    inst = questionnaires.get(instrument_id)
    version = service.snapshot(inst)
    answers = answer_sets(inst, len(companies), rng, maturity)
    batch = scoring.score_batch(inst, answers)
    now = datetime.now(timezone.utc)
    days_ago = rng.integers(1, 540, len(companies))
    assessments = [
        Assessment(company_id=c.id, instrument_version_id=version.id, status="submitted",
                   created_at=now - timedelta(days=int(d) + 3), updated_at=now - timedelta(days=int(d)),
                   submitted_at=now - timedelta(days=int(d)))
        for c, d in zip(companies, days_ago)
    ]
    db.session.add_all(assessments)
    db.session.flush()
    db.session.execute(sa.insert(Answer), [
        {"assessment_id": a.id, "question_id": qid, "value": value, "updated_at": a.updated_at}
        for a, ans in zip(assessments, answers) for qid, value in ans.items()
    ])
    for i, a in enumerate(assessments):
        service.store_result(a, batch.result(i))
    return np.bincount(batch.level, minlength=len(inst.levels)).tolist()


def _companies(zone_id: int, n: int, rng: np.random.Generator) -> list[Company]:
    out = []
    divs = rng.choice(DIVISIONS, n, p=DIV_WEIGHTS / DIV_WEIGHTS.sum())
    employees = np.clip(np.rint(rng.lognormal(np.log(80), 1.0, n)), 3, 6000).astype(int)
    revenue = np.round(employees * rng.lognormal(np.log(55), 0.6, n), 1)  # 10k yuan
    for i in range(n):
        name = f"示范{NAME_HEADS[i % 20]}{NAME_TAILS[(i // 20) % 20]}{TRADES[divs[i]]}{'有限公司' if i % 7 else '股份有限公司'}"
        if i >= 400:
            name = name.replace("示范", f"示范{i // 400}")
        out.append(Company(zone_id=zone_id, name=name, uscc=demo_uscc(i), industry_division=str(divs[i]),
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


def _users(zone_id: int, companies: list[Company], rng: np.random.Generator) -> dict[str, str]:
    firm = Company(zone_id=zone_id, name="示范精密机械有限公司", uscc=demo_uscc(999_999), industry_section="C",
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
