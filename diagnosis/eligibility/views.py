"""Programme eligibility on the web: a firm's programmes and what blocks them; zone staff's lists of firms
ready to apply, per programme, with an XLSX export. Each view parses the request, calls one operation, renders."""
from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..access import ENTERPRISE, ZONE_ADMIN, require_role
from ..audit import record
from ..exports import to_xlsx
from ..extensions import db
from ..i18n import current_lang
from . import service

bp = Blueprint("eligibility", __name__, url_prefix="/eligibility")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/")
@login_required
def index():
    if current_user.role == ENTERPRISE and current_user.company_id:
        return redirect(url_for(".company", company_id=current_user.company_id))
    if current_user.role != ZONE_ADMIN:
        abort(404)
    return render_template("eligibility/index.html", rules=service.overview(current_user, current_lang()))


@bp.get("/company/<int:company_id>")
@login_required
def company(company_id: int):
    firm, verdicts = service.for_company(current_user, company_id, current_lang())
    return render_template("eligibility/company.html", company=firm, verdicts=verdicts)


@bp.get("/rules/<rule_id>")
@require_role(ZONE_ADMIN)
def ready(rule_id: str):
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 100_000)
    rule, found = service.ready_firms(current_user, rule_id, current_lang(), page)
    return render_template("eligibility/ready.html", rule=rule, found=found, firms=found["items"])


@bp.get("/rules/<rule_id>.xlsx")
@require_role(ZONE_ADMIN)
def export(rule_id: str):
    rule, found = service.ready_firms(current_user, rule_id, current_lang(), page=None)
    firms = found["items"]
    header = [_("企业名称"), _("统一社会信用代码"), _("行业"), _("片区")] + [c["instrument_title"] for c in rule["checks"]]
    rows = [[f["name"], f["uscc"], f["industry"], f["sub_zone"]] + [f["levels"][c["instrument"]]["name"] for c in rule["checks"]]
            for f in firms]
    record("export", target=f"eligibility.{rule['id']}.xlsx", detail={"rows": len(rows)})
    db.session.commit()
    return Response(to_xlsx(header, rows, title=rule["id"]), mimetype=XLSX,
                    headers={"Content-Disposition": f"attachment; filename=ready-{rule['id']}.xlsx"})
