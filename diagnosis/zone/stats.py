"""Zone aggregates for the dashboard, the zone report, exports and the API.

Every figure is one indexed GROUP BY over `results` (which carries copies of
company, instrument, quarter and latest flags) joined to `companies` for the
filters, so the database does the counting and 100,000s of assessments never
become Python objects. Every function takes the same `Filters`, which always
include the zone: a zone's staff cannot ask for another zone's numbers.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import timedelta
from functools import lru_cache

import sqlalchemy as sa

import questionnaires
from questionnaires.references import references
from scoring.progress import previous_period

from .. import figures_cube as cube
from ..extensions import db
from ..models import Assessment, Company, DimensionScore, FigureCell, FigureDim, InstrumentVersion, Result, Zone, utcnow

STALE_DRAFT_DAYS = 60


@dataclass(frozen=True)
class Filters:
    zone_id: int
    instrument_id: str
    industry: str | None = None   # GB/T 4754 division code
    size: str | None = None       # size class
    sub_zone: str | None = None
    period: str | None = None     # a quarter such as 2026Q3: results submitted then (the firm's last of that quarter)
    verified: bool = False        # only assessments the zone approved after on-site verification, at their verified level
    zone_ids: tuple[int, ...] = ()  # staff of a city or province: every zone below their area (then zone_id is None)

    def zone_clause(self):
        return Company.zone_id.in_(self.zone_ids) if self.zone_ids else Company.zone_id == self.zone_id

    def to_query(self) -> dict:
        """The filters as the dashboard's query string names them (the zone is never in a URL)."""
        names = {"instrument_id": "instrument"}
        return {names.get(k, k): ("1" if v is True else v) for k, v in asdict(self).items()
                if k not in ("zone_id", "zone_ids") and v}


def _companies(f: Filters, query: sa.Select) -> sa.Select:
    query = query.where(f.zone_clause())
    if f.industry:
        query = query.where(Company.industry_division == f.industry)
    if f.size:
        query = query.where(Company.size_class == f.size)
    if f.sub_zone:
        query = query.where(Company.sub_zone == f.sub_zone)
    return query


def _results(f: Filters, query: sa.Select) -> sa.Select:
    """Each firm counted once: its latest result, or its last one of the chosen quarter."""
    query = query.join(Company, Company.id == Result.company_id).where(Result.instrument_id == f.instrument_id)
    if f.period:
        query = query.where(Result.period == f.period, Result.latest_in_period)
    else:
        query = query.where(Result.is_latest)
    if f.verified:
        query = query.where(Result.assessment_id.in_(sa.select(Assessment.id).where(Assessment.review_state == "approved")),
                            Result.verified_level.is_not(None))
    return _companies(f, query)


def _cubed(f: Filters) -> bool:
    """Figures add up the zones' pre-aggregates (figures_cube), which hold every filter the dashboard
    has, a sub-zone included. (The tests set this to False to count the same figure from results.)"""
    return True


def _zone_list(f: Filters) -> tuple[int, ...]:
    return f.zone_ids or (f.zone_id,)


def _cells(f: Filters, *columns, all_quarters: bool = False) -> sa.Select:
    return cube.cells(_zone_list(f), f.instrument_id, industry=f.industry, size=f.size,
                      scope=None if all_quarters else (f.period or cube.LATEST),
                      verified=f.verified and not all_quarters, sub_zone=f.sub_zone).add_columns(*columns)


def _dims(f: Filters, *columns) -> sa.Select:
    return cube.dims(_zone_list(f), f.instrument_id, industry=f.industry, size=f.size, scope=f.period or cube.LATEST,
                     verified=f.verified, sub_zone=f.sub_zone).add_columns(*columns)


def _level(f: Filters):
    """The level counted: the verified one under the "verified only" filter, else the self-assessed one."""
    return Result.verified_level if f.verified else Result.level


