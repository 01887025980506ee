"""Targets as data, and how far an area is from each: current value, progress, a projection from
the quarterly trend (with the method stated), and the firms that would move it most.

A programme's target counts its roster from the per-entry copy kept by diagnosis/roster_progress.py;
an area's own target (province, city, zone or sub-zone) adds up its zones' pre-aggregates
(figures_cube, per sub-zone for a sub-zone) instead of counting results.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

import questionnaires

from .. import figures_cube as cube
from ..access import ZONE_ADMIN, ensure_area_visible, ensure_role, staff_area
from ..areas import zone_ids_under
from ..errors import Refused
from ..extensions import db
from ..models import (
    TARGET_INDICATORS,
    TARGET_NATURES,
    Area,
    Company,
    FigureCell,
    Result,
    RosterEntry,
    RosterProgress,
    RosterQuarter,
    Target,
    utcnow,
)
from . import service

INDICATOR_NAMES = {"coverage": _l("名单企业完成诊断的比例（%）"), "firms_at_level": _l("达到某等级及以上的企业数"),
                   "share_at_level": _l("达到某等级及以上的企业占比（%）")}
NATURE_NAMES = {"expected": _l("预期性"), "binding": _l("约束性")}
TREND_QUARTERS = 4  # quarters the projection is fitted on


# --- Which firms a target counts -------------------------------------------------------------------

def _roster(t: Target) -> sa.Select:
    """The programme's roster rows of the per-entry copy (roster_progress), maybe 规上 only."""
    q = sa.select().select_from(RosterProgress).where(RosterProgress.programme_id == t.programme_id)
    if t.above_scale_only:
        q = q.join(RosterEntry, RosterEntry.id == RosterProgress.entry_id).where(RosterEntry.above_scale)
    return q


def _denominator(t: Target) -> int:
    if t.programme_id is not None:
        q = sa.select(sa.func.count()).where(RosterEntry.programme_id == t.programme_id)
        if t.above_scale_only:
            q = q.where(RosterEntry.above_scale)
        return db.session.scalar(q) or 0
    zones, sub_zone = _zones(t)
    return cube.firm_count(zones, sub_zone=sub_zone)


def _zones(t: Target) -> tuple[list[int], str | None] | None:
    """An area's own target (no programme): its zones and, for a sub-zone, its name, which the per-zone
    pre-aggregates (figures_cube) are read with. None for a programme's target (its roster copy)."""
    if t.programme_id is not None:
        return None
    area = db.session.get(Area, t.area_id)
    zones = [z for z in db.session.scalars(zone_ids_under(area)) if z is not None]
    return zones, (area.name if area.kind == "sub_zone" else None)


def _spans(t: Target) -> list[tuple[str, str, int]]:
    """(quarter, until, firms): firms whose last result of `quarter` is at or above the level and stays
    their latest until the quarter `until` ('' : still is), whatever level the next one has."""
    if t.programme_id is not None:  # the roster's quarters, kept with the per-entry copy
        q = (sa.select(RosterQuarter.period, RosterQuarter.until, sa.func.count())
             .where(RosterQuarter.programme_id == t.programme_id, RosterQuarter.level >= (t.min_level or 0))
             .group_by(RosterQuarter.period, RosterQuarter.until))
        if t.above_scale_only:
            q = q.where(RosterQuarter.company_id.in_(sa.select(RosterEntry.company_id).where(
                RosterEntry.programme_id == t.programme_id, RosterEntry.above_scale)))
        return [(p, u or "", n) for p, u, n in db.session.execute(q).all()]
    zones, sub_zone = _zones(t)
    q = (cube.cells(zones, t.instrument_id, scope=None, sub_zone=sub_zone)
         .add_columns(FigureCell.scope, FigureCell.until, sa.func.sum(FigureCell.n))
         .where(FigureCell.level >= (t.min_level or 0)).group_by(FigureCell.scope, FigureCell.until))
    return [(p, u, int(n)) for p, u, n in db.session.execute(q).all()]


def _quarters(first: str, last: str) -> list[str]:
    out, i = [], _index(first)
    while i <= _index(last):
        out.append(f"{i // 4}Q{i % 4 + 1}")
        i += 1
    return out


def _value(t: Target, n: int, denominator: int, digits: int = 1) -> float:
    return float(n) if t.indicator == "firms_at_level" else (round(100 * n / denominator, digits) if denominator else 0.0)


def current(t: Target) -> tuple[float, int, int]:
    """(value, firms counted, denominator) now. Levels are the firms' latest results; coverage is
    a submission since the programme began."""
    if t.programme_id is None:
        zones, sub_zone = _zones(t)
        denominator = cube.firm_count(zones, sub_zone=sub_zone)
        n = int(db.session.scalar(cube.cells(zones, t.instrument_id, sub_zone=sub_zone)
                                  .add_columns(sa.func.sum(FigureCell.n))
                                  .where(FigureCell.level >= (t.min_level or 0))) or 0)
        return _value(t, n, denominator), n, denominator
    denominator = _denominator(t)
    if t.indicator == "coverage":
        n = sum(k for _p, _u, k in _coverage_spans(t))
    else:
        n = db.session.scalar(_roster(t).add_columns(sa.func.count(sa.distinct(RosterProgress.company_id)))
                              .where(RosterProgress.level >= (t.min_level or 0))) or 0
    return _value(t, n, denominator), n, denominator


