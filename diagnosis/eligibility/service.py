"""Programme eligibility from the rule files (questionnaires/eligibility) and firms' latest results: what a firm
qualifies for and what blocks the rest (the condition named, with the firm's current level), and for zone staff
the firms ready to apply per programme. Pages, the export and the API call these functions."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

import questionnaires
from questionnaires import eligibility as rules_data

from .. import figures_cube as cube
from ..access import ZONE_ADMIN, Scope, ensure_role, find_company, staff_scope
from ..errors import Refused
from ..extensions import db
from ..ids import MAX_ID
from ..industries import industry_label
from ..models import Company, FigureCell, Result


def latest_levels(company_ids: sa.Select | list[int]) -> dict[int, dict[str, int]]:
    """Each firm's latest self-assessed level per instrument."""
    rows = db.session.execute(sa.select(Result.company_id, Result.instrument_id, Result.level)
                              .where(Result.is_latest, Result.company_id.in_(company_ids))).all()
    out: dict[int, dict[str, int]] = {}
    for company_id, instrument_id, level in rows:
        out.setdefault(company_id, {})[instrument_id] = level
    return out


def _verdict_dict(v: rules_data.Verdict, lang: str) -> dict:
    r = v.rule
    checks = []
    for c in v.checks:
        inst = questionnaires.get(c.instrument)
        checks.append({"instrument": c.instrument, "instrument_title": inst.title.get(lang), "min_level": c.min_level,
                       "min_level_name": rules_data.level_name(c.instrument, c.min_level, lang),
                       "level": c.level, "level_name": rules_data.level_name(c.instrument, c.level, lang), "met": c.met})
    blocking = next((c for c in checks if not c["met"]), None)
    return {"id": r.id, "programme": r.programme.get(lang), "document": r.document.get(lang), "year": r.year,
            "source": r.source, "eligible": v.eligible, "checks": checks, "blocking": blocking,
            "not_checked": [t.get(lang) for t in r.not_checked], "note": r.note.get(lang) if r.note else None}


def _rule_dict(r: rules_data.Rule, lang: str) -> dict:
    """The rule itself: its document, source, the levels it asks for and what this tool cannot check."""
    return {"id": r.id, "programme": r.programme.get(lang), "document": r.document.get(lang), "year": r.year,
            "source": r.source,
            "checks": [{"instrument": c.instrument, "instrument_title": questionnaires.get(c.instrument).title.get(lang),
                        "min_level": c.min_level, "min_level_name": rules_data.level_name(c.instrument, c.min_level, lang)}
                       for c in r.conditions],
            "not_checked": [t.get(lang) for t in r.not_checked], "note": r.note.get(lang) if r.note else None}


def for_company(user, company_id, lang: str) -> tuple[Company, list[dict]]:
    """Every shipped rule evaluated on the firm's latest results: eligible ones first."""
    if not isinstance(company_id, int) or isinstance(company_id, bool) or not 0 < company_id <= MAX_ID:
        raise Refused(404, "not_found", _l("找不到这家企业，或您无权查看。"))
    company = find_company(user, company_id)
    if company is None:
        raise Refused(404, "not_found", _l("找不到这家企业，或您无权查看。"))
    levels = latest_levels([company.id]).get(company.id, {})
    verdicts = [_verdict_dict(rules_data.evaluate(r, levels), lang) for r in rules_data.rules()]
    return company, sorted(verdicts, key=lambda v: not v["eligible"])


def eligible_programmes(company_id: int, lang: str) -> list[dict]:
    """The programmes a firm (already checked visible by the caller) meets every checkable condition of."""
    levels = latest_levels([company_id]).get(company_id, {})
    return [{"id": r.id, "programme": r.programme.get(lang)} for r in rules_data.rules()
            if rules_data.evaluate(r, levels).eligible]


def _rule(rule_id) -> rules_data.Rule:
    r = rules_data.rule(rule_id) if isinstance(rule_id, str) else None
    if r is None:
        raise Refused(404, "not_found", _l("没有这条申报条件。"))
    return r


PAGE_SIZE = 100


