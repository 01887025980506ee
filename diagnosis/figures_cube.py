"""Per-zone pre-aggregates of `results` for the figures of city and province staff.

A province holds ~100 zones and 1,000,000 results: counting them for every dashboard request
(results x dimension rows, joined to companies for the filters) took over a second. Instead each
zone keeps its figures summed by (instrument, industry division, size class, scope, level) in
`figure_cells` and, per dimension, in `figure_dims`, over the whole zone (sub_zone '') and again per
sub-zone (a sub-zone filter counted 0.2-3.8 s of results at city and province level), and the figures of many zones add up those
rows (zone/stats.py reads them for multi-zone scopes). A scope is 'latest' (each firm's latest
result) or a quarter (each firm's last result of that quarter, with `until`: the quarter of the
firm's next result, so "at a level at the end of quarter Q" is a sum too). `verified` rows count
approved assessments at their verified level.

The rows are kept correct by session events: a flush that touches a result, an assessment's
review state or a firm's zone, industry or size marks the firm's (zone, industry, size) group;
just before the commit every marked group is counted again from `results` (a few hundred rows
through the companies index), in the same transaction. Bulk writers that bypass the ORM (the
benchmarks' SQL) call `rebuild()`; an ORM bulk statement (`session.execute(sa.insert(Result), rows)`, as
the demo seed does) is noticed and every zone is counted again at the commit.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from .models import Assessment, Company, DimensionScore, FigureCell, FigureDim, Result

LATEST = "latest"
_MARKS = "figures_cube.marks"       # session.info: company ids whose group changed
_GROUPS = "figures_cube.groups"     # session.info: (zone, industry, size) groups known from objects
_ALL = "figures_cube.all"           # session.info: a bulk statement wrote results: count every zone again

_BASE = """base AS (
  SELECT c.zone_id, r.instrument_id, c.industry_division AS industry, c.size_class AS size,
         COALESCE(c.sub_zone, '') AS sub_zone, r.id, r.company_id,
         r.period, r.is_latest, r.latest_in_period, r.level, r.total, r.previous_level, r.next_gap,
         CASE WHEN a.review_state = 'approved' AND r.verified_level IS NOT NULL THEN 1 ELSE 0 END AS approved,
         r.verified_level, r.verified_total
  FROM results r JOIN companies c ON c.id = r.company_id JOIN assessments a ON a.id = r.assessment_id
  WHERE {where}),
quarter AS (
  SELECT base.*, LEAD(period) OVER (PARTITION BY company_id, instrument_id ORDER BY period) AS nxt
  FROM base WHERE latest_in_period),
counted AS (
  SELECT zone_id, instrument_id, industry, size, sub_zone, :latest AS scope, '' AS until, :no AS verified,
         level AS lv, total AS tot, level, previous_level, next_gap, id FROM base WHERE is_latest
  UNION ALL
  SELECT zone_id, instrument_id, industry, size, sub_zone, :latest, '', :yes, verified_level, verified_total, level,
         previous_level, next_gap, id FROM base WHERE is_latest AND approved = 1
  UNION ALL
  SELECT zone_id, instrument_id, industry, size, sub_zone, period, COALESCE(nxt, ''), :no, level, total, level,
         previous_level, next_gap, id FROM quarter
  UNION ALL
  SELECT zone_id, instrument_id, industry, size, sub_zone, period, COALESCE(nxt, ''), :yes, verified_level,
         verified_total, level, previous_level, next_gap, id FROM quarter WHERE approved = 1)"""

# Each figure is counted twice: over the zone (sub_zone '') and per sub-zone (firms that have one), so a
# sub-zone filter reads the same pre-aggregates instead of counting results.
_PER_SUB = (("''", "", ""), ("sub_zone", "WHERE sub_zone <> ''", ", sub_zone"))

_CELLS_SELECT = """
SELECT zone_id, instrument_id, industry, size, scope, until, verified, lv, {sub}, COUNT(*), COALESCE(SUM(tot), 0),
       SUM(CASE WHEN next_gap IS NOT NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN previous_level IS NOT NULL AND level <= previous_level AND next_gap IS NOT NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN previous_level IS NOT NULL AND level > previous_level THEN 1 ELSE 0 END),
       SUM(CASE WHEN previous_level IS NOT NULL AND level = previous_level THEN 1 ELSE 0 END),
       SUM(CASE WHEN previous_level IS NOT NULL AND level < previous_level THEN 1 ELSE 0 END)