def quarterly(t: Target, denominator: int | None = None) -> list[tuple[str, float]]:
    """The indicator at the end of each quarter from the first to the last with a result. Coverage
    counts firms from the quarter they first submitted in the programme (a submission stays made);
    a level counts the firms whose latest result as of that quarter's end is at or above it, so a
    firm that drops below the level later stops counting from then on."""
    spans = _coverage_spans(t) if t.indicator == "coverage" else _spans(t)
    return _series(t, spans, denominator)


def _coverage_spans(t: Target) -> list[tuple[str, str, int]]:
    """(quarter, '', firms) by the quarter each roster firm first counted: a result of an assessment it
    started since the programme began (the same rule as the roster status)."""
    q = (_roster(t).add_columns(RosterProgress.reached, sa.func.count(sa.distinct(RosterProgress.company_id)))
         .where(RosterProgress.reached.is_not(None)).group_by(RosterProgress.reached))
    return [(p, "", n) for p, n in db.session.execute(q).all()]


def _series(t: Target, spans: list[tuple[str, str, int]], denominator: int | None) -> list[tuple[str, float]]:
    if not spans:
        return []
    if denominator is None:
        denominator = _denominator(t)
    ends = {u for _p, u, _n in spans if u}
    out = []
    for q in _quarters(min(p for p, _u, _n in spans), max([p for p, _u, _n in spans] + list(ends))):
        n = sum(k for p, u, k in spans if p <= q and (not u or u > q))
        out.append((q, _value(t, n, denominator, 2)))
    return out


def _index(period: str) -> int:
    return int(period[:4]) * 4 + int(period[5]) - 1


def project(points: list[tuple[str, float]], target_year: int) -> dict | None:
    """A straight line fitted (least squares) to the last TREND_QUARTERS quarterly values, read at the
    fourth quarter of the target year. None with fewer than two quarters."""
    pts = points[-TREND_QUARTERS:]
    if len(pts) < 2:
        return None
    xs = [_index(p) for p, _v in pts]
    ys = [v for _p, v in pts]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
    at = _index(f"{target_year}Q4")
    return {"value": round(my + slope * (at - mx), 1), "per_quarter": round(slope, 2), "quarters": len(pts),
            "from": pts[0][0], "to": pts[-1][0], "at": f"{target_year}Q4"}


def evaluate(t: Target) -> dict:
    """Current value, progress from base to target (%), projection and whether it reaches the target."""
    if t.indicator == "coverage":  # one pass: the firms that submitted, by the quarter they first did
        spans = _coverage_spans(t)
        denominator = _denominator(t)
        n = sum(k for _p, _u, k in spans)
        value, points = _value(t, n, denominator), _series(t, spans, denominator)
    else:
        value, n, denominator = current(t)
        points = quarterly(t, denominator)
    span = t.target_value - t.base_value
    progress = round(100 * (value - t.base_value) / span, 1) if span else (100.0 if value >= t.target_value else 0.0)
    projection = project(points, t.target_year)
    return {"target": t, "value": value, "counted": n, "denominator": denominator, "progress": progress,
            "projection": projection,
            "on_track": projection is not None and projection["value"] >= t.target_value,
            "gap": max(0.0, round(t.target_value - value, 1))}


def movers(t: Target, limit: int = 20) -> list[dict]:
    """The firms that would move the target most: for coverage, roster firms not yet submitted (those
    furthest along first); for a level, firms one level short, closest to it first."""
    if t.indicator == "coverage":
        rank = sa.case((RosterProgress.status == "started", 0), (RosterProgress.status == "opened", 1),
                       (RosterProgress.status == "invited", 2), else_=3)
        q = (sa.select(RosterEntry.name, RosterEntry.uscc, RosterProgress.status)
             .join(RosterProgress, RosterProgress.entry_id == RosterEntry.id)
             .where(RosterEntry.programme_id == t.programme_id, RosterProgress.status.not_in(service.DONE))
             .order_by(rank, RosterEntry.id).limit(limit))
        if t.above_scale_only:
            q = q.where(RosterEntry.above_scale)
        return [{"name": n, "uscc": u, "status": st, "level": None, "next_gap": None}
                for n, u, st in db.session.execute(q).all()]
    if t.programme_id is not None:  # the roster's firms one level short, from the copy of their latest result
        q = (_roster(t).add_columns(Company.name, Company.uscc, RosterProgress.level, RosterProgress.next_gap,
                                    RosterProgress.assessment_id)
             .join(Company, Company.id == RosterProgress.company_id)
             .where(RosterProgress.level == (t.min_level or 0) - 1)
             .order_by(RosterProgress.next_gap.is_(None), RosterProgress.next_gap, Company.id).limit(limit))
        return [{"name": n, "uscc": u, "status": "submitted", "level": lv, "next_gap": g, "assessment_id": a}
                for n, u, lv, g, a in db.session.execute(q).all()]
    # an area's firms one level short: walk the closest-first index, keep the area's firms
    zones, sub_zone = _zones(t)
    q = (sa.select(Company.name, Company.uscc, Result.level, Result.next_gap, Result.assessment_id)
         .join(Company, Company.id == Result.company_id)
         .where(Result.instrument_id == t.instrument_id, Result.is_latest, Result.level == (t.min_level or 0) - 1,
                Company.zone_id.in_(zones), Result.next_gap.is_not(None))
         .order_by(Result.next_gap, Result.company_id).limit(limit))
    if sub_zone is not None:
        q = q.where(Company.sub_zone == sub_zone)
    return [{"name": n, "uscc": u, "status": "submitted", "level": lv, "next_gap": g, "assessment_id": a}
            for n, u, lv, g, a in db.session.execute(q).all()]


