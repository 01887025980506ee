"""Provider pages: the zone's 服务商库 for zone staff; a provider's own page for its lead and consultants."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import CONSULTANT, ZONE_ADMIN, manages_provider, require_role
from ..audit import record
from ..errors import Refused
from ..exports import to_csv, to_xlsx
from ..extensions import db
from ..ids import form_id
from ..programmes.service import STATUS_NAMES as PROGRAMME_STATUSES
from . import scores, service

bp = Blueprint("providers", __name__, url_prefix="/providers")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/", methods=["GET", "POST"])
@require_role(ZONE_ADMIN, CONSULTANT)
def index():
    """Zone staff list and register providers; a provider's consultant is sent to their own provider."""
    if current_user.role == CONSULTANT:
        if current_user.provider_id is None:
            abort(403)
        return redirect(url_for(".show", provider_id=current_user.provider_id))
    status = 200
    if request.method == "POST":
        f = request.form
        try:
            p = service.create(current_user, f.get("name"), f.get("credit_code"), f.get("contact"), f.get("qualification"))
            flash(_("服务商已登记。"), "success")
            return redirect(url_for(".show", provider_id=p.id))
        except Refused as e:
            flash(str(e.message), "error")
            status = e.status
    return render_template("providers/index.html", table=scores.zone_table(current_user), figures=scores.FIGURES,
                           form=request.form, can_register=current_user.zone_id is not None), status


@bp.get("/scores.<fmt>")
@require_role(ZONE_ADMIN)
def export_scores(fmt: str):
    """The zone's provider table as CSV or XLSX."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    header, rows = scores.export_rows(current_user)
    record("export", target=f"providers.{fmt}", detail={"rows": len(rows)})
    db.session.commit()
    disposition = {"Content-Disposition": f"attachment; filename=providers.{fmt}"}
    if fmt == "csv":
        return Response(to_csv(header, rows), mimetype="text/csv; charset=utf-8", headers=disposition)
    return Response(to_xlsx(header, rows, "providers"), mimetype=XLSX, headers=disposition)


@bp.route("/<int:provider_id>", methods=["GET", "POST"])
@require_role(ZONE_ADMIN, CONSULTANT)
def show(provider_id: int):
    """Zone staff: members, firms, suspend. The lead: assign consultants to the provider's firms."""
    p = service.get_provider(current_user, provider_id)
    if request.method == "POST":
        f = request.form
        op = f.get("op")
        try:
            if op == "firms":
                out = service.assign_firms(current_user, p.id, service.parse(f.get("codes")))
                flash(_("已分配 %(n)s 家企业。", n=out.added), "success")
                if out.unknown:
                    flash(_("本园区没有这些信用代码的企业：%(codes)s", codes="、".join(out.unknown)), "warning")
            elif op == "member":
                service.add_member(current_user, p.id, f.get("email"), lead=f.get("lead") == "yes")
            elif op == "programme":
                out = service.assign_programme(current_user, p.id, form_id(f.get("programme")), f.get("sub_zone"),
                                               f.get("status"))
                flash(_("已分配 %(n)s 家企业。", n=out.added), "success")
                if out.unknown:
                    flash(_("名单中有 %(n)s 家企业尚未在本园区注册，未能分配。", n=len(out.unknown)), "warning")
            elif op == "remove_member":
                service.remove_member(current_user, p.id, form_id(f.get("user")))
            elif op == "active":
                service.set_active(current_user, p.id, f.get("active") == "yes")
            elif op == "assign":
                service.assign_consultant(current_user, p.id, form_id(f.get("consultant")), form_id(f.get("company")))
            elif op == "unassign":
                service.unassign_consultant(current_user, p.id, form_id(f.get("consultant")), form_id(f.get("company")))
            else:
                abort(400)
        except Refused as e:
            if e.status in (403, 404):
                abort(e.status)
            flash(str(e.message), "error")
        return redirect(url_for(".show", provider_id=p.id))
    return render_template("providers/show.html", p=p, members=service.members(p),
                           firms=service.firms(p, current_user if current_user.role == ZONE_ADMIN else None),
                           consultant_of=service.consultant_of(p), is_lead=manages_provider(current_user, p.id),
                           manages=service.manages(current_user, p), programmes=service.programme_choices(current_user, p),
                           statuses=PROGRAMME_STATUSES, scores=scores.provider_scores(p), figures=scores.FIGURES)
