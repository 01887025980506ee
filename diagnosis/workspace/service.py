"""What consultants and staff see of their firms: where each assessment stands, and a firm's history."""
from __future__ import annotations

import sqlalchemy as sa

import questionnaires
from reports import charts

from ..access import visible_company_ids
from ..extensions import db
from ..models import Assessment, Company, InstrumentVersion, Result, User


def firms_with_latest(user: User) -> tuple[list[Company], dict]:
    """The user's firms by name, and each firm's latest assessment per instrument."""
    firms = db.session.scalars(sa.select(Company).where(Company.id.in_(visible_company_ids(user)))
                               .order_by(Company.name)).all()
    rows = db.session.execute(
        sa.select(Assessment, InstrumentVersion.instrument_id)
        .join(InstrumentVersion, InstrumentVersion.id == Assessment.instrument_version_id)
        .where(Assessment.company_id.in_([f.id for f in firms]))
        .order_by(Assessment.created_at)).all()
    latest: dict = {}
    for a, inst_id in rows:
        latest[(a.company_id, inst_id)] = a  # later ones win
    return firms, latest


def history(company: Company, lang: str) -> list[dict]:
    """Every submitted assessment of a firm per instrument, with the change per dimension and a chart."""
    results = db.session.execute(
        sa.select(Result, Assessment.submitted_at).join(Assessment, Assessment.id == Result.assessment_id)
        .where(Result.company_id == company.id).order_by(Assessment.submitted_at)).all()
    sections = []
    for inst_id, inst in questionnaires.available().items():
        mine = [(r, when) for r, when in results if r.instrument_id == inst_id]
        if not mine:
            continue
        level_name = {lv.id: lv.name.get(lang) for lv in inst.levels}
        rounds = [{"assessment_id": r.assessment_id, "date": when.strftime("%Y-%m-%d"), "level": level_name.get(r.level, r.level),
                   "total": r.total, "dims": {d: v["percent"] for d, v in r.dimensions.items()}} for r, when in mine]
        dims = [{"title": d.title.get(lang), "values": [rd["dims"].get(d.id) for rd in rounds]} for d in inst.dimensions]
        for d in dims:
            first, last = d["values"][0], d["values"][-1]
            d["change"] = None if first is None or last is None or len(rounds) < 2 else round(last - first, 1)
        shown = rounds[-4:]
        palette = ["#c9d1d9", "#8c959f", "#54aeff", "#1f6feb"][-len(shown):]  # the latest round darkest
        series = [(rd["date"], [rd["dims"].get(d.id) or 0.0 for d in inst.dimensions], colour)
                  for rd, colour in zip(shown, palette)]
        sections.append({"title": inst.title.get(lang), "rounds": rounds, "dimensions": dims,
                         "chart": charts.bar([d["title"] for d in dims], series, width=560)})
    return sections