def overview(f: Filters) -> dict:
    if _cubed(f):
        registered = cube.firm_count(_zone_list(f), industry=f.industry, size=f.size, sub_zone=f.sub_zone)
    else:
        registered = db.session.scalar(_companies(f, sa.select(sa.func.count(Company.id))))
    total = Result.verified_total if f.verified else Result.total  # "verified only": the verified score
    if _cubed(f):
        assessed, summed = db.session.execute(_cells(f, sa.func.sum(FigureCell.n), sa.func.sum(FigureCell.sum_total))).one()
        assessed = int(assessed or 0)
        mean_total = summed / assessed if assessed else None
    else:
        assessed, mean_total = db.session.execute(
            _results(f, sa.select(sa.func.count(Result.id), sa.func.avg(total)))).one()
    drafts = db.session.scalar(_companies(f, sa.select(sa.func.count(Assessment.id))
                                          .join(Company, Company.id == Assessment.company_id)
                                          .join(InstrumentVersion, InstrumentVersion.id == Assessment.instrument_version_id)
                                          .where(Assessment.status == "draft", InstrumentVersion.instrument_id == f.instrument_id)))
    return {"registered": registered, "assessed": assessed, "drafts": drafts,
            "participation": round(100 * assessed / registered, 1) if registered else 0.0,
            "mean_total": round(mean_total, 2) if mean_total is not None else None}


def level_distribution(f: Filters) -> dict:
    inst = questionnaires.get(f.instrument_id)
    if _cubed(f):
        counts = {lv: int(n) for lv, n in db.session.execute(
            _cells(f, FigureCell.level, sa.func.sum(FigureCell.n)).group_by(FigureCell.level)).all()}
    else:
        counts = dict(db.session.execute(_results(f, sa.select(_level(f), sa.func.count()).group_by(_level(f)))).all())
    levels = sorted(lv.id for lv in inst.levels)
    total = sum(counts.values())
    refs = [{"id": r.id, "title": r.title.model_dump(), "year": r.year,
             "buckets": [{"levels": b.levels, "share": b.share} for b in r.buckets]}
            for r in references(f.instrument_id) if r.kind == "level_distribution"]
    return {"levels": [{"level": lv, "count": counts.get(lv, 0),
                        "share": round(100 * counts.get(lv, 0) / total, 1) if total else 0.0} for lv in levels],
            "total": total, "references": refs}


def levels_by(f: Filters, by: str) -> list[dict]:
    """Level counts per industry division or size class: [{key, n, counts: {level: n}}]."""
    column = {"industry": Company.industry_division, "size": Company.size_class, "sub_zone": Company.sub_zone}[by]
    if _cubed(f) and by != "sub_zone":
        key = {"industry": FigureCell.industry, "size": FigureCell.size}[by]
        rows = [(k, lv, int(n)) for k, lv, n in db.session.execute(
            _cells(f, key, FigureCell.level, sa.func.sum(FigureCell.n)).group_by(key, FigureCell.level)).all()]
    else:
        rows = db.session.execute(_results(f, sa.select(column, _level(f), sa.func.count())
                                           .group_by(column, _level(f)))).all()
    out: dict = {}
    for key, level, n in rows:
        entry = out.setdefault(key, {"key": key, "n": 0, "counts": {}})
        entry["n"] += n
        entry["counts"][level] = n
    return sorted(out.values(), key=lambda e: -e["n"])


def dimension_averages(f: Filters) -> list[dict]:
    """Mean attainment per dimension in the zone, against every zone on the platform (same instrument)."""
    inst = questionnaires.get(f.instrument_id)
    q = sa.select(DimensionScore.dimension_id, sa.func.avg(DimensionScore.percent), sa.func.count()).join(
        Result, Result.id == DimensionScore.result_id).group_by(DimensionScore.dimension_id)
    if _cubed(f):
        zone = {d: (total / n, int(n)) for d, total, n in db.session.execute(
            _dims(f, FigureDim.dimension_id, sa.func.sum(FigureDim.sum_percent), sa.func.sum(FigureDim.n))
            .group_by(FigureDim.dimension_id)).all() if n}
    else:
        zone = {d: (avg, n) for d, avg, n in db.session.execute(_results(f, q)).all()}
    platform = platform_means(f.instrument_id)
    return [{"dimension": d.id, "title": d.title.model_dump(),
             "mean": round(zone[d.id][0], 1) if d.id in zone else None, "n": zone.get(d.id, (None, 0))[1],
             "platform_mean": round(platform[d.id], 1) if d.id in platform else None}
            for d in inst.dimensions]