def _scope(user) -> tuple[Scope, list[sa.ColumnElement]]:
    """Zone staff's firms (their area's zones, or their sub-zone), and that as conditions on `companies`."""
    ensure_role(user, ZONE_ADMIN)
    scope = staff_scope(user)
    clauses = [Company.zone_id.in_(scope.zone_ids)]
    if scope.sub_zone:
        clauses.append(Company.sub_zone == scope.sub_zone)
    return scope, clauses


def rule_query(r: rules_data.Rule, scope: list[sa.ColumnElement], *columns) -> tuple[sa.Select, sa.ColumnElement, list]:
    """A rule's conditions in SQL: the firms in scope with a latest result on every instrument the rule checks
    (one join per condition), and the clause that is true when every condition's level is met. A firm without a
    result on an instrument is left out, as `evaluate` finds it not met. Returns the query (selecting `columns`),
    the clause, and each condition's results alias in the rule's order."""
    aliases = [sa.orm.aliased(Result) for _ in r.conditions]
    first = aliases[0]
    q = sa.select(*columns).select_from(first).join(Company, Company.id == first.company_id).where(*scope)
    for alias, cond in zip(aliases, r.conditions):
        if alias is not first:
            q = q.join(alias, alias.company_id == first.company_id)
        q = q.where(alias.instrument_id == cond.instrument, alias.is_latest)
    met = sa.and_(*(alias.level >= cond.min_level for alias, cond in zip(aliases, r.conditions)))
    return q, met, aliases


def overview(user, lang: str) -> list[dict]:
    """Per rule, how many of the user's visible firms are assessed on its instruments and how many of those meet
    every checkable condition: one counting query per rule, however many firms. A rule on one instrument is
    counted from the zones' pre-aggregates (figure_cells: firms per level of their latest result), as the
    dashboard counts levels; a rule on several instruments, or a sub-zone's staff, count the results."""
    scope, clauses = _scope(user)
    out = []
    for r in rules_data.rules():
        if len(r.conditions) == 1 and not scope.sub_zone:
            cond = r.conditions[0]
            q = cube.cells(scope.zone_ids, cond.instrument).with_only_columns(
                sa.func.coalesce(sa.func.sum(FigureCell.n), 0),
                sa.func.coalesce(sa.func.sum(sa.case((FigureCell.level >= cond.min_level, FigureCell.n), else_=0)), 0))
        else:
            q, met, _aliases = rule_query(r, clauses)
            q = q.with_only_columns(sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case((met, 1), else_=0)), 0))
        assessed, ready = db.session.execute(q).one()
        out.append({"id": r.id, "programme": r.programme.get(lang), "document": r.document.get(lang), "year": r.year,
                    "source": r.source, "ready": int(ready), "assessed": int(assessed)})
    return out


def ready_firms(user, rule_id, lang: str, page: int | None = 1) -> tuple[dict, dict]:
    """The visible firms that meet every checkable condition of the rule, by name, PAGE_SIZE a page (page None:
    all of them, for the export), with their levels on the rule's instruments and the total."""
    _zones, clauses = _scope(user)
    r = _rule(rule_id)
    q, met, aliases = rule_query(r, clauses, Company.id, Company.name, Company.uscc, Company.industry_division,
                                 Company.sub_zone)
    q = q.add_columns(*(a.level for a in aliases)).where(met)
    total = db.session.scalar(q.with_only_columns(sa.func.count()))
    q = q.order_by(Company.name, Company.id)
    if page is not None:
        q = q.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    rows = []
    for cid, name, uscc, division, sub_zone, *levels in db.session.execute(q):
        rows.append({"id": cid, "name": name, "uscc": uscc, "industry": industry_label(division, lang),
                     "sub_zone": sub_zone or "",
                     "levels": {cond.instrument: {"level": lv, "name": rules_data.level_name(cond.instrument, lv, lang)}
                                for cond, lv in zip(r.conditions, levels)}})
    return _rule_dict(r, lang), {
        "page": page, "per_page": PAGE_SIZE if page is not None else total, "total": total, "items": rows}
