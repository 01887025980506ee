"""On-site sample checks: a seeded random draw of submitted or approved assessments, by stratum.

Changzhou checked on site "不低于10%的比例" of its applicants (常州 星级上云 2022, see
shared/reference/programmes.md §1.2), hence the default share of 10%. The seed, the rule and
the population drawn from are stored, so the draw can be repeated and audited: `redraw` on
the stored record gives the same firms. A mismatch found on site reopens the assessment for
verification.
"""
from __future__ import annotations

import math
import random
import secrets
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..access import ZONE_ADMIN, ensure_role
from ..audit import record
from ..errors import Refused
from ..extensions import db
from ..models import Assessment, Assignment, Company, Result, ReviewEvent, SampleCheck, SampleDraw, User, utcnow
from ..notifications.service import notify

DEFAULT_SHARE = 0.10  # 常州 2022: on-site check of at least 10% of applicants
STRATA = {"": None, "size": Company.size_class, "industry": Company.industry_division, "sub_zone": Company.sub_zone}
STATES = ("submitted", "approved")


def redraw(population: dict[str, list[int]], rule: dict, seed: int) -> list[int]:
    """The draw itself, a pure function: per stratum (in key order) a share (rounded up) or a count."""
    drawn: list[int] = []
    for key in sorted(population):
        ids = sorted(population[key])
        k = math.ceil(rule["share"] * len(ids)) if rule.get("share") is not None else min(rule["count"], len(ids))
        drawn += random.Random(f"{seed}:{key}").sample(ids, k)
    return sorted(drawn)


def _rule(raw: dict) -> dict:
    instrument = raw.get("instrument") or "sme-digital"
    stratum = raw.get("stratum") or ""
    states = [s for s in (raw.get("states") or STATES) if s in STATES]
    if stratum not in STRATA or not isinstance(instrument, str) or not states:
        raise Refused(422, "bad_rule", _l("抽样规则不正确。"), [{"field": "stratum"}])
    share, count = raw.get("share"), raw.get("count")
    try:
        if count not in (None, ""):
            count, share = int(count), None
            if not 1 <= count <= 100_000:
                raise ValueError
        else:
            share = DEFAULT_SHARE if share in (None, "") else float(share)
            if not 0 < share <= 1:
                raise ValueError
    except (TypeError, ValueError):
        raise Refused(422, "bad_rule", _l("抽样比例应在 0 到 1 之间，或给出 1 以上的家数。"), [{"field": "share"}]) from None
    return {"instrument": instrument, "stratum": stratum, "states": sorted(states), "share": share, "count": count}


def population(zone_id: int, rule: dict) -> dict[str, list[int]]:
    """Each firm's latest assessment on the instrument in the chosen states, grouped by stratum."""
    column = STRATA[rule["stratum"]]
    q = (sa.select(Assessment.id, column if column is not None else sa.literal(""))
         .join(Result, Result.assessment_id == Assessment.id).join(Company, Company.id == Assessment.company_id)
         .where(Company.zone_id == zone_id, Result.instrument_id == rule["instrument"], Result.is_latest,
                sa.func.coalesce(Assessment.review_state, Assessment.status).in_(rule["states"])))
    out: dict[str, list[int]] = {}
    for aid, key in db.session.execute(q):
        out.setdefault(str(key or ""), []).append(aid)
    return {k: sorted(v) for k, v in out.items()}


def draw(staff: User, raw_rule: dict, seed: Any = None) -> SampleDraw:
    ensure_role(staff, ZONE_ADMIN)
    rule = _rule(raw_rule)
    if seed in (None, ""):
        seed = secrets.randbelow(2**31)
    try:
        seed = int(seed)
        if not 0 <= seed < 2**63:
            raise ValueError
    except (TypeError, ValueError):
        raise Refused(422, "bad_seed", _l("随机种子应为非负整数。"), [{"field": "seed"}]) from None
    pop = population(staff.zone_id, rule)
    picked = redraw(pop, rule, seed)
    d = SampleDraw(zone_id=staff.zone_id, created_by_id=staff.id, seed=seed, rule=rule, population=pop, drawn=picked)
    db.session.add(d)
    db.session.flush()
    db.session.add_all([SampleCheck(draw_id=d.id, assessment_id=aid) for aid in picked])
    record("sample_draw", target=str(d.id), detail={"seed": seed, "rule": rule, "drawn": len(picked)}, user=staff)
    db.session.commit()
    return d


def draws(staff: User) -> list[SampleDraw]:
    ensure_role(staff, ZONE_ADMIN)
    return db.session.scalars(sa.select(SampleDraw).where(SampleDraw.zone_id == staff.zone_id)
                              .order_by(SampleDraw.id.desc()).limit(100)).all()


def get_draw(staff: User, draw_id: int) -> SampleDraw:
    ensure_role(staff, ZONE_ADMIN)
    d = db.session.get(SampleDraw, draw_id)
    if d is None or d.zone_id != staff.zone_id:
        raise Refused(404, "not_found", _l("找不到这次抽样。"))
    return d


def checks(d: SampleDraw) -> list[tuple[SampleCheck, Company]]:
    return db.session.execute(sa.select(SampleCheck, Company).join(Assessment, Assessment.id == SampleCheck.assessment_id)
                              .join(Company, Company.id == Assessment.company_id)
                              .where(SampleCheck.draw_id == d.id).order_by(Company.name)).all()


def record_outcome(staff: User, draw_id: int, check_id: Any, outcome: Any, note: Any) -> SampleCheck:
    """Record what the on-site check found; a mismatch reopens the assessment for verification."""
    d = get_draw(staff, draw_id)
    c = db.session.get(SampleCheck, check_id) if isinstance(check_id, int) else None
    if c is None or c.draw_id != d.id:
        raise Refused(404, "not_found", _l("找不到这条抽查记录。"))
    if outcome not in ("match", "mismatch"):
        raise Refused(422, "bad_outcome", _l("请选择“一致”或“不一致”。"), [{"field": "outcome"}])
    text = note.strip()[:2000] if isinstance(note, str) else None
    if outcome == "mismatch" and not text:
        raise Refused(422, "bad_text", _l("不一致时请写明发现的情况。"), [{"field": "note"}])
    if c.outcome != "pending":
        raise Refused(409, "already_recorded", _l("这条抽查结果已记录。"))
    c.outcome, c.note, c.checked_by_id, c.checked_at = outcome, text, staff.id, utcnow()
    a = db.session.get(Assessment, c.assessment_id)
    if outcome == "mismatch":
        db.session.add(ReviewEvent(assessment_id=a.id, action="sample_mismatch", from_state=a.review_state,
                                   to_state="verifying", text=text, user_id=staff.id))
        a.review_state = "verifying"
        for u in db.session.scalars(sa.select(User).join(Assignment, Assignment.consultant_id == User.id)
                                    .where(Assignment.company_id == a.company_id)):
            notify(u, "sample_mismatch", f"/assessments/{a.id}/verification", firm=a.company.name)
    record("sample_check", target=str(a.id), detail={"draw": d.id, "outcome": outcome}, user=staff)
    db.session.commit()
    return c