def platform_means(instrument_id: str) -> dict[str, float]:
    """Mean attainment per dimension over every zone. It is the same for every filter and
    costs a scan of all results, so it is kept until a result is added (or a rescore)."""
    # Two index lookups: a new result raises the id, a rescore the computation time.
    version = db.session.execute(sa.select(sa.func.max(Result.id), sa.func.max(Result.computed_at))).one()
    return dict(_platform_means(instrument_id, (version[0], str(version[1])), db.engine.url.render_as_string()))


@lru_cache(maxsize=32)
def _platform_means(instrument_id: str, version: tuple, database: str) -> tuple:
    q = (sa.select(DimensionScore.dimension_id, sa.func.avg(DimensionScore.percent))
         .join(Result, Result.id == DimensionScore.result_id)
         .where(Result.instrument_id == instrument_id, Result.is_latest)
         .group_by(DimensionScore.dimension_id))
    return tuple(db.session.execute(q).all())


def forget_platform_means() -> None:
    """Scores changed under the same result ids (a rescore): the cached means are stale."""
    _platform_means.cache_clear()


def heatmap(f: Filters) -> dict:
    """Mean attainment for each dimension x industry division, with the number of firms per cell."""
    q = (sa.select(DimensionScore.dimension_id, Company.industry_division,
                   sa.func.avg(DimensionScore.percent), sa.func.count())
         .join(Result, Result.id == DimensionScore.result_id)
         .group_by(DimensionScore.dimension_id, Company.industry_division))
    if _cubed(f):
        rows = [(d, ind, total / n, int(n)) for d, ind, total, n in db.session.execute(
            _dims(f, FigureDim.dimension_id, FigureDim.industry, sa.func.sum(FigureDim.sum_percent), sa.func.sum(FigureDim.n))
            .group_by(FigureDim.dimension_id, FigureDim.industry)).all() if n]
    else:
        rows = db.session.execute(_results(f, q)).all()
    cells = [{"dimension": d, "industry": ind, "mean": round(avg, 1), "n": n} for d, ind, avg, n in rows]
    inst = questionnaires.get(f.instrument_id)
    industries = sorted({c["industry"] for c in cells})
    return {"dimensions": [d.id for d in inst.dimensions], "industries": industries, "cells": cells}


def trend(f: Filters) -> list[dict]:
    """Per quarter: firms assessed (their last result of the quarter), mean score and level counts."""
    g = replace(f, period=None)
    q = _companies(g, sa.select(Result.period, Result.level, sa.func.count(), sa.func.sum(Result.total))
                   .join(Company, Company.id == Result.company_id)
                   .where(Result.instrument_id == f.instrument_id, Result.latest_in_period)
                   .group_by(Result.period, Result.level))
    if _cubed(f):
        q = _cells(g, FigureCell.scope, FigureCell.level, sa.func.sum(FigureCell.n), sa.func.sum(FigureCell.sum_total),
                   all_quarters=True).group_by(FigureCell.scope, FigureCell.level)
    out: dict = {}
    for period, level, n, total in db.session.execute(q).all():
        n = int(n)
        e = out.setdefault(period, {"period": period, "n": 0, "sum": 0.0, "levels": {}})
        e["n"] += n
        e["sum"] += total or 0.0
        e["levels"][level] = n
    rows = sorted(out.values(), key=lambda e: e["period"])
    for e in rows:
        e["mean_total"] = round(e.pop("sum") / e["n"], 2) if e["n"] else None
    return rows


def movement(f: Filters) -> dict:
    """Firms re-assessed in the chosen quarter (or ever, without one): how many went up, stayed or fell."""
    if _cubed(f):
        q = _cells(f, sa.func.sum(FigureCell.n_up), sa.func.sum(FigureCell.n_same), sa.func.sum(FigureCell.n_down))
        up, same, down = (int(x or 0) for x in db.session.execute(q).one())
        return {"up": up, "same": same, "down": down}
    q = _results(f, sa.select(
        sa.func.sum(sa.case((Result.level > Result.previous_level, 1), else_=0)),
        sa.func.sum(sa.case((Result.level == Result.previous_level, 1), else_=0)),
        sa.func.sum(sa.case((Result.level < Result.previous_level, 1), else_=0)),
    ).where(Result.previous_level.is_not(None)))
    up, same, down = (int(x or 0) for x in db.session.execute(q).one())
    return {"up": up, "same": same, "down": down}