# --- Setting and listing -------------------------------------------------------------------------------

@dataclass
class TargetForm:
    name: str
    indicator: str
    instrument_id: str
    min_level: int | None
    above_scale_only: bool
    base_year: int
    base_value: float
    target_year: int
    target_value: float
    nature: str
    source: str
    programme_id: int | None = None
    area_id: int | None = None


def visible(user) -> sa.Select:
    area = staff_area(user) if user.role == ZONE_ADMIN else None
    if area is None:
        return sa.select(Target).where(sa.false())
    return sa.select(Target).join(Area, Area.id == Target.area_id).where(Area.path.startswith(area.path))


def set_target(user, form: TargetForm, is_demo: bool = False) -> Target:
    """A target of the user's area (or of an area below it, or of one of its programmes)."""
    ensure_role(user, ZONE_ADMIN)
    area = ensure_area_visible(user, form.area_id) if form.area_id else staff_area(user)
    problems = []
    if form.programme_id is not None:
        programme = service.get(user, form.programme_id)
        area = db.session.get(Area, programme.area_id)
        if form.instrument_id != programme.instrument_id:  # a programme's targets count on its instrument
            problems.append("instrument")
    if not form.name.strip() or len(form.name) > 200:
        problems.append("name")
    if form.indicator not in TARGET_INDICATORS or form.nature not in TARGET_NATURES:
        problems.append("indicator")
    if form.instrument_id not in questionnaires.available() and "instrument" not in problems:
        problems.append("instrument")
    if form.indicator != "coverage":
        levels = {lv.id for lv in questionnaires.get(form.instrument_id).levels} if "instrument" not in problems else set()
        if form.min_level not in levels:
            problems.append("min_level")
    elif form.programme_id is None:
        problems.append("programme")
    if form.above_scale_only and form.programme_id is None:
        problems.append("above_scale_only")
    if not 2000 <= form.base_year <= form.target_year <= 2100:
        problems.append("years")
    if not form.source.strip() or len(form.source) > 500:
        problems.append("source")
    if problems:
        raise Refused(422, "bad_target", _l("目标填写有误，请检查：%(fields)s", fields=", ".join(problems)),
                      [{"field": f} for f in problems])
    t = Target(area_id=area.id, programme_id=form.programme_id, name=form.name.strip(), indicator=form.indicator,
               instrument_id=form.instrument_id, min_level=form.min_level if form.indicator != "coverage" else None,
               above_scale_only=form.above_scale_only, base_year=form.base_year, base_value=form.base_value,
               target_year=form.target_year, target_value=form.target_value, nature=form.nature,
               source=form.source.strip(), is_demo=is_demo, created_at=utcnow())
    db.session.add(t)
    db.session.commit()
    return t


def of_user(user) -> list[dict]:
    """Every target the user's area is held to or has set below it, evaluated."""
    ensure_role(user, ZONE_ADMIN)
    return [evaluate(t) for t in db.session.scalars(visible(user).order_by(Target.id))]


def of_area(area: Area) -> list[dict]:
    """Targets of an area and of the areas and programmes below it, evaluated (for the zone report)."""
    q = sa.select(Target).join(Area, Area.id == Target.area_id).where(Area.path.startswith(area.path)).order_by(Target.id)
    return [evaluate(t) for t in db.session.scalars(q)]


def plain(ev: dict) -> dict:
    """An evaluated target as plain values for the report package (no models, no Flask)."""
    t = ev["target"]
    return {"name": t.name, "nature": t.nature, "indicator": t.indicator, "min_level": t.min_level,
            "base_year": t.base_year, "base_value": t.base_value, "target_year": t.target_year,
            "target_value": t.target_value, "source": t.source, "is_demo": t.is_demo, "value": ev["value"],
            "counted": ev["counted"], "denominator": ev["denominator"], "progress": ev["progress"],
            "projection": ev["projection"], "on_track": ev["on_track"]}


def of_programme(user, programme_id: int) -> list[dict]:
    p = service.get(user, programme_id)
    return [evaluate(t) for t in db.session.scalars(sa.select(Target).where(Target.programme_id == p.id)
                                                    .order_by(Target.id))]
