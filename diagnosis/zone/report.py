"""Gather a zone's aggregates for the zone report (PDF) from zone/stats.py, labelled for one language."""
from __future__ import annotations

from flask import current_app

import questionnaires
from reports import zone_report_html
from reports.cache import cached_pdf
from reports.context import SIZE_NAMES
from reports.i18n import gettext_for

from ..industries import industry_label
from ..models import Zone
from . import stats as zs

INSTRUMENT_ORDER = ("sme-digital", "smart-manufacturing", "cloud-adoption")


def collect(zone: Zone, lang: str, period: str | None = None, sub_zone: str | None = None) -> dict:
    """Everything the zone report shows, per instrument the zone's firms have taken."""
    _ = gettext_for(lang)
    sections = []
    available = questionnaires.available()
    for inst_id in sorted(available, key=lambda i: (INSTRUMENT_ORDER + (i,)).index(i)):
        inst = available[inst_id]
        quarters = zs.periods(zone.id, inst_id)
        if not quarters:
            continue
        f = zs.Filters(zone_id=zone.id, instrument_id=inst_id, sub_zone=sub_zone)
        current = period if period in quarters else quarters[-1]
        level_name = {lv.id: lv.name.get(lang) for lv in inst.levels}
        sections.append({
            "instrument": inst,
            "overview": zs.overview(f),
            "distribution": zs.level_distribution(f),
            "by_industry": [{**row, "label": industry_label(row["key"], lang)} for row in zs.levels_by(f, "industry")],
            "by_size": [{**row, "label": _(SIZE_NAMES.get(row["key"], row["key"]))} for row in zs.levels_by(f, "size")],
            "dimensions": zs.dimension_averages(f),
            "closest": [{**row, "industry_label": industry_label(row["industry"], lang),
                         "level_name": level_name.get(row["level"], row["level"]),
                         "next_level_name": level_name.get(row["level"] + 1, "")}
                        for row in zs.with_path(zs.firms(f, closest=True, limit=10)["rows"])],
            "stalled": zs.firms(f, stalled=True, limit=0)["total"],
            "stale_drafts": zs.stale_drafts(f, limit=0)["total"],
            "change": zs.change_since_last_period(f, current),
            "trend": zs.trend(f),
        })
    from .. import areas
    from ..programmes import targets
    area = areas.of_zone(zone.id)
    return {"zone": {"name": zone.name, "sub_zone": sub_zone}, "period": period, "sections": sections,
            "targets": [targets.plain(ev) for ev in targets.of_area(area)] if area is not None else []}


def report_zone(user, raw) -> Zone:
    """The zone whose report is asked for: zone staff their own; staff of a city or province any zone
    below them (`?zone=ID`); anything else is a 404."""
    from flask_babel import lazy_gettext as _l

    from ..access import staff_scope
    from ..errors import Refused
    from ..extensions import db
    from ..inputs import parse_int
    zone_id = user.zone_id if user.zone_id is not None else parse_int(raw if isinstance(raw, str) else None, 1)
    if zone_id is None or zone_id not in staff_scope(user).zone_ids and zone_id != user.zone_id:
        raise Refused(404, "not_found", _l("没有这个地区。"))
    return db.session.get(Zone, zone_id)


def report_for(user, raw_zone, lang: str, period: str | None = None, sub_zone: str | None = None) -> tuple[Zone, bytes]:
    """The report of the zone asked for (see report_zone) and its PDF."""
    zone = report_zone(user, raw_zone)
    return zone, render_zone_report(zone, lang, period=period, sub_zone=sub_zone)


def render_zone_report(zone: Zone, lang: str, period: str | None = None, sub_zone: str | None = None) -> bytes:
    """The zone report as a PDF, from the render cache when nothing changed."""
    html = zone_report_html(collect(zone, lang, period=period, sub_zone=sub_zone), lang)
    return cached_pdf(html, current_app.config["REPORT_CACHE_DIR"], None)
