"""From diagnosis to change, for zone staff: of the diagnosed firms (each firm's latest result on the
instrument, under the dashboard's filters), how many have an improvement plan, an item done, a retrofit
project, and how many of the re-assessed gained a level; overall and by programme, provider and industry.
n is the dashboard's own count of diagnosed firms (the zones' pre-aggregates; per provider and programme a
count of results). Only a firm with a plan or a second round can add to the other counts, so those are read
for these firms alone, one row each, and summed here. Every share comes with its n.

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


FLAGS = ("plan", "done", "project", "reassessed", "gained", "verified_pairs", "verified_gained")


def _row(key, n: int, c: dict) -> dict:
    """One table row: n, the summed flags and each share of its own n (level gained: of the re-assessed)."""
    def share(k, of):
        return round(100 * k / of, 1) if of else None
    return {"key": key, "n": n, **c, "plan_share": share(c["plan"], n), "done_share": share(c["done"], n),
            "project_share": share(c["project"], n), "gained_share": share(c["gained"], c["reassessed"]),
            "self_pairs": c["reassessed"] - c["verified_pairs"],
            "verified_gained_share": share(c["verified_gained"], c["verified_pairs"])}


def _changed(f: Filters):
    """The firms that can add to a count but n: with a plan item, or re-assessed on the instrument. Both sets are
    small beside the diagnosed firms and indexed (plan_items.company_id; the partial index of results with a
    previous level), so the counts read these firms' results instead of every latest result of the area."""
    again = sa.orm.aliased(Result)
    return sa.union(sa.select(PlanItem.company_id),
                    sa.select(again.company_id).where(again.instrument_id == f.instrument_id, again.is_latest,
                                                      again.previous_level.is_not(None)))


def _firm_flags(f: Filters) -> dict[int, tuple[str | None, dict]]:
    """Per firm with a plan or a second round, counted under the filters: its industry and its 0/1 flags. A firm
    with neither adds to n alone, so the rest of the area's firms are not read."""
    p = _plans()
    now, before = _verified_levels()
    reassessed = Result.previous_level.is_not(None)
    q = _results(f, sa.select(Result.company_id, Company.industry_division, p.c.has_plan, p.c.has_done,
                              p.c.has_project, Result.level, Result.previous_level, now,
                              # the earlier round's verified level, looked up only where it can matter
                              sa.case((sa.and_(reassessed, now.is_not(None)), before)))
                 .select_from(Result).join(Assessment, Assessment.id == Result.assessment_id)
                 .outerjoin(p, p.c.company_id == Result.company_id))
    out = {}
    for firm, industry, plan, done, project, level, previous, now_v, before_v in db.session.execute(
            q.where(Result.company_id.in_(_changed(f)))):
        again = previous is not None
        verified = again and now_v is not None and before_v is not None
        # verified pairs on their verified levels, the others on their self-assessed levels, never one with the other
        gained = (now_v > before_v) if verified else (again and level > previous)
        out[firm] = (industry, {"plan": plan or 0, "done": done or 0, "project": project or 0, "reassessed": int(again),
                                "gained": int(gained), "verified_pairs": int(verified),
                                "verified_gained": int(verified and now_v > before_v)})
    return out


def _sums(flag_sets) -> dict:
    total = dict.fromkeys(FLAGS, 0)
    for flags in flag_sets:
        for k in FLAGS:
            total[k] += flags[k]
    return total


def conversion(f: Filters, lang: str = "zh") -> dict:
    def diagnosed(*cols):
        return _results(f, sa.select(*cols, sa.func.count(sa.distinct(Result.company_id))).select_from(Result))

    # n, all and by industry, from the zones' pre-aggregates (the dashboard's own count of diagnosed firms
    # under the same filters). Reading every latest result of a province for n took seconds.
    if stats._cubed(f):
        n_total = int(db.session.scalar(stats._cells(f, sa.func.sum(FigureCell.n))) or 0)
        n_industry = {k or None: int(v) for k, v in db.session.execute(
            stats._cells(f, FigureCell.industry, sa.func.sum(FigureCell.n)).group_by(FigureCell.industry)).all()}
    else:
        n_total = db.session.scalar(diagnosed())
        n_industry = dict(db.session.execute(diagnosed(Company.industry_division)
                                             .group_by(Company.industry_division)).all())
    firms = _firm_flags(f)
    out = {"total": _row(None, n_total, _sums(flags for _i, flags in firms.values())),
           "industry": [], "provider": [], "programme": []}
    by_industry: dict = {}
    for industry, flags in firms.values():
        by_industry.setdefault(industry, []).append(flags)
    for key, n in sorted(n_industry.items(), key=lambda kv: -kv[1])[:15]:
        out["industry"].append(_row(industry_label(key, lang) if key else "—", n, _sums(by_industry.get(key, []))))

    # By provider and by programme: n over every diagnosed firm each reaches, the flags of its changed firms.
    groups = (("provider", Provider.name, lambda q: q.join(ProviderFirm, ProviderFirm.company_id == Result.company_id)
               .join(Provider, Provider.id == ProviderFirm.provider_id),
               sa.select(ProviderFirm.company_id, Provider.name).join(Provider, Provider.id == ProviderFirm.provider_id)
               .where(ProviderFirm.company_id.in_(_changed(f)))),
              ("programme", Programme.name, lambda q: q.join(RosterEntry, RosterEntry.company_id == Result.company_id)
               .join(Programme, Programme.id == RosterEntry.programme_id)
               .where(Programme.instrument_id == f.instrument_id),
               sa.select(RosterEntry.company_id, Programme.name).join(Programme, Programme.id == RosterEntry.programme_id)
               .where(Programme.instrument_id == f.instrument_id, RosterEntry.company_id.in_(_changed(f)))))
    for part, key, joins, members in groups:
        n = dict(db.session.execute(joins(diagnosed(key)).group_by(key)).all())
        reached: dict = {}
        for firm, name in set(db.session.execute(members).all()):
            if firm in firms:
                reached.setdefault(name, []).append(firms[firm][1])
        out[part] = [_row(name, n[name], _sums(reached.get(name, []))) for name in sorted(n)]
    return out