FROM counted {where} GROUP BY zone_id, instrument_id, industry, size, scope, until, verified, lv{group}"""

_CELLS = "WITH " + _BASE + """
INSERT INTO figure_cells (zone_id, instrument_id, industry, size, scope, until, verified, level, sub_zone, n, sum_total,
                          n_closest, n_stalled, n_up, n_same, n_down)""" + " UNION ALL ".join(
    _CELLS_SELECT.format(sub=sub, where=where, group=group) for sub, where, group in _PER_SUB)

_DIMS_SELECT = """
SELECT k.zone_id, k.instrument_id, k.industry, k.size, k.scope, k.verified, d.dimension_id, {sub}, COUNT(*),
       SUM(d.percent)
FROM counted k JOIN dimension_scores d ON d.result_id = k.id {where}
GROUP BY k.zone_id, k.instrument_id, k.industry, k.size, k.scope, k.verified, d.dimension_id{group}"""

_DIMS = "WITH " + _BASE + """
INSERT INTO figure_dims (zone_id, instrument_id, industry, size, scope, verified, dimension_id, sub_zone, n,
                         sum_percent)""" + " UNION ALL ".join(
    _DIMS_SELECT.format(sub=f"k.{sub}" if sub == "sub_zone" else sub, where=where.replace("sub_zone", "k.sub_zone"),
                        group=group.replace("sub_zone", "k.sub_zone")) for sub, where, group in _PER_SUB)

# Registered firms per (zone, industry, size), whatever they answered: instrument '' and scope 'firms'.
_FIRMS_SELECT = """
SELECT c.zone_id, '', c.industry_division, c.size_class, :firms, '', :no, 0, {sub}, COUNT(*), 0, 0, 0, 0, 0, 0
FROM companies c WHERE {{where}} {extra} GROUP BY c.zone_id, c.industry_division, c.size_class{group}"""
_FIRMS = """INSERT INTO figure_cells (zone_id, instrument_id, industry, size, scope, until, verified, level, sub_zone, n,
                          sum_total, n_closest, n_stalled, n_up, n_same, n_down)""" + " UNION ALL ".join(
    _FIRMS_SELECT.format(sub="''" if sub == "''" else "c.sub_zone", extra="" if sub == "''" else
                         "AND c.sub_zone IS NOT NULL AND c.sub_zone <> ''", group="" if sub == "''" else ", c.sub_zone")
    for sub, _where, _group in _PER_SUB)

FIRMS = "firms"
_FLAGS = {"latest": LATEST, "yes": True, "no": False}


def _count(execute, where: str, cube_where: str, params: dict) -> None:
    for table in ("figure_cells", "figure_dims"):
        execute(sa.text(f"DELETE FROM {table} WHERE {cube_where}"), params)
    execute(sa.text(_CELLS.format(where=where)), {**params, **_FLAGS})
    execute(sa.text(_DIMS.format(where=where)), {**params, **_FLAGS})
    execute(sa.text(_FIRMS.format(where=where)), {**params, "firms": FIRMS, "no": False})


def rebuild(zone_ids: list[int] | None = None, connection=None) -> None:
    """Count the figures of these zones (all zones without) again from `results`."""
    from .extensions import db
    execute = (connection or db.session).execute
    if zone_ids is None:
        _count(execute, "1 = 1", "1 = 1", {})
        return
    for i in range(0, len(zone_ids), 500):
        part = {f"z{k}": z for k, z in enumerate(zone_ids[i:i + 500])}
        names = ", ".join(f":{k}" for k in part)
        _count(execute, f"c.zone_id IN ({names})", f"zone_id IN ({names})", part)


def recount(session: Session, groups: set[tuple[int, str, str]]) -> None:
    """Count the given (zone, industry, size) groups again, one after the other (PostgreSQL: under a
    transaction lock per zone, so two commits in one zone do not count over each other)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    for zone_id, industry, size in sorted(groups):
        params = {"z": zone_id, "ind": industry, "sz": size}
        if postgres:
            session.execute(sa.text("SELECT pg_advisory_xact_lock(4217, :z)"), params)
        _count(session.execute, "c.zone_id = :z AND c.industry_division = :ind AND c.size_class = :sz",
               "zone_id = :z AND industry = :ind AND size = :sz", params)


def _history_values(obj, name: str) -> list:
    hist = sa.inspect(obj).attrs[name].history
    return [v for v in (*hist.deleted, *hist.unchanged, *hist.added) if v is not None]


