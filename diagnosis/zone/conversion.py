"""From diagnosis to change, for zone staff: of the diagnosed firms (each firm's latest result on the
instrument, under the dashboard's filters), how many have an improvement plan, an item done, a retrofit
project, and how many of the re-assessed gained a level; overall and by programme, provider and industry.
Each figure is a GROUP BY over results joined to a per-firm summary of plan items; every share comes with
its n.

"Level gained" compares like with like, as a zone would report it upward: where both rounds were verified (the
consultant's verified level, approved by the zone), the verified levels; otherwise the two self-assessed levels.
A verified level is never compared with a self-assessed one: a consultant's correction would show as a change.
How many pairs were compared each way is counted, and the verified pairs' own figure is given beside."""
from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..industries import industry_label
from ..models import Assessment, Company, FigureCell, PlanItem, Programme, Provider, ProviderFirm, Result, RosterEntry
from . import stats
from .stats import Filters, _results


def _plans():
    """Per firm: has any plan item, any done, any with a retrofit project (1/0)."""
    return (sa.select(PlanItem.company_id.label("company_id"),
                      sa.literal(1).label("has_plan"),
                      sa.func.max(sa.case((PlanItem.status == "done", 1), else_=0)).label("has_done"),
                      sa.func.max(sa.case((PlanItem.project_name.is_not(None), 1), else_=0)).label("has_project"))
            .group_by(PlanItem.company_id).subquery())


def _verified_levels():
    """This result's verified level and the previous result's (None where that round is not verified: no verified
    level, or not approved by the zone), the previous result found as refresh_history orders them."""
    prev, prev_a = sa.orm.aliased(Result), sa.orm.aliased(Assessment)
    current = sa.case((Assessment.review_state == "approved", Result.verified_level))
    previous = (sa.select(sa.case((prev_a.review_state == "approved", prev.verified_level)))
                .select_from(prev).join(prev_a, prev_a.id == prev.assessment_id)
                .where(prev.company_id == Result.company_id, prev.instrument_id == Result.instrument_id,
                       sa.or_(prev_a.submitted_at < Assessment.submitted_at,
                              sa.and_(prev_a.submitted_at == Assessment.submitted_at, prev_a.id < Assessment.id)))
                .order_by(prev_a.submitted_at.desc(), prev_a.id.desc()).limit(1)
                .correlate(Result, Assessment).scalar_subquery())
    return current, previous


def _row(key, n, plan, done, project, reassessed, gained, verified_pairs, verified_gained) -> dict:
    def share(k, of):
        return round(100 * k / of, 1) if of else None
    plan, done, project, reassessed, gained, verified_pairs, verified_gained = (
        int(v or 0) for v in (plan, done, project, reassessed, gained, verified_pairs, verified_gained))
    return {"key": key, "n": n, "plan": plan, "plan_share": share(plan, n), "done": done, "done_share": share(done, n),
            "project": project, "project_share": share(project, n), "reassessed": reassessed, "gained": gained,
            "gained_share": share(gained, reassessed), "verified_pairs": verified_pairs,
            "self_pairs": reassessed - verified_pairs, "verified_gained": verified_gained,
            "verified_gained_share": share(verified_gained, verified_pairs)}


def conversion(f: Filters, lang: str = "zh") -> dict:
    p = _plans()
    now, before = _verified_levels()
    verified_pair = sa.and_(Result.previous_level.is_not(None), now.is_not(None), before.is_not(None))
    counts = (sa.func.count(sa.distinct(Result.company_id)),
              sa.func.sum(sa.func.coalesce(p.c.has_plan, 0)), sa.func.sum(sa.func.coalesce(p.c.has_done, 0)),
              sa.func.sum(sa.func.coalesce(p.c.has_project, 0)),
              sa.func.sum(sa.case((Result.previous_level.is_not(None), 1), else_=0)),
              # verified pairs on their verified levels, the others on their self-assessed levels
              sa.func.sum(sa.case((verified_pair, sa.case((now > before, 1), else_=0)),
                                  (Result.level > Result.previous_level, 1), else_=0)),
              sa.func.sum(sa.case((verified_pair, 1), else_=0)),
              sa.func.sum(sa.case((sa.and_(verified_pair, now > before), 1), else_=0)))

    def query(*cols, sparse: bool = False):
        q = _results(f, sa.select(*cols, *counts).select_from(Result)
                     .join(Assessment, Assessment.id == Result.assessment_id)
                     .outerjoin(p, p.c.company_id == Result.company_id))
        # Only firms with a plan or a re-assessment add to a count but n: the rest need not be read.
        return q.where(sa.or_(Result.previous_level.is_not(None),
                              Result.company_id.in_(sa.select(PlanItem.company_id)))) if sparse else q

    # n, all and by industry, from the zones' pre-aggregates (the dashboard's own count of diagnosed firms
    # under the same filters); the other counts from the few firms with a plan or a second round. Reading
    # every latest result of a province for n took seconds.
    if stats._cubed(f):
        n_total = int(db.session.scalar(stats._cells(f, sa.func.sum(FigureCell.n))) or 0)
        n_industry = {k or None: int(v) for k, v in db.session.execute(
            stats._cells(f, FigureCell.industry, sa.func.sum(FigureCell.n)).group_by(FigureCell.industry)).all()}
    else:
        n_total = db.session.execute(query()).one()[0]
        n_industry = {key: n for key, n, *_rest in db.session.execute(
            query(Company.industry_division).group_by(Company.industry_division))}
    found = db.session.execute(query(sparse=True)).one()
    out = {"total": _row(None, n_total, *found[1:]), "industry": [], "provider": [], "programme": []}
    by_industry = {key: rest for key, *rest in db.session.execute(
        query(Company.industry_division, sparse=True).group_by(Company.industry_division))}
    for key, n in sorted(n_industry.items(), key=lambda kv: -kv[1])[:15]:
        rest = by_industry.get(key) or [0] * len(counts)
        out["industry"].append(_row(industry_label(key, lang) if key else "—", n, *rest[1:]))
    for key, *rest in db.session.execute(query(Provider.name)
                                         .join(ProviderFirm, ProviderFirm.company_id == Result.company_id)
                                         .join(Provider, Provider.id == ProviderFirm.provider_id)
                                         .group_by(Provider.name).order_by(Provider.name)):
        out["provider"].append(_row(key, *rest))
    for key, *rest in db.session.execute(query(Programme.name)
                                         .join(RosterEntry, RosterEntry.company_id == Result.company_id)
                                         .join(Programme, Programme.id == RosterEntry.programme_id)
                                         .where(Programme.instrument_id == f.instrument_id)
                                         .group_by(Programme.name).order_by(Programme.name)):
        out["programme"].append(_row(key, *rest))
    return out
