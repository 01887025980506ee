"""Report batches: staff ask for every matching firm's report and download one ZIP."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user

import questionnaires

from ..access import STAFF, ZONE_ADMIN, require_role, staff_scope
from ..errors import Refused
from ..extensions import db
from ..i18n import current_lang
from ..industries import SIZE_CLASSES
from ..models import ReportBatch
from ..zone.filters import BadFilter, parse
from . import service

bp = Blueprint("batches", __name__, url_prefix="/reports/batches")


def _visible(batch_id: int) -> ReportBatch:
    """A batch is seen by whoever started it and by the administrators of its zone."""
    batch = service.find_batch(current_user, batch_id)
    if batch is None:
        abort(404)
    return batch


@bp.route("/", methods=["GET", "POST"])
@require_role(*STAFF)
def index():
    errors = {}
    if request.method == "POST":
        try:
            f, drill = parse(request.form, staff_scope(current_user) if current_user.role == ZONE_ADMIN
                             else current_user.zone_id)
        except BadFilter as e:
            errors = e.errors
        else:
            try:
                batch = service.start(current_user, service.filters_of(f, drill), current_lang(), request.form.get("zone"))
            except Refused:
                abort(404)  # a zone beside or above the user's area
            return redirect(url_for(".show", batch_id=batch.id))
    return render_template("batches/index.html", batches=service.visible_batches(current_user), errors=errors,
                           form=request.form, instruments=questionnaires.available(), sizes=SIZE_CLASSES,
                           zones=service.zones_of(current_user) if current_user.zone_id is None else [])


@bp.get("/<int:batch_id>")
@require_role(*STAFF)
def show(batch_id: int):
    return render_template("batches/show.html", batch=_visible(batch_id))


@bp.get("/<int:batch_id>/status.json")
@require_role(*STAFF)
def status(batch_id: int):
    b = _visible(batch_id)
    if service.reap([b.id]):  # a part whose worker died is queued again (or failed) while someone watches
        db.session.refresh(b)
    return jsonify(status=b.status, error=b.error, total=b.total, done=b.done, failures=b.failures,
                   download=url_for(".download", batch_id=b.id) if b.status == "done" else None)


@bp.get("/<int:batch_id>/download")
@require_role(*STAFF)
def download(batch_id: int):
    b = _visible(batch_id)
    if b.status != "done" or not b.path:
        abort(404)
    return send_file(b.path, mimetype="application/zip", as_attachment=True, download_name=f"reports-{b.id}.zip")
