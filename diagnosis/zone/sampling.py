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

from ..access import ZONE_ADMIN, ensure_role, staff_scope, visible_company_ids
from ..audit import record
from ..errors import Refused
from ..extensions import db
from ..models import (
    Assessment,
    Assignment,
    Company,
    Programme,
    Result,
    ReviewEvent,
    RosterEntry,
    SampleCheck,
    SampleDraw,
    User,
    Zone,
    utcnow,
)
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


def _rule(raw: dict, staff: User | None = None) -> dict:
    instrument = raw.get("instrument") or "sme-digital"
    stratum = raw.get("stratum") or ""
    states = [s for s in (raw.get("states") or STATES) if s in STATES]
    if stratum not in STRATA or not isinstance(instrument, str) or not states:
        raise Refused(422, "bad_rule", _l("抽样规则不正确。"), [{"field": "stratum"}])
    only = raw.get("only") or None
    if only is not None and (not isinstance(only, str) or len(only) > 100 or not stratum):
        raise Refused(422, "bad_rule", _l("只抽一层时请先选择分层方式，并填写该层（不超过 100 字）。"), [{"field": "only"}])
    programme = raw.get("programme") or None
    if programme is not None:
        # One programme's roster: its instrument, its firms, their assessments since it began.
        from ..programmes import service as programmes
        try:
            prog = programmes.get(staff, programme) if isinstance(programme, int) and staff is not None else None
        except Refused:
            prog = None  # another area's programme is, to this form, no programme at all
        if prog is None or prog.zone_id != staff.zone_id:
            raise Refused(422, "bad_rule", _l("没有这个项目，或它的名单不在本园区。"), [{"field": "programme"}])
        instrument = prog.instrument_id
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
    out = {"instrument": instrument, "stratum": stratum, "states": sorted(states), "share": share, "count": count}
    if programme is not None:
        out["programme"] = programme
    if only is not None:
        out["only"] = only.strip()
    return out


def population(zone_id: int, rule: dict) -> dict[str, list[int]]:
    """Each firm's latest assessment on the instrument in the chosen states, grouped by stratum. With a
    programme: only its roster's firms, assessed since it began, the sub-zone taken from the roster. With
    `only`: that one stratum."""
    column = STRATA[rule["stratum"]]
    q = (sa.select(Assessment.id).join(Result, Result.assessment_id == Assessment.id)
         .join(Company, Company.id == Assessment.company_id)
         .where(Company.zone_id == zone_id, Result.instrument_id == rule["instrument"], Result.is_latest,
                sa.func.coalesce(Assessment.review_state, Assessment.status).in_(rule["states"])))
    if rule.get("programme") is not None:
        from ..programmes.service import started_from
        prog = db.session.get(Programme, rule["programme"])
        q = (q.join(RosterEntry, sa.and_(RosterEntry.company_id == Company.id, RosterEntry.programme_id == prog.id))
             .where(Assessment.created_at >= started_from(prog)))
        if rule["stratum"] == "sub_zone":
            column = sa.func.coalesce(RosterEntry.sub_zone, Company.sub_zone)
    q = q.add_columns(column if column is not None else sa.literal(""))
    out: dict[str, list[int]] = {}
    for aid, key in db.session.execute(q):
        out.setdefault(str(key or ""), []).append(aid)
    if rule.get("only") is not None:
        out = {k: v for k, v in out.items() if k == rule["only"]}
    return {k: sorted(v) for k, v in out.items()}


def draw(staff: User, raw_rule: dict, seed: Any = None) -> SampleDraw:
    """A new draw in the staff member's own zone (staff of a city or province look at their zones' draws)."""
    ensure_role(staff, ZONE_ADMIN)
    if staff.zone_id is None:
        raise Refused(403, "forbidden", _l("现场抽查由园区的管理人员抽取。"))
    rule = _rule(raw_rule, staff)
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


def draws(staff: User) -> list[tuple[SampleDraw, str, dict]]:
    """The draws of every zone at or below the staff member's area, newest first, each with its zone's name
    and its checks' outcomes counted."""
    ensure_role(staff, ZONE_ADMIN)
    rows = db.session.execute(sa.select(SampleDraw, Zone.name).join(Zone, Zone.id == SampleDraw.zone_id)
                              .where(SampleDraw.zone_id.in_(staff_scope(staff).zone_ids))
                              .order_by(SampleDraw.id.desc()).limit(200)).all()
    counts: dict[int, dict] = {}
    if rows:
        for draw_id, outcome, n in db.session.execute(
                sa.select(SampleCheck.draw_id, SampleCheck.outcome, sa.func.count())
                .where(SampleCheck.draw_id.in_([d.id for d, _z in rows]))
                .group_by(SampleCheck.draw_id, SampleCheck.outcome)):
            counts.setdefault(draw_id, {})[outcome] = n
    return [(d, zone, counts.get(d.id, {})) for d, zone in rows]


def get_draw(staff: User, draw_id: int) -> SampleDraw:
    ensure_role(staff, ZONE_ADMIN)
    d = db.session.get(SampleDraw, draw_id)
    if d is None or d.zone_id not in staff_scope(staff).zone_ids:
        raise Refused(404, "not_found", _l("找不到这次抽样。"))
    return d


def checks(d: SampleDraw, viewer: User | None = None) -> list[tuple[SampleCheck, Company]]:
    """The draw's checks with their firms (those the viewer may see: a sub-zone's staff, their sub-zone's)."""
    q = (sa.select(SampleCheck, Company).join(Assessment, Assessment.id == SampleCheck.assessment_id)
         .join(Company, Company.id == Assessment.company_id).where(SampleCheck.draw_id == d.id))
    if viewer is not None:
        q = q.where(Company.id.in_(visible_company_ids(viewer)))
    return db.session.execute(q.order_by(Company.name)).all()


def can_record(staff: User, d: SampleDraw) -> bool:
    """The draw's own zone's staff record outcomes; staff of the areas above look."""
    return staff.zone_id is not None and staff.zone_id == d.zone_id


MAX_NOTE = 2000


def record_outcome(staff: User, draw_id: int, check_id: Any, outcome: Any, note: Any) -> SampleCheck:
    """Record what the on-site check found; a mismatch reopens the assessment for verification."""
    d = get_draw(staff, draw_id)
    if not can_record(staff, d):
        raise Refused(403, "forbidden", _l("抽查结果由抽样所在园区的管理人员记录。"))
    c = db.session.get(SampleCheck, check_id) if isinstance(check_id, int) else None
    if c is None or c.draw_id != d.id:
        raise Refused(404, "not_found", _l("找不到这条抽查记录。"))
    if outcome not in ("match", "mismatch"):
        raise Refused(422, "bad_outcome", _l("请选择“一致”或“不一致”。"), [{"field": "outcome"}])
    text = note.strip() if isinstance(note, str) else None
    if text and len(text) > MAX_NOTE:  # refused, not cut: what the inspector found is kept whole or not at all
        raise Refused(422, "bad_text", _l("核查情况最多 %(n)s 个字。", n=MAX_NOTE), [{"field": "note"}])
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


def programme_choices(staff: User) -> list[Programme]:
    """The programmes of the staff member's own zone whose roster a draw can be restricted to."""
    if staff.zone_id is None:
        return []
    from ..programmes import service as programmes
    return [p for p in programmes.listing(staff) if p.zone_id == staff.zone_id]


def programme_of(d: SampleDraw) -> Programme | None:
    return db.session.get(Programme, d.rule["programme"]) if d.rule.get("programme") else None
