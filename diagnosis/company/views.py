from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from .. import current_lang
from ..extensions import db
from ..models import Company
from ..registry import division, division_choices, size_class
from . import bp
from .forms import CompanyForm


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    if current_user.role != "enterprise":
        abort(403)
    company = current_user.company
    form = CompanyForm(obj=company)
    form.industry_division.choices = [SelectChoice("", _("请选择"))] + [
        SelectChoice(code, label, optgroup=group) for code, label, group in division_choices(current_lang())]
    if form.validate_on_submit():
        d = division(form.industry_division.data)
        taken = db.session.scalar(sa.select(Company.id).where(Company.uscc == form.uscc.data))
        if d is None:
            form.industry_division.errors.append(_("请选择行业。"))
        elif taken is not None and (company is None or taken != company.id):
            form.uscc.errors.append(_("该统一社会信用代码已被其他企业使用，请联系园区管理部门。"))
        else:
            if company is None:
                company = Company(zone_id=current_user.zone_id)
                db.session.add(company)
            company.name = form.name.data.strip()
            company.uscc = form.uscc.data
            company.industry_division = d.code
            company.industry_section = d.section
            company.employees = form.employees.data
            company.revenue = form.revenue.data
            company.size_class = size_class(d.code, form.employees.data, form.revenue.data)
            db.session.flush()
            current_user.company_id = company.id
            db.session.commit()
            flash(_("企业信息已保存。"), "success")
            return redirect(url_for("main.home"))
    return render_template("company/profile.html", form=form, company=company)
