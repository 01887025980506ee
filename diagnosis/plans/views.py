"""Improvement plans on the web: the firm's plan, items from a result's recommendations, editing an item.
Each view parses the request, calls one operation of plans/service.py, renders."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..access import ENTERPRISE, can_plan, get_assessment
from ..errors import Refused
from ..i18n import current_lang
from ..ids import form_id
from ..models import PLAN_STATUSES
from . import service

bp = Blueprint("plans", __name__, url_prefix="/plans")


def _refused(e: Refused):
    if e.status in (403, 404):
        abort(e.status)
    flash(str(e.message), "error")


@bp.get("/")
@login_required
def mine():
    if current_user.role != ENTERPRISE or current_user.company_id is None:
        abort(404)
    return redirect(url_for(".plan", company_id=current_user.company_id))


@bp.get("/<int:company_id>")
@login_required
def plan(company_id: int):
    company, items = service.company_plan(current_user, company_id)
    return render_template("plans/plan.html", company=company, items=items, lang=current_lang(),
                           editable=can_plan(current_user), statuses=PLAN_STATUSES, status_names=service.STATUS_NAMES,
                           bands=service.BUDGET_BANDS, band_names=service.BUDGET_NAMES, today=date.today(),
                           owners=service.owner_choices(company.id))


@bp.post("/<int:company_id>/items")
@login_required
def add(company_id: int):
    fields = {k: request.form.get(k, "") for k in ("title", "owner", "owner_user_id", "due_date", "budget_band")}
    try:
        item = service.add_item(current_user, company_id, fields)
    except Refused as e:
        _refused(e)
        return redirect(url_for(".plan", company_id=company_id) + "#new-item")
    flash(_("已加入改进计划。"), "success")
    return redirect(url_for(".plan", company_id=company_id) + f"#item-{item.id}")


@bp.post("/items/<int:item_id>")
@login_required
def update(item_id: int):
    fields = {k: request.form[k] for k in service.FIELDS if k in request.form and k not in ("title", "indicators")}
    try:
        item = service.update_item(current_user, item_id, fields)
    except Refused as e:
        _refused(e)
        company_id = form_id(request.form.get("company"))
        return redirect(url_for(".plan", company_id=company_id) + f"#item-{item_id}" if company_id else url_for(".mine"))
    flash(_("计划事项已保存。"), "success")
    return redirect(url_for(".plan", company_id=item.company_id) + f"#item-{item.id}")


@bp.route("/from/<int:assessment_id>", methods=["GET", "POST"])
@login_required
def from_result(assessment_id: int):
    """A result's recommendations, each with a button that makes it a plan item."""
    if request.method == "POST":
        try:
            service.add_from_result(current_user, assessment_id, form_id(request.form.get("n")))
        except Refused as e:
            _refused(e)
            return redirect(url_for(".from_result", assessment_id=assessment_id))
        flash(_("已加入改进计划。"), "success")
        return redirect(url_for(".from_result", assessment_id=assessment_id) + f"#rec-{request.form.get('n')}")
    a = get_assessment(current_user, assessment_id)
    if a.result is None:
        abort(404)
    return render_template("plans/from_result.html", a=a, recs=service.recommendations(a, current_lang()),
                           editable=can_plan(current_user), status_names=service.STATUS_NAMES)
