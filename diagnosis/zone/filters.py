"""Reading zone filters (dashboard, firm lists, exports, API, report batches) from a query string or
form, rejecting anything malformed with a reason per field."""
from __future__ import annotations

import re

from flask_babel import gettext as _

import questionnaires

from ..access import Scope
from ..industries import SIZE_CLASSES, division
from ..inputs import parse_int
from .stats import Filters

PERIOD = re.compile(r"^\d{4}Q[1-4]$", re.ASCII)  # \d alone also matches other scripts' digits


class BadFilter(ValueError):
    """Filter values that cannot be right: `errors` maps each field to the reason."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def parse(args, zone_id: int | Scope) -> tuple[Filters, dict]:
    """The filters and what a click on a figure asks for; BadFilter naming every bad field.
    Given a staff member's Scope, the filters cover their area's zones (and sub-zone) only."""
    errors: dict[str, str] = {}
    f = _filters(args, zone_id, errors)
    drill = _drill(args, errors)
    if errors:
        raise BadFilter(errors)
    return f, drill


def parse_filters(args, zone_id: int | Scope) -> Filters:
    return parse(args, zone_id)[0]


def _filters(args, zone_id: int | Scope, errors: dict) -> Filters:
    available = questionnaires.available()
    instrument = args.get("instrument") or ("sme-digital" if "sme-digital" in available else next(iter(available)))
    if instrument not in available:
        errors["instrument"] = _("请选择评估工具：没有“%(value)s”这个工具。", value=instrument[:64])
    industry = args.get("industry") or None
    if industry and division(industry) is None:
        errors["industry"] = _("行业代码应为国民经济行业分类的两位大类代码，如 34。")
    size = args.get("size") or None
    if size and size not in SIZE_CLASSES:
        errors["size"] = _("请选择企业规模。")
    sub_zone = (args.get("sub_zone") or "").strip() or None
    if sub_zone and len(sub_zone) > 100:
        errors["sub_zone"] = _("片区名称过长。")
    period = args.get("period") or None
    if period and not PERIOD.match(period):
        errors["period"] = _("季度格式应为 2026Q3。")
    verified = args.get("verified") in ("1", "true", "True")
    if isinstance(zone_id, Scope):
        scope = zone_id
        sub_zone = scope.sub_zone or sub_zone  # staff of a sub-zone cannot look beside it
        one = scope.zone_ids[0] if len(scope.zone_ids) == 1 else None
        return Filters(zone_id=one, instrument_id=instrument, industry=industry, size=size, sub_zone=sub_zone,
                       period=period, verified=verified, zone_ids=() if one is not None else (scope.zone_ids or (-1,)))
    return Filters(zone_id=zone_id, instrument_id=instrument, industry=industry, size=size, sub_zone=sub_zone, period=period,
                   verified=verified)


def _drill(args, errors: dict) -> dict:
    """What a click on a figure asks for: a level, a heat-map cell, the closest or stalled list."""
    drill: dict = {}
    level = args.get("level", "")
    if level != "":
        drill["level"] = parse_int(level, 0, 999)
        if drill["level"] is None:
            del drill["level"]
            errors["level"] = _("等级应为数字。")
    if args.get("dimension"):
        drill["dimension"] = args["dimension"][:64]
    if args.get("closest") == "1":
        drill["closest"] = True
    if args.get("stalled") == "1":
        drill["stalled"] = True
    return drill
