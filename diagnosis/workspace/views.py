from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import questionnaires
from reports import charts

from .. import current_lang
from ..access import find_company, visible_company_ids
from ..audit import record
from ..ids import form_id
from ..extensions import db
from ..models import Assessment, Assignment, Company, InstrumentVersion, Result, User
from ..dashboard.views import zone_admin_only
from . import bp


@bp.get("/workspace/")
@login_required
def index():
    """A consultant's assigned firms with where each of their assessments stands."""
    if current_user.role != "consultant":
        abort(403)
    firms = db.session.scalars(sa.select(Company).where(Company.id.in_(visible_company_ids(current_user)))
                               .order_by(Company.name)).all()
    rows = db.session.execute(
        sa.select(Assessment, InstrumentVersion.instrument_id)
        .join(InstrumentVersion, InstrumentVersion.id == Assessment.instrument_version_id)
        .where(Assessment.company_id.in_([f.id for f in firms]))
        .order_by(Assessment.created_at)).all()
    latest: dict = {}
    for a, inst_id in rows:
        latest[(a.company_id, inst_id)] = a  # later ones win
    return render_template("workspace/index.html", firms=firms, latest=latest, instruments=questionnaires.available())


@bp.get("/company/<int:company_id>/history")
@login_required
def history(company_id: int):
    """Every submitted assessment of a firm per instrument, with the change per dimension."""
    company = find_company(current_user, company_id)
    if company is None:
        abort(404)
    lang = current_lang()
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
    return render_template("workspace/history.html", company=company, sections=sections)


@bp.route("/zone/assignments", methods=["GET", "POST"])
@zone_admin_only
def assignments():
    """Zone staff assign consultants to firms by their credit codes (as kept in their own lists)."""
    consultants = db.session.scalars(sa.select(User).where(User.zone_id == current_user.zone_id, User.role == "consultant")
                                     .order_by(User.name)).all()
    if request.method == "POST":
        consultant = next((c for c in consultants if c.id == form_id(request.form.get("consultant"))), None)
        if consultant is None:
            abort(400)
        if request.form.get("remove"):
            company_id = form_id(request.form.get("remove"))
            db.session.execute(sa.delete(Assignment).where(Assignment.consultant_id == consultant.id,
                                                           Assignment.company_id == company_id))
            db.session.commit()
            flash(_("已取消分配。"), "success")
            return redirect(url_for(".assignments"))
        codes = [c.strip().upper() for c in request.form.get("codes", "").replace(",", "\n").splitlines() if c.strip()]
        found = dict(db.session.execute(sa.select(Company.uscc, Company.id).where(
            Company.zone_id == current_user.zone_id, Company.uscc.in_(codes))).all()) if codes else {}
        have = set(db.session.scalars(sa.select(Assignment.company_id).where(Assignment.consultant_id == consultant.id)))
        added = [cid for cid in dict.fromkeys(found.values()) if cid not in have]
        db.session.add_all([Assignment(consultant_id=consultant.id, company_id=cid) for cid in added])
        db.session.commit()
        unknown = [c for c in codes if c not in found]
        flash(_("已为%(name)s分配 %(n)s 家企业。", name=consultant.name, n=len(added)), "success")
        if unknown:
            flash(_("本园区没有这些统一社会信用代码的企业：%(codes)s", codes="、".join(unknown[:20])), "warning")
        return redirect(url_for(".assignments"))
    assigned = db.session.execute(
        sa.select(Assignment.consultant_id, Company).join(Company, Company.id == Assignment.company_id)
        .where(Company.zone_id == current_user.zone_id).order_by(Company.name)).all()
    by_consultant: dict = {}
    for cid, company in assigned:
        by_consultant.setdefault(cid, []).append(company)
    return render_template("workspace/assignments.html", consultants=consultants, by_consultant=by_consultant)


@bp.route("/imports/", methods=["GET", "POST"])
@login_required
def imports():
    """Upload answers collected offline (consultants for their firms, zone staff for the zone)."""
    from ..assessments.views import answer_error_text
    from ..imports import ImportRejected, import_answers
    if current_user.role not in ("consultant", "zone_admin"):
        abort(403)
    instruments = questionnaires.available()
    errors, created = [], []
    status = 200
    if request.method == "POST":
        inst = instruments.get(request.form.get("instrument", ""))
        upload = request.files.get("file")
        if inst is None or upload is None or not upload.filename:
            errors = [{"row": 0, "column": "", "reason": _("请选择评估工具和要上传的文件。")}]
            status = 400
        else:
            try:
                created = import_answers(inst, upload.read(), current_user, explain=answer_error_text)
                record("import", target=inst.id, detail={"assessments": len(created)})
                db.session.commit()
                flash(_("已导入 %(n)s 家企业的评估并完成评分。", n=len(created)), "success")
                return redirect(url_for(".imports"))
            except ImportRejected as exc:
                errors = [e.to_dict() for e in exc.errors]
                status = 400
    return render_template("workspace/imports.html", instruments=instruments, errors=errors), status


@bp.get("/imports/template/<instrument_id>.xlsx")
@login_required
def import_template(instrument_id: str):
    from flask import Response
    from ..imports import template
    inst = questionnaires.available().get(instrument_id)
    if inst is None:
        abort(404)
    return Response(template(inst, current_lang()),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=import-{inst.id}.xlsx"})
