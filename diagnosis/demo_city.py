"""The demo's city: the demo zone and two smaller zones under one city, a city staff member, and a
running programme of the demo zone with a roster (some firms not started) and targets.

The targets are demo values, marked as such wherever they show: a real target comes from a
document and names it."""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from . import areas
from .extensions import db
from .models import Company, Programme, RosterEntry, Target, User, Zone
from .programmes.links import token_hash

OTHER_ZONES = (("示范经济技术开发区", "DEMO-2026-B", 120), ("示范临港产业园", "DEMO-2026-C", 80))
UNREGISTERED = 25   # roster firms that have not registered on the platform yet
CITY_USER = "city@demo.example.com"
DEMO_SOURCE = "演示值，非真实目标（仿照试点城市“规上企业数字化水平二级及以上占比”的提法）"


def seed_city(zone: Zone, companies: list[Company], rng: np.random.Generator, now: datetime) -> dict[str, str]:
    from .demo import DEMO_PASSWORD, _companies, demo_uscc, submit_synthetic
    city = areas.create("city", "示范市")
    areas.place(areas.of_zone(zone.id), city)
    for sub in zone.sub_zones or []:
        areas.create("sub_zone", sub, areas.of_zone(zone.id))
    for k, (name, invite, n) in enumerate(OTHER_ZONES, start=2):
        other = Zone(name=name, invite_code=invite, sub_zones=[])
        db.session.add(other)
        db.session.flush()
        areas.place(areas.of_zone(other.id), city)
        firms = _companies(other.id, n, rng, offset=k * 1_000_000)
        db.session.add_all(firms)
        db.session.flush()
        submit_synthetic("sme-digital", firms, np.clip(rng.normal(0.45, 0.2, n), 0, 1), rng, now, days=(1, 400))
    staff = User(email=CITY_USER, name="市经信局 赵科长", role="zone_admin", zone_id=None, area_id=city.id)
    staff.set_password(DEMO_PASSWORD)
    db.session.add(staff)

    admin = db.session.query(User).filter_by(zone_id=zone.id, role="zone_admin").first()
    consultant = db.session.query(User).filter_by(zone_id=zone.id, role="consultant", provider_id=None).first()
    p = Programme(area_id=areas.of_zone(zone.id).id, zone_id=zone.id, name="2026年规上工业企业数字化诊断",
                  instrument_id="sme-digital", starts_on=(now - timedelta(days=200)).date(),
                  ends_on=(now + timedelta(days=160)).date(), reminder_days=7, reminder_cap=3,
                  quotas={"东区": 40, "西区": 30, "科创园": 20, "综合保税区": 10}, status="running",
                  created_by_id=admin.id if admin else None, launched_at=now - timedelta(days=200),
                  consultant_quotas={str(consultant.id): 25} if consultant else {})
    db.session.add(p)
    db.session.flush()
    picked = [companies[i] for i in rng.choice(len(companies), min(120, len(companies)), replace=False)]
    rows = [{"programme_id": p.id, "uscc": c.uscc, "name": c.name, "industry_division": c.industry_division,
             "size_class": c.size_class, "above_scale": c.revenue >= 2000, "contact": None, "mobile": None,
             "email": None, "sub_zone": c.sub_zone, "company_id": c.id, "token_hash": token_hash(p.id, c.uscc),
             "reminders_sent": 0, "invited_at": p.launched_at} for c in picked]
    for i in range(UNREGISTERED):
        code = demo_uscc(9_000_000 + i)
        rows.append({"programme_id": p.id, "uscc": code, "name": f"示范待注册企业{i + 1:02d}有限公司",
                     "industry_division": "34", "size_class": "small", "above_scale": i % 3 == 0, "contact": "联系人",
                     "mobile": None, "email": f"roster{i + 1:02d}@demo.example.com",
                     "sub_zone": ("东区", "西区", "科创园")[i % 3], "company_id": None,
                     "token_hash": token_hash(p.id, code), "reminders_sent": 0,
                     "invited_at": p.launched_at if i % 2 == 0 else None})
    db.session.execute(RosterEntry.__table__.insert(), rows)
    for name, indicator, level, base, target, nature in (
            ("名单企业诊断覆盖", "coverage", None, 0, 100, "binding"),
            ("规上企业二级及以上占比", "share_at_level", 2, 40, 90, "expected")):
        db.session.add(Target(area_id=p.area_id, programme_id=p.id, name=name, indicator=indicator,
                              instrument_id="sme-digital", min_level=level, above_scale_only=indicator != "coverage",
                              base_year=2025, base_value=base, target_year=2027, target_value=target, nature=nature,
                              source=DEMO_SOURCE, is_demo=True))
    return {"city_staff": CITY_USER}
