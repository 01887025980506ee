"""Zone staff's on-site sample draws: draw, list, record each check's outcome."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import questionnaires

from ..access import ZONE_ADMIN, require_role
from ..errors import Refused
from ..ids import form_id
from . import sampling

bp = Blueprint("samples", __name__, url_prefix="/zone")


@bp.route("/samples", methods=["GET", "POST"])
@require_role(ZONE_ADMIN)
def samples():
    status = 200
    if request.method == "POST":
        f = request.form
        try:
            d = sampling.draw(current_user, {"instrument": f.get("instrument"), "stratum": f.get("stratum"),
                                             "share": f.get("share"), "count": f.get("count"),
                                             "states": f.getlist("states"), "only": f.get("only", "").strip() or None,
                                             "programme": form_id(f.get("programme")) if f.get("programme") else None},
                              f.get("seed"))
            flash(_("已抽取 %(n)s 家企业。", n=len(d.drawn)), "success")
            return redirect(url_for(".sample", draw_id=d.id))
        except Refused as e:
            flash(str(e.message), "error")
            status = e.status
    return render_template("zone/samples.html", draws=sampling.draws(current_user), instruments=questionnaires.available(),
                           default_share=sampling.DEFAULT_SHARE, programmes=sampling.programme_choices(current_user),
                           can_draw=current_user.zone_id is not None), status


@bp.route("/samples/<int:draw_id>", methods=["GET", "POST"])
@require_role(ZONE_ADMIN)
def sample(draw_id: int):
    try:
        d = sampling.get_draw(current_user, draw_id)
        if request.method == "POST":
            sampling.record_outcome(current_user, d.id, form_id(request.form.get("check")), request.form.get("outcome"),
                                    request.form.get("note"))
            flash(_("已记录。"), "success")
            return redirect(url_for(".sample", draw_id=d.id))
    except Refused as e:
        if e.status in (403, 404):
            abort(e.status)
        flash(str(e.message), "error")
    stratum_names = {"": _("不分层"), "size": _("规模"), "industry": _("行业"), "sub_zone": _("片区")}
    return render_template("zone/sample.html", d=d, checks=sampling.checks(d, current_user), stratum_names=stratum_names,
                           can_record=sampling.can_record(current_user, d), programme=sampling.programme_of(d),
                           reproduced=sampling.redraw(d.population, d.rule, d.seed) == d.drawn)