@event.listens_for(Session, "after_flush")
def _mark(session: Session, _context) -> None:
    marks = session.info.setdefault(_MARKS, set())
    groups = session.info.setdefault(_GROUPS, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Result):
            if obj.company_id is not None:
                marks.add(obj.company_id)
        elif isinstance(obj, Assessment):
            if obj in session.deleted or sa.inspect(obj).attrs.review_state.history.has_changes():
                if obj.company_id is not None:
                    marks.add(obj.company_id)
        elif isinstance(obj, Company):
            state = sa.inspect(obj)
            if obj in session.new:  # counted among the registered firms
                groups.add((obj.zone_id, obj.industry_division, obj.size_class))
                continue
            if any(state.attrs[n].history.has_changes() for n in ("zone_id", "industry_division", "size_class",
                                                                  "sub_zone")) \
                    or obj in session.deleted:
                for z in _history_values(obj, "zone_id"):
                    for ind in _history_values(obj, "industry_division"):
                        for sz in _history_values(obj, "size_class"):
                            groups.add((z, ind, sz))
                if obj.id is not None and obj not in session.deleted:
                    marks.add(obj.id)


@event.listens_for(Session, "do_orm_execute")
def _bulk(state) -> None:
    if (state.is_insert or state.is_update or state.is_delete) and state.bind_mapper is not None \
            and state.bind_mapper.class_ in (Result, DimensionScore, Assessment, Company):
        state.session.info[_ALL] = True


def _pending(session: Session) -> bool:
    return bool(session.info.get(_MARKS) or session.info.get(_GROUPS) or session.info.get(_ALL))


@event.listens_for(Session, "before_commit")
def _recount(session: Session) -> None:
    session.flush()
    if not _pending(session):
        return
    if session.info.pop(_ALL, False):
        _forget(session, None)
        rebuild(connection=session)
        return
    marks, groups = session.info.pop(_MARKS, set()), set(session.info.pop(_GROUPS, set()))
    ids = sorted(marks)
    for i in range(0, len(ids), 500):
        groups.update(tuple(row) for row in session.execute(
            sa.select(Company.zone_id, Company.industry_division, Company.size_class).where(Company.id.in_(ids[i:i + 500]))))
    if groups:
        recount(session, groups)
    _forget(session, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous) -> None:
    for key in (_MARKS, _GROUPS, _ALL):
        session.info.pop(key, None)


# --- Reading ------------------------------------------------------------------------------------------

def cells(zone_ids, instrument_id: str, *, industry: str | None = None, size: str | None = None,
          scope: str | None = LATEST, verified: bool = False, sub_zone: str | None = None) -> sa.Select:
    """A select over the cells of these zones with the filters applied; scope None: every quarter."""
    q = sa.select().select_from(FigureCell).where(
        FigureCell.zone_id.in_(zone_ids), FigureCell.instrument_id == instrument_id, FigureCell.verified == verified,
        FigureCell.sub_zone == (sub_zone or ""))
    q = q.where(FigureCell.scope != LATEST) if scope is None else q.where(FigureCell.scope == scope)
    if industry:
        q = q.where(FigureCell.industry == industry)
    if size:
        q = q.where(FigureCell.size == size)
    return q


def firm_count(zone_ids, *, industry: str | None = None, size: str | None = None, sub_zone: str | None = None) -> int:
    """Registered firms of these zones (with an industry or size class, in a sub-zone)."""
    from .extensions import db
    q = sa.select(sa.func.sum(FigureCell.n)).where(FigureCell.zone_id.in_(zone_ids), FigureCell.instrument_id == "",
                                                   FigureCell.scope == FIRMS, FigureCell.sub_zone == (sub_zone or ""))
    if industry:
        q = q.where(FigureCell.industry == industry)
    if size:
        q = q.where(FigureCell.size == size)
    return int(db.session.scalar(q) or 0)


def dims(zone_ids, instrument_id: str, *, industry: str | None = None, size: str | None = None,
         scope: str = LATEST, verified: bool = False, sub_zone: str | None = None) -> sa.Select:
    q = sa.select().select_from(FigureDim).where(
        FigureDim.zone_id.in_(zone_ids), FigureDim.instrument_id == instrument_id, FigureDim.verified == verified,
        FigureDim.scope == scope, FigureDim.sub_zone == (sub_zone or ""))
    if industry:
        q = q.where(FigureDim.industry == industry)
    if size:
        q = q.where(FigureDim.size == size)
    return q