def change_since_last_period(f: Filters, period: str) -> dict:
    """The chosen quarter against the one before it: firms assessed, mean score and level shares."""
    now, before = replace(f, period=period), replace(f, period=previous_period(period))
    return {"period": period, "previous": before.period,
            "now": {**overview(now), "levels": level_distribution(now)["levels"]},
            "before": {**overview(before), "levels": level_distribution(before)["levels"]},
            "movement": movement(now)}


# Firm lists behind a figure ---------------------------------------------------------------

FIRM_COLUMNS = (Company.id, Company.name, Company.uscc, Company.industry_division, Company.size_class, Company.sub_zone,
                Result.id, Result.assessment_id, Result.level, Result.total, Result.period, Result.previous_level,
                Result.next_gap, Result.verified_level)
FIRM_KEYS = ("company_id", "name", "uscc", "industry", "size", "sub_zone", "result_id", "assessment_id", "level", "total",
             "period", "previous_level", "next_gap", "verified_level")


def firms(f: Filters, *, level: int | None = None, dimension: str | None = None, below: float | None = None,
          closest: bool = False, stalled: bool = False, limit: int | None = 200, offset: int = 0) -> dict:
    """The firms behind a figure: a level bar, a heat-map cell (dimension within an industry),
    the closest-to-next-level or stalled lists. Returns {total, rows}."""
    q = _results(f, sa.select(*FIRM_COLUMNS))
    order = [Result.total.desc(), Company.id]
    if level is not None:
        q = q.where(_level(f) == level)
    if dimension is not None:
        q = q.join(DimensionScore, sa.and_(DimensionScore.result_id == Result.id, DimensionScore.dimension_id == dimension))
        q = q.add_columns(DimensionScore.percent)
        if below is not None:
            q = q.where(DimensionScore.percent < below)
        order = [DimensionScore.percent, Company.id]
    if closest:
        q = q.where(Result.next_gap.is_not(None))
        order = [Result.next_gap, Company.id]
    if stalled:
        # Re-assessed without a level gained; a firm already at the top level is not stalled.
        q = q.where(Result.previous_level.is_not(None), Result.level <= Result.previous_level, Result.next_gap.is_not(None))
    if _cubed(f) and (closest or stalled) and level is None and dimension is None:
        total = int(db.session.scalar(_cells(f, sa.func.sum(FigureCell.n_stalled if stalled else FigureCell.n_closest)))
                    or 0)
    else:
        total = db.session.scalar(sa.select(sa.func.count()).select_from(q.order_by(None).subquery()))
    q = q.order_by(*order).offset(offset)
    if limit is not None:
        q = q.limit(limit)
    keys = FIRM_KEYS + (("dimension_percent",) if dimension is not None else ())
    return {"total": total, "rows": [dict(zip(keys, row)) for row in db.session.execute(q).all()]}


def dimension_percents(result_ids: list[int]) -> dict[int, dict[str, float]]:
    """Each listed result's dimension attainments, for exports."""
    out: dict[int, dict[str, float]] = {}
    for i in range(0, len(result_ids), 5000):
        q = sa.select(DimensionScore.result_id, DimensionScore.dimension_id, DimensionScore.percent).where(
            DimensionScore.result_id.in_(result_ids[i:i + 5000]))
        for rid, dim, pct in db.session.execute(q):
            out.setdefault(rid, {})[dim] = pct
    return out


def stale_drafts(f: Filters, limit: int = 20) -> dict:
    """Drafts on this instrument nobody has saved for STALE_DRAFT_DAYS: firms that started and stopped."""
    cutoff = utcnow() - timedelta(days=STALE_DRAFT_DAYS)
    q = _companies(f, sa.select(Company.id, Company.name, Assessment.id, Assessment.updated_at)
                   .join(Company, Company.id == Assessment.company_id)
                   .join(InstrumentVersion, InstrumentVersion.id == Assessment.instrument_version_id)
                   .where(Assessment.status == "draft", InstrumentVersion.instrument_id == f.instrument_id,
                          Assessment.updated_at < cutoff))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(q.subquery()))
    rows = db.session.execute(q.order_by(Assessment.updated_at).limit(limit)).all()
    return {"total": total, "rows": [{"company_id": c, "name": n, "assessment_id": a, "updated_at": u.isoformat()}
                                     for c, n, a, u in rows]}


