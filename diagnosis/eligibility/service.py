"""Programme eligibility from the rule files (questionnaires/eligibility) and firms' latest results: what a firm
qualifies for and what blocks the rest (the condition named, with the firm's current level), and for zone staff
the firms ready to apply per programme. Pages, the export and the API call these functions."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

import questionnaires
from questionnaires import eligibility as rules_data

from ..access import ZONE_ADMIN, ensure_role, find_company, visible_company_ids
from ..errors import Refused
from ..extensions import db
from ..ids import MAX_ID
from ..industries import industry_label
from ..models import Company, Result


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


def overview(user, lang: str) -> list[dict]:
    """Per rule, how many of the user's visible firms are ready to apply."""
    ensure_role(user, ZONE_ADMIN)
    levels = latest_levels(visible_company_ids(user))
    out = []
    for r in rules_data.rules():
        ready = sum(1 for lv in levels.values() if rules_data.evaluate(r, lv).eligible)
        out.append({"id": r.id, "programme": r.programme.get(lang), "document": r.document.get(lang), "year": r.year,
                    "source": r.source, "ready": ready, "assessed": len(levels)})
    return out


def ready_firms(user, rule_id, lang: str) -> tuple[dict, list[dict]]:
    """The visible firms that meet every checkable condition of the rule, by name."""
    ensure_role(user, ZONE_ADMIN)
    r = _rule(rule_id)
    levels = latest_levels(visible_company_ids(user))
    ids = [cid for cid, lv in levels.items() if rules_data.evaluate(r, lv).eligible]
    firms = db.session.scalars(sa.select(Company).where(Company.id.in_(ids)).order_by(Company.name)).all() if ids else []
    rows = [{"id": c.id, "name": c.name, "uscc": c.uscc, "industry": industry_label(c.industry_division, lang),
             "sub_zone": c.sub_zone or "",
             "levels": {cond.instrument: rules_data.level_name(cond.instrument, levels[c.id].get(cond.instrument), lang)
                        for cond in r.conditions}} for c in firms]
    return _verdict_dict(rules_data.evaluate(r, {}), lang), rows
