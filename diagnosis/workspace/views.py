"""Consultants' workspace, firm histories and offline imports. Views parse, call one operation, render."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import questionnaires

from ..access import CONSULTANT, STAFF, get_company, require_role
from ..i18n import current_lang
from ..imports import ImportRejected, import_answers, template
from . import service

bp = Blueprint("workspace", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/workspace/")
@require_role(CONSULTANT)
def index():
    """A consultant's assigned firms with where each of their assessments stands."""
    firms, latest = service.firms_with_latest(current_user)
    return render_template("workspace/index.html", firms=firms, latest=latest, instruments=questionnaires.available())


@bp.get("/company/<int:company_id>/history")
@login_required
def history(company_id: int):
    """Every submitted assessment of a firm per instrument, with the change per dimension."""
    company = get_company(current_user, company_id)  # a staff read is audited by access.note_read
    return render_template("workspace/history.html", company=company, sections=service.history(company, current_lang()))


@bp.route("/imports/", methods=["GET", "POST"])
@require_role(*STAFF)
def imports():
    """Upload answers collected offline (consultants for their firms, zone staff for the zone)."""
    instruments = questionnaires.available()
    errors = []
    if request.method == "POST":
        inst = instruments.get(request.form.get("instrument", ""))
        upload = request.files.get("file")
        if inst is None or upload is None or not upload.filename:
            errors = [{"row": 0, "column": "", "reason": _("请选择评估工具和要上传的文件。")}]
        else:
            try:
                created = import_answers(inst, upload.read(), current_user)
                flash(_("已导入 %(n)s 家企业的评估并完成评分。", n=len(created)), "success")
                return redirect(url_for(".imports"))
            except ImportRejected as exc:
                errors = [e.to_dict() for e in exc.errors]
    return render_template("workspace/imports.html", instruments=instruments, errors=errors), (400 if errors else 200)


@bp.get("/imports/template/<instrument_id>.xlsx")
@login_required
def import_template(instrument_id: str):
    inst = questionnaires.available().get(instrument_id)
    if inst is None:
        abort(404)
    return Response(template(inst, current_lang()), mimetype=XLSX,
                    headers={"Content-Disposition": f"attachment; filename=import-{inst.id}.xlsx"})