def _zones(zone: int | Filters):
    """A zone id, or filters whose zones (one, or all below an area) are meant."""
    return zone.zone_clause() if isinstance(zone, Filters) else Company.zone_id == zone


def periods(zone: int | Filters, instrument_id: str) -> list[str]:
    if isinstance(zone, Filters):
        return list(db.session.scalars(sa.select(FigureCell.scope).where(
            FigureCell.zone_id.in_(_zone_list(zone)), FigureCell.instrument_id == instrument_id,
            FigureCell.verified == False, FigureCell.sub_zone == "", FigureCell.scope != cube.LATEST)  # noqa: E712
            .distinct().order_by(FigureCell.scope)))
    q = (sa.select(Result.period).join(Company, Company.id == Result.company_id)
         .where(_zones(zone), Result.instrument_id == instrument_id).distinct().order_by(Result.period))
    return list(db.session.scalars(q))


def options(zone: int | Filters) -> dict:
    """What the filters can be set to in this zone (or these zones). Over several zones: the
    industries of their assessed firms (from the pre-aggregates) and the sub-zones the zones declare,
    rather than a distinct over every firm of a province."""
    if isinstance(zone, Filters) and zone.zone_ids:
        industries = db.session.scalars(sa.select(FigureCell.industry).where(FigureCell.zone_id.in_(zone.zone_ids),
                                                                             FigureCell.instrument_id == "",
                                                                             FigureCell.verified == False,  # noqa: E712
                                                                             FigureCell.scope == cube.FIRMS,
                                                                             FigureCell.sub_zone == "")
                                        .distinct().order_by(FigureCell.industry)).all()
        declared = db.session.scalars(sa.select(Zone.sub_zones).where(Zone.id.in_(zone.zone_ids))).all()
        zones = db.session.execute(sa.select(Zone.id, Zone.name).where(Zone.id.in_(zone.zone_ids)).order_by(Zone.name)).all()
        return {"industries": list(industries), "sub_zones": sorted({s for names in declared for s in (names or [])}),
                "zones": [tuple(z) for z in zones]}
    if isinstance(zone, Filters) and _cubed(zone):  # one zone: its registered firms' industries and sub-zones, from the pre-aggregates
        firms = sa.select().where(FigureCell.zone_id == zone.zone_id, FigureCell.instrument_id == "",
                                  FigureCell.scope == cube.FIRMS)
        industries = db.session.scalars(firms.add_columns(FigureCell.industry).where(FigureCell.sub_zone == "")
                                        .distinct().order_by(FigureCell.industry)).all()
        sub_zones = db.session.scalars(firms.add_columns(FigureCell.sub_zone).where(FigureCell.sub_zone != "")
                                       .distinct().order_by(FigureCell.sub_zone)).all()
        return {"industries": list(industries), "sub_zones": list(sub_zones)}
    industries = db.session.scalars(sa.select(Company.industry_division).where(_zones(zone))
                                    .distinct().order_by(Company.industry_division)).all()
    sub_zones = db.session.scalars(sa.select(Company.sub_zone).where(_zones(zone), Company.sub_zone.is_not(None))
                                   .distinct().order_by(Company.sub_zone)).all()
    return {"industries": list(industries), "sub_zones": list(sub_zones)}


def with_path(rows: list[dict]) -> list[dict]:
    """Closest-to-next-level rows with `changes`: the fewest answer changes that reach the next
    level by the rule (scoring.next_level_path), which staff can read, unlike the summed gap."""
    from scoring import next_level_path

    from ..assessments.service import instrument_of
    ids = [r["assessment_id"] for r in rows]
    found = {a.id: a for a in db.session.scalars(sa.select(Assessment).where(Assessment.id.in_(ids)))} if ids else {}
    out = []
    for r in rows:
        a = found.get(r["assessment_id"])
        path = None
        if a is not None and a.result is not None:
            res = a.result
            path = next_level_path(instrument_of(a), {"total": res.total, "level": res.level, **res.details})
        out.append({**r, "changes": path["changes"] if path else None})
    return out
