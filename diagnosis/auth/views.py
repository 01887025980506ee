"""Login, logout, registration and the API token page."""
from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

import questionnaires

from ..api import tokens as api_tokens
from ..extensions import db, limiter
from ..ids import form_id
from . import service
from .forms import LoginForm, RegisterForm

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths, so a crafted link cannot bounce a user elsewhere after login."""
    if not target:
        return None
    parts = urlparse(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        outcome = service.authenticate(form.email.data, form.password.data)
        if outcome.locked:
            flash(_("登录失败次数过多，账号已暂时锁定，请 %(m)s 分钟后再试。", m=current_app.config["LOCKOUT_MINUTES"]), "error")
            return render_template("auth/login.html", form=form, instruments=questionnaires.available().values()), 429
        if outcome.user is not None:
            login_user(outcome.user)
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")) or url_for("main.home"))
        flash(_("邮箱或密码不正确。"), "error")
    return render_template("auth/login.html", form=form, instruments=questionnaires.available().values())


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("auth.login"))


REGISTER_PROBLEMS = {
    "invite": _l("邀请码无效，请向园区管理部门确认。"),
    "email_taken": _l("该邮箱已注册，请直接登录。"),
    "password_has_email": _l("密码不能包含邮箱名。"),
}


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        done = service.register(form.invite_code.data, form.email.data, form.name.data, form.password.data)
        if done.user is not None:
            login_user(done.user)
            flash(_("注册成功，请填写企业信息。"), "success")
            return redirect(url_for("company.profile"))
        getattr(form, done.field).errors.append(str(REGISTER_PROBLEMS[done.problem]))
    return render_template("auth/register.html", form=form)


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    """API tokens for integrators: made here, shown once, revocable."""
    new_token = None
    if request.method == "POST":
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError:
            return redirect(url_for(".tokens"))
        revoke = form_id(request.form.get("revoke"))
        if revoke:
            if api_tokens.revoke(current_user, revoke):
                flash(_("令牌已作废。"), "success")
            return redirect(url_for(".tokens"))
        new_token = api_tokens.issue(current_user, (request.form.get("name") or "").strip()[:100] or "api")
        db.session.commit()
    return render_template("auth/tokens.html", tokens=api_tokens.of_user(current_user), new_token=new_token)
