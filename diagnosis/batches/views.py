from __future__ import annotations

import sqlalchemy as sa
from flask import abort, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import questionnaires

from .. import current_lang
from ..extensions import db
from ..inputs import parse_int
from ..models import ReportBatch
from ..registry import SIZE_CLASSES, division
from . import bp, service


def _staff_only():
    if current_user.role not in ("consultant", "zone_admin"):
        abort(403)


def _visible(batch_id: int) -> ReportBatch:
    """A batch is seen by whoever started it and by the administrators of its zone."""
    batch = db.session.get(ReportBatch, batch_id)
    if batch is None or not (batch.created_by_id == current_user.id or
                             (current_user.role == "zone_admin" and batch.zone_id == current_user.zone_id)):
        abort(404)
    return batch


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    _staff_only()
    errors = {}
    if request.method == "POST":
        filters = {
            "instrument": request.form.get("instrument", ""),
            "industry": request.form.get("industry", "").strip(),
            "size": request.form.get("size", ""),
            "level": request.form.get("level", ""),
        }
        if filters["instrument"] not in questionnaires.available():
            errors["instrument"] = _("请选择评估工具。")
        if filters["industry"] and division(filters["industry"]) is None:
            errors["industry"] = _("行业代码应为国民经济行业分类的两位大类代码，如 34。")
        if filters["size"] and filters["size"] not in SIZE_CLASSES:
            errors["size"] = _("请选择企业规模。")
        if filters["level"] and parse_int(filters["level"], 0, 999) is None:
            errors["level"] = _("等级应为数字。")
        if not errors:
            batch = service.start(current_user, filters, current_lang())
            return redirect(url_for(".show", batch_id=batch.id))
    q = sa.select(ReportBatch).where(ReportBatch.created_by_id == current_user.id)
    if current_user.role == "zone_admin":
        q = sa.select(ReportBatch).where(ReportBatch.zone_id == current_user.zone_id)
    batches = db.session.scalars(q.order_by(ReportBatch.id.desc()).limit(50)).all()
    return render_template("batches/index.html", batches=batches, errors=errors, form=request.form,
                           instruments=questionnaires.available(), sizes=SIZE_CLASSES)


@bp.get("/<int:batch_id>")
@login_required
def show(batch_id: int):
    _staff_only()
    return render_template("batches/show.html", batch=_visible(batch_id))


@bp.get("/<int:batch_id>/status.json")
@login_required
def status(batch_id: int):
    _staff_only()
    b = _visible(batch_id)
    if service.reap([b.id]):  # a part whose worker died is queued again (or failed) while someone watches
        db.session.refresh(b)
    return jsonify(status=b.status, error=b.error, total=b.total, done=b.done, failures=b.failures,
                   download=url_for(".download", batch_id=b.id) if b.status == "done" else None)


@bp.get("/<int:batch_id>/download")
@login_required
def download(batch_id: int):
    _staff_only()
    b = _visible(batch_id)
    if b.status != "done" or not b.path:
        abort(404)
    return send_file(b.path, mimetype="application/zip", as_attachment=True, download_name=f"reports-{b.id}.zip")
