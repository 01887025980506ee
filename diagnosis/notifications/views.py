"""The bell: a user's notifications, and how they want to receive them."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from . import service
from .forms import SettingsForm

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    if request.method == "POST":
        from flask_wtf.csrf import validate_csrf
        validate_csrf(request.form.get("csrf_token"))
        service.mark_all_read(current_user)
        return redirect(url_for(".index"))
    return render_template("notifications/index.html", rows=service.latest(current_user))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    form = SettingsForm(data={"lang": current_user.lang or "zh", "notify_by_mail": current_user.notify_by_mail})
    if form.validate_on_submit():
        service.save_settings(current_user, form.lang.data, bool(form.notify_by_mail.data))
        flash(_("消息设置已保存。"), "success")
        return redirect(url_for(".settings"))
    return render_template("notifications/settings.html", form=form)


@bp.app_context_processor
def _bell() -> dict:
    """The unread count every page's header shows."""
    return {"unread_count": service.unread_count}
