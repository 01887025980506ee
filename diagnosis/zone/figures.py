"""Dashboard figures and firm lists, labelled for one language: shared by the page, the API and exports."""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

import questionnaires
from reports.context import SIZE_NAMES

from ..industries import industry_label
from . import stats as zs

PARTS = ("overview", "levels", "dimensions", "heatmap", "trend", "closest", "stalled")


def level_names(instrument_id: str, lang: str) -> dict[int, str]:
    return {lv.id: lv.name.get(lang) for lv in questionnaires.get(instrument_id).levels}


def figure(part: str, f: zs.Filters, lang: str) -> dict:
    """One figure of the dashboard with its labels."""
    inst = questionnaires.get(f.instrument_id)
    level_name = level_names(f.instrument_id, lang)
    if part == "overview":
        return zs.overview(f)
    if part == "levels":
        d = zs.level_distribution(f)
        for row in d["levels"]:
            row["name"] = level_name[row["level"]]
        return d
    if part == "dimensions":
        return {"dimensions": [{**d, "title": d["title"][lang] or d["title"]["zh"]} for d in zs.dimension_averages(f)]}
    if part == "heatmap":
        h = zs.heatmap(f)
        titles = {d.id: d.title.get(lang) for d in inst.dimensions}
        return {**h, "dimension_titles": [titles[d] for d in h["dimensions"]],
                "industry_titles": [industry_label(i, lang) for i in h["industries"]]}
    if part == "trend":
        return {"periods": zs.trend(f), "level_names": [level_name[k] for k in sorted(level_name)]}
    if part == "closest":
        rows = zs.firms(f, closest=True, limit=10)
        return {"total": rows["total"], "rows": [firm_row(r, level_name, lang) for r in zs.with_path(rows["rows"])]}
    if part == "stalled":
        rows = zs.firms(f, stalled=True, limit=10)
        drafts = zs.stale_drafts(f, limit=10)
        return {"total": rows["total"], "rows": [firm_row(r, level_name, lang) for r in rows["rows"]], "stale_drafts": drafts}
    raise KeyError(part)


def aggregates(f: zs.Filters, lang: str) -> dict:
    """The zone's headline figures for integrators (the API)."""
    return {"filters": f.to_query(), **{part: figure(part, f, lang) for part in ("overview", "levels", "dimensions", "trend")},
            "movement": zs.movement(f)}


def firm_row(r: dict, level_name: dict, lang: str) -> dict:
    return {**r, "level_name": level_name.get(r["level"], ""), "industry_label": industry_label(r["industry"], lang),
            "previous_level_name": level_name.get(r["previous_level"], "") if r["previous_level"] is not None else "",
            "url": url_for("assessments.result", assessment_id=r["assessment_id"])}


def firm_page(f: zs.Filters, drill: dict, page: int, per_page: int, lang: str) -> dict:
    """One page of the firms behind a figure, with what the list is of."""
    found = zs.firms(f, **drill, limit=per_page, offset=(page - 1) * per_page)
    inst = questionnaires.get(f.instrument_id)
    level_name = level_names(f.instrument_id, lang)
    dim = next((d for d in inst.dimensions if d.id == drill.get("dimension")), None)
    return {"rows": [firm_row(r, level_name, lang) for r in found["rows"]], "total": found["total"],
            "dim_title": dim.title.get(lang) if dim else None, "level_name": level_name, "inst": inst}


def export_rows(f: zs.Filters, drill: dict, lang: str) -> tuple[list[str], list[list]]:
    inst = questionnaires.get(f.instrument_id)
    level_name = level_names(f.instrument_id, lang)
    found = zs.firms(f, **drill, limit=None)
    dims = zs.dimension_percents([r["result_id"] for r in found["rows"]])
    header = [_("企业名称"), _("统一社会信用代码"), _("行业"), _("规模"), _("片区"), _("等级"), _("得分"), _("评估季度"),
              _("上次等级"), _("核实等级")] + [_("%(dimension)s达成度（%%）", dimension=d.title.get(lang)) for d in inst.dimensions]
    size_name = {k: _(v) for k, v in SIZE_NAMES.items()}
    rows = [[r["name"], r["uscc"], industry_label(r["industry"], lang), size_name.get(r["size"], r["size"]), r["sub_zone"] or "",
             level_name.get(r["level"], r["level"]), r["total"], r["period"],
             level_name.get(r["previous_level"], "") if r["previous_level"] is not None else "",
             level_name.get(r["verified_level"], "") if r["verified_level"] is not None else ""]
            + [round(dims.get(r["result_id"], {}).get(d.id, 0.0), 1) for d in inst.dimensions]
            for r in found["rows"]]
    return header, rows
