"""Reading dashboard filters from a query string, rejecting anything malformed with a reason."""
from __future__ import annotations

import re

from flask_babel import gettext as _

import questionnaires

from ..inputs import parse_int
from ..registry import SIZE_CLASSES, division
from ..zone_stats import Filters

PERIOD = re.compile(r"^\d{4}Q[1-4]$", re.ASCII)


class BadFilter(ValueError):
    """A filter value that cannot be right; the message says which and why."""


def parse_filters(args, zone_id: int) -> Filters:
    available = questionnaires.available()
    instrument = args.get("instrument") or ("sme-digital" if "sme-digital" in available else next(iter(available)))
    if instrument not in available:
        raise BadFilter(_("没有这个评估工具：%(value)s", value=instrument[:64]))
    industry = args.get("industry") or None
    if industry and division(industry) is None:
        raise BadFilter(_("行业代码应为国民经济行业分类的两位大类代码，如 34。"))
    size = args.get("size") or None
    if size and size not in SIZE_CLASSES:
        raise BadFilter(_("请选择企业规模。"))
    sub_zone = (args.get("sub_zone") or "").strip() or None
    if sub_zone and len(sub_zone) > 100:
        raise BadFilter(_("片区名称过长。"))
    period = args.get("period") or None
    if period and not PERIOD.match(period):
        raise BadFilter(_("季度格式应为 2026Q3。"))
    return Filters(zone_id=zone_id, instrument_id=instrument, industry=industry, size=size, sub_zone=sub_zone, period=period)


def parse_drill(args) -> dict:
    """What a click on a figure asks for: a level, a heat-map cell, the closest or stalled list."""
    drill: dict = {}
    if args.get("level", "") != "":
        drill["level"] = parse_int(args["level"], 0, 999)
        if drill["level"] is None:
            raise BadFilter(_("等级应为数字。"))
    if args.get("dimension"):
        drill["dimension"] = args["dimension"][:64]
    if args.get("closest") == "1":
        drill["closest"] = True
    if args.get("stalled") == "1":
        drill["stalled"] = True
    return drill
