"""A firm's own profile: name, credit code, industry and size."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..access import ENTERPRISE, require_role
from ..errors import Refused
from ..i18n import current_lang
from ..industries import division_choices
from . import privacy, service
from .forms import CompanyForm

bp = Blueprint("company", __name__, url_prefix="/company")


@bp.route("/profile", methods=["GET", "POST"])
@require_role(ENTERPRISE)
def profile():
    company = current_user.company
    form = CompanyForm(obj=company)
    form.industry_division.choices = [SelectChoice("", _("请选择"))] + [
        SelectChoice(code, label, optgroup=group) for code, label, group in division_choices(current_lang())]
    if form.validate_on_submit():
        problem = service.save_profile(current_user, name=form.name.data, uscc=form.uscc.data,
                                       industry=form.industry_division.data, employees=form.employees.data,
                                       revenue=form.revenue.data)
        if problem is None:
            flash(_("企业信息已保存。"), "success")
            return redirect(url_for("main.home"))
        getattr(form, problem.field).errors.append(problem.message)
    return render_template("company/profile.html", form=form, company=company)


@bp.get("/export.zip")
@require_role(ENTERPRISE)
def export():
    """Everything the platform holds about the firm: data.json and its PDF reports, in one ZIP."""
    name, data = privacy.export_zip(current_user, current_lang())
    return Response(data, mimetype="application/zip", headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.route("/closure", methods=["GET", "POST"])
@require_role(ENTERPRISE)
def closure():
    """Ask the zone to close the firm's account; the page shows the request's state."""
    status = 200
    if request.method == "POST":
        try:
            privacy.request_closure(current_user, request.form.get("reason"))
            flash(_("注销申请已提交，园区处理后会通知您。"), "success")
            return redirect(url_for(".closure"))
        except Refused as e:
            flash(str(e.message), "error")
            status = e.status
    return render_template("company/closure.html", latest=privacy.latest_request(current_user),
                           company=current_user.company), status
