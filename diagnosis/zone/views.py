"""Zone staff's pages. Each view reads the request, calls one operation and renders."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import questionnaires
from reports.names import content_disposition, report_filename

from ..access import ZONE_ADMIN, require_role, staff_scope
from ..audit import ACTION_NAMES, ACTIONS, record, zone_events
from ..errors import Refused
from ..exports import to_csv, to_xlsx
from ..extensions import db
from ..i18n import current_lang, size_name
from ..ids import form_id
from ..industries import SIZE_CLASSES, industry_label
from ..mail import zone_outbox
from ..models import utcnow
from ..programmes import targets
from . import assignments as assigning
from . import stats as zs
from .conversion import conversion
from .figures import PARTS, export_rows, figure, firm_page
from .filters import BadFilter, parse, parse_filters
from .report import report_for

bp = Blueprint("zone", __name__, url_prefix="/zone")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters_and_drill():
    """The filters, and which figure was clicked, from the query string; a 400 with the reason if malformed."""
    try:
        return parse(request.args, staff_scope(current_user))
    except BadFilter as e:
        abort(Response(str(e), status=400, mimetype="text/plain"))


@bp.get("/")
@require_role(ZONE_ADMIN)
def dashboard():
    f, _drill = _filters_and_drill()
    opts = zs.options(f)
    lang = current_lang()
    return render_template(
        "zone/index.html", f=f, instruments=questionnaires.available(), sizes=SIZE_CLASSES,
        industries=[(code, industry_label(code, lang)) for code in opts["industries"]], sub_zones=opts["sub_zones"],
        zones=opts.get("zones", []),
        periods=zs.periods(f, f.instrument_id), parts=PARTS, targets=targets.of_user(current_user),
        target_names=targets.INDICATOR_NAMES, target_natures=targets.NATURE_NAMES)


@bp.get("/conversion")
@require_role(ZONE_ADMIN)
def conversion_page():
    """From diagnosis to change under the dashboard's filters: plans, items done, projects, levels gained."""
    f, _drill = _filters_and_drill()
    lang = current_lang()
    inst = questionnaires.get(f.instrument_id)
    applied = [inst.title.get(lang), industry_label(f.industry, lang) if f.industry else None,
               size_name(f.size) if f.size else None, f.sub_zone, f.period, _("仅核实通过") if f.verified else None]
    return render_template("zone/conversion.html", f=f, conversion=conversion(f, lang),
                           applied=[a for a in applied if a])


@bp.get("/data/<part>.json")
@require_role(ZONE_ADMIN)
def data(part: str):
    """One figure of the dashboard; the page asks for each in parallel."""
    if part not in PARTS:
        abort(404)
    try:
        f = parse_filters(request.args, staff_scope(current_user))
    except BadFilter as e:
        return jsonify(error=str(e)), 400
    return jsonify(figure(part, f, current_lang()))


@bp.get("/firms")
@require_role(ZONE_ADMIN)
def firm_list():
    """The firms behind any figure of the dashboard."""
    f, drill = _filters_and_drill()
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 100_000)
    per_page = 50
    found = firm_page(f, drill, page, per_page, current_lang())
    query = {**f.to_query(), **{k: ("1" if v is True else v) for k, v in drill.items()}}
    return render_template("zone/firms.html", f=f, page=page, per_page=per_page, drill=drill, query=query, **found)


