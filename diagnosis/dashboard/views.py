from __future__ import annotations

from functools import wraps

from flask import Response, abort, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import questionnaires
from reports.context import SIZE_NAMES

from .. import current_lang
from .. import zone_stats as zs
from ..audit import record
from ..exports import to_csv, to_xlsx
from ..extensions import db
from ..models import Zone, utcnow
from ..registry import SIZE_CLASSES, industry_label
from . import bp
from .filters import BadFilter, parse_drill, parse_filters

PARTS = ("overview", "levels", "dimensions", "heatmap", "trend", "closest", "stalled")


def zone_admin_only(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if current_user.role != "zone_admin":
            abort(403)
        return view(*args, **kwargs)
    return wrapper


def _filters():
    return _filters_and_drill()[0]


def _filters_and_drill():
    """The filters, and which figure was clicked, from the query string; a 400 with the reason if malformed."""
    try:
        return parse_filters(request.args, current_user.zone_id), parse_drill(request.args)
    except BadFilter as e:
        abort(Response(str(e), status=400, mimetype="text/plain"))


@bp.get("/")
@zone_admin_only
def dashboard():
    f = _filters()
    opts = zs.options(f.zone_id)
    lang = current_lang()
    return render_template(
        "dashboard/index.html", f=f, instruments=questionnaires.available(), sizes=SIZE_CLASSES,
        industries=[(code, industry_label(code, lang)) for code in opts["industries"]], sub_zones=opts["sub_zones"],
        periods=zs.periods(f.zone_id, f.instrument_id), parts=PARTS)


@bp.get("/data/<part>.json")
@zone_admin_only
def data(part: str):
    """One figure of the dashboard; the page asks for each in parallel."""
    if part not in PARTS:
        abort(404)
    try:
        f = parse_filters(request.args, current_user.zone_id)
    except BadFilter as e:
        return jsonify(error=str(e)), 400
    return jsonify(figure(part, f, current_lang()))


def figure(part: str, f: zs.Filters, lang: str) -> dict:
    """A dashboard figure with its labels, shared by the page and the API."""
    inst = questionnaires.get(f.instrument_id)
    level_name = {lv.id: lv.name.get(lang) for lv in inst.levels}
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
        return {"total": rows["total"], "rows": [_firm_row(r, level_name, lang) for r in zs.with_path(rows["rows"])]}
    if part == "stalled":
        rows = zs.firms(f, stalled=True, limit=10)
        drafts = zs.stale_drafts(f, limit=10)
        return {"total": rows["total"], "rows": [_firm_row(r, level_name, lang) for r in rows["rows"]], "stale_drafts": drafts}
    raise KeyError(part)


def _firm_row(r: dict, level_name: dict, lang: str) -> dict:
    return {**r, "level_name": level_name.get(r["level"], ""), "industry_label": industry_label(r["industry"], lang),
            "previous_level_name": level_name.get(r["previous_level"], "") if r["previous_level"] is not None else "",
            "url": url_for("assessments.result", assessment_id=r["assessment_id"])}


@bp.get("/firms")
@zone_admin_only
def firm_list():
    """The firms behind any figure of the dashboard."""
    f, drill = _filters_and_drill()
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 100_000)
    per_page = 50
    found = zs.firms(f, **drill, limit=per_page, offset=(page - 1) * per_page)
    inst = questionnaires.get(f.instrument_id)
    level_name = {lv.id: lv.name.get(current_lang()) for lv in inst.levels}
    rows = [_firm_row(r, level_name, current_lang()) for r in found["rows"]]
    dim = next((d for d in inst.dimensions if d.id == drill.get("dimension")), None)
    dim_title = dim.title.get(current_lang()) if dim else None
    query = {**f.to_query(), **{k: ("1" if v is True else v) for k, v in drill.items()}}
    return render_template("dashboard/firms.html", f=f, rows=rows, total=found["total"], page=page, per_page=per_page,
                           drill=drill, dim_title=dim_title, level_name=level_name, query=query, inst=inst)


@bp.get("/firms.<fmt>")
@zone_admin_only
def export(fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    f, drill = _filters_and_drill()
    header, rows = export_rows(f, drill, current_lang())
    record("export", target=f"{f.instrument_id}.{fmt}", detail={"filters": f.to_query(), "rows": len(rows)})
    db.session.commit()
    name = f"firms-{f.instrument_id}.{fmt}"
    if fmt == "csv":
        return Response(to_csv(header, rows), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={name}"})
    return Response(to_xlsx(header, rows), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


def export_rows(f: zs.Filters, drill: dict, lang: str) -> tuple[list[str], list[list]]:
    inst = questionnaires.get(f.instrument_id)
    level_name = {lv.id: lv.name.get(lang) for lv in inst.levels}
    found = zs.firms(f, **drill, limit=None)
    dims = zs.dimension_percents([r["result_id"] for r in found["rows"]])
    header = [_("企业名称"), _("统一社会信用代码"), _("行业"), _("规模"), _("片区"), _("等级"), _("得分"), _("评估季度"),
              _("上次等级")] + [_("%(dimension)s达成度（%%）", dimension=d.title.get(lang)) for d in inst.dimensions]
    size_name = {k: _(v) for k, v in SIZE_NAMES.items()}
    rows = [[r["name"], r["uscc"], industry_label(r["industry"], lang), size_name.get(r["size"], r["size"]), r["sub_zone"] or "",
             level_name.get(r["level"], r["level"]), r["total"], r["period"],
             level_name.get(r["previous_level"], "") if r["previous_level"] is not None else ""]
            + [round(dims.get(r["result_id"], {}).get(d.id, 0.0), 1) for d in inst.dimensions]
            for r in found["rows"]]
    return header, rows


@bp.get("/report.pdf")
@zone_admin_only
def zone_report():
    from reports import zone_report_html
    from reports.cache import cached_pdf
    from ..zone_report import collect
    f = _filters()
    zone = db.session.get(Zone, current_user.zone_id)
    html = zone_report_html(collect(zone, current_lang(), period=f.period, sub_zone=f.sub_zone), current_lang())
    pdf = cached_pdf(html, current_app.config["REPORT_CACHE_DIR"], None)
    record("zone_report", target=str(zone.id))
    db.session.commit()
    from reports.names import content_disposition, report_filename
    name = report_filename(zone.name, f.sub_zone or "", _("园区数字化转型诊断报告"), f"{utcnow():%Y-%m-%d}")
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": content_disposition(name, f"zone-report-{zone.id}.pdf")})


AUDIT_ACTIONS = ("login", "login_failed", "lockout", "login_locked", "view_result", "view_company", "report", "zone_report",
                 "export", "import")


@bp.get("/audit")
@zone_admin_only
def audit():
    """The zone's audit log: logins, views of firms' data, exports, imports and reports."""
    import sqlalchemy as sa
    from ..models import AuditEvent, User
    action = request.args.get("action") or None
    if action is not None and action not in AUDIT_ACTIONS:
        abort(400)
    q = (sa.select(AuditEvent, User.name, User.email).outerjoin(User, User.id == AuditEvent.user_id)
         .where(AuditEvent.zone_id == current_user.zone_id))
    if action:
        q = q.where(AuditEvent.action == action)
    rows = db.session.execute(q.order_by(AuditEvent.id.desc()).limit(300)).all()
    return render_template("dashboard/audit.html", rows=rows, action=action, actions=AUDIT_ACTIONS)
