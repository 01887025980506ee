from __future__ import annotations

from datetime import date

from flask import Blueprint, redirect, render_template, request, send_from_directory, session, url_for
from flask_login import current_user, login_required

import questionnaires

from ..access import assessments_query
from ..assessments.service import last_submitted
from ..extensions import db
from ..models import Assessment
from ..plans.service import due_soon

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for(".home"))
    return redirect(url_for("auth.login"))


@bp.get("/home")
@login_required
def home():
    recent = db.session.scalars(assessments_query(current_user).order_by(Assessment.updated_at.desc()).limit(10)).all()
    instruments = questionnaires.available()
    company = getattr(current_user, "company", None)
    # A new round can start from the last submission only where there is one.
    carry = {iid for iid in instruments if company and last_submitted(company.id, iid)}
    return render_template("home.html", recent=recent, instruments=instruments, carry=carry,
                           due=due_soon(current_user), today=date.today())


@bp.get("/lang/<code>")
def set_language(code: str):
    if code in ("zh", "en"):
        session["lang"] = code
    target = request.referrer or ""
    # Only return to a page of this site.
    if target.startswith(request.host_url):
        return redirect(target)
    return redirect(url_for(".index"))


@bp.get("/healthz")
def healthz():
    from ..health import check
    return check()


@bp.get("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/report-assets/<path:filename>")
def report_asset(filename: str):
    """The print stylesheet, so the browser preview uses the very CSS the PDF does."""
    from reports.render import ASSETS
    return send_from_directory(ASSETS, filename, max_age=3600)