@bp.get("/firms.<fmt>")
@require_role(ZONE_ADMIN)
def export(fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    f, drill = _filters_and_drill()
    header, rows = export_rows(f, drill, current_lang())
    record("export", target=f"{f.instrument_id}.{fmt}", detail={"filters": f.to_query(), "rows": len(rows)})
    db.session.commit()
    disposition = {"Content-Disposition": f"attachment; filename=firms-{f.instrument_id}.{fmt}"}
    if fmt == "csv":
        return Response(to_csv(header, rows), mimetype="text/csv; charset=utf-8", headers=disposition)
    return Response(to_xlsx(header, rows), mimetype=XLSX, headers=disposition)


@bp.get("/report.pdf")
@require_role(ZONE_ADMIN)
def zone_report():
    f, _drill = _filters_and_drill()
    try:
        # staff of a city or province: ?zone=ID, a zone below them
        zone, pdf = report_for(current_user, request.args.get("zone"), current_lang(), period=f.period, sub_zone=f.sub_zone)
    except Refused:
        abort(404)
    record("zone_report", target=str(zone.id))
    db.session.commit()
    name = report_filename(zone.name, f.sub_zone or "", _("园区数字化转型诊断报告"), f"{utcnow():%Y-%m-%d}")
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": content_disposition(name, f"zone-report-{zone.id}.pdf")})


@bp.get("/audit")
@require_role(ZONE_ADMIN)
def audit():
    """The zone's audit log: logins, views of firms' data, exports, imports and reports."""
    action = request.args.get("action") or None
    if action is not None and action not in ACTIONS:
        abort(400)
    return render_template("zone/audit.html", rows=zone_events(staff_scope(current_user).zone_ids, action), action=action,
                           actions=ACTIONS, names=ACTION_NAMES)


@bp.route("/assignments", methods=["GET", "POST"])
@require_role(ZONE_ADMIN)
def assignments():
    """Zone staff assign consultants to firms: by credit codes pasted from their own lists, or from a search
    of the zone's firms (by name, code or industry; or only the unassigned ones)."""
    consultants = assigning.consultants(current_user.zone_id)
    if request.method == "POST":
        consultant = next((c for c in consultants if c.id == form_id(request.form.get("consultant"))), None)
        if consultant is None:
            abort(400)
        if request.form.get("remove"):  # from an old page: ask first
            return redirect(url_for(".unassign", consultant=consultant.id, company=form_id(request.form.get("remove"))))
        done = assigning.assign(consultant, assigning.parse_codes(request.form.get("codes", "")))
        flash(_("已为%(name)s分配 %(n)s 家企业。", name=consultant.name, n=done.added), "success")
        if done.unknown:
            flash(_("本园区没有这些统一社会信用代码的企业：%(codes)s", codes="、".join(done.unknown[:20])), "warning")
        return redirect(request.form.get("back") if (request.form.get("back") or "").startswith("/zone/assignments")
                        else url_for(".assignments"))
    q, industry = request.args.get("q", ""), request.args.get("industry") or None
    unassigned = request.args.get("unassigned") == "1"
    lang = current_lang()
    found = assigning.search(current_user.zone_id, q, industry, unassigned,
                             min(max(1, request.args.get("page", 1, type=int) or 1), 100_000)) \
        if (q or industry or unassigned) else None
    return render_template("zone/assignments.html", consultants=consultants, found=found, q=q[:100],
                           industry=industry, unassigned=unassigned,
                           industries=[(c, industry_label(c, lang)) for c in assigning.industries(current_user.zone_id)],
                           by_consultant=assigning.by_consultant(current_user.zone_id))


@bp.route("/assignments/unassign", methods=["GET", "POST"])
@require_role(ZONE_ADMIN)
def unassign():
    """A confirmation before a firm is taken from its consultant: a page of its own, no JavaScript needed."""
    source = request.form if request.method == "POST" else request.args
    consultant_id, company_id = form_id(source.get("consultant")), form_id(source.get("company"))
    if request.method == "POST":
        consultant, company = assigning.unassign(current_user.zone_id, consultant_id, company_id,
                                                 request.form.get("confirm") == "yes")
        flash(_("已取消%(name)s对%(firm)s的分配。", name=consultant.name, firm=company.name), "success")
        return redirect(url_for(".assignments"))
    consultant, company = assigning.assignment(current_user.zone_id, consultant_id, company_id)
    return render_template("zone/unassign.html", consultant=consultant, company=company)


@bp.get("/outbox")
@require_role(ZONE_ADMIN)
def outbox():
    """Mail to the zone's users: what went out, what failed and why (or everything, held, without SMTP)."""
    return render_template("zone/outbox.html", rows=zone_outbox(staff_scope(current_user).zone_ids),
                           mail_enabled=current_app.config.get("MAIL_ENABLED"))
