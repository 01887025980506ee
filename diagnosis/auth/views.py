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
from ..errors import Refused
from ..extensions import db, limiter
from ..ids import form_id
from ..people.service import REGISTER_REFUSALS, accept_invite, user_for_invite
from . import service
from .forms import ForgotForm, LoginForm, PasswordForm, RegisterForm, ResetForm

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
        user = service.authenticate(form.email.data, form.password.data, request.remote_addr)
        db.session.commit()
        if user is not None:
            login_user(user)
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")) or url_for("main.home"))
        # One answer for an unknown address, a wrong password and a locked pair: nothing to learn from it.
        flash(_("邮箱或密码不正确。"), "error")
    return render_template("auth/login.html", form=form, instruments=questionnaires.available().values())


@bp.post("/logout")
@login_required
def logout():
    service.end_sessions(current_user)  # a cookie copied before logout ends with it
    db.session.commit()
    logout_user()
    return redirect(url_for("auth.login"))


REGISTER_PROBLEMS = {
    "invite": _l("邀请码无效，请向园区管理部门确认。"),
    "password_has_email": _l("密码不能包含邮箱名。"),
}


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        if email.split("@")[0] and email.split("@")[0] in form.password.data.lower():
            form.password.errors.append(str(REGISTER_PROBLEMS["password_has_email"]))
        else:
            done = service.register(form.invite_code.data, form.name.data, email, form.password.data)
            if not done.zone_found:
                form.invite_code.errors.append(str(REGISTER_PROBLEMS["invite"]))
            elif done.refused:
                db.session.commit()  # the refusal's audit event
                form.invite_code.errors.append(str(REGISTER_REFUSALS[done.refused]))
            else:
                db.session.commit()
                # The same answer whether the address was new or taken, so it cannot be probed.
                flash(_("注册已受理。请用该邮箱和密码登录；如该邮箱已有账号，请用原密码登录。"), "success")
                return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    """Change the password: every other session and every API token of the user ends."""
    form = PasswordForm()
    if form.validate_on_submit():
        if service.change_password(current_user, form.current.data, form.password.data):
            db.session.commit()
            login_user(current_user._get_current_object())  # this browser stays in, under the new session version
            session.permanent = True
            flash(_("密码已修改。其他设备上的登录和全部 API 令牌已失效。"), "success")
            return redirect(url_for("main.home"))
        form.current.errors.append(_("当前密码不正确。"))
    return render_template("auth/password.html", form=form)


@bp.get("/privacy")
def privacy():
    """The privacy notice a firm accepts at registration, with its version."""
    return render_template("auth/privacy.html", version=service.PRIVACY_VERSION)


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def forgot():
    """Ask for a reset link by mail; the answer is the same whether or not the address has an account."""
    form = ForgotForm()
    if form.validate_on_submit():
        service.request_reset(form.email.data)
        db.session.commit()
        flash(_("如果该邮箱已注册，重设密码的链接已发送到该邮箱，请在有效期内使用。"), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def reset(token: str):
    user = service.user_for_reset(token[:500])
    if user is None:
        return render_template("auth/reset_invalid.html"), 400
    form = ResetForm()
    if form.validate_on_submit():
        service.reset_password(user, form.password.data)
        db.session.commit()
        flash(_("密码已重设，请用新密码登录。其他设备上的登录和全部 API 令牌已失效。"), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def invite(token: str):
    """An invited consultant or staff member sets a password from the link in the mail."""
    user = user_for_invite(token[:500])
    if user is None:
        return render_template("auth/invite_invalid.html"), 400
    form = ResetForm()
    if form.validate_on_submit():
        try:
            accept_invite(token, form.password.data)
        except Refused:
            return render_template("auth/invite_invalid.html"), 400
        flash(_("密码已设置，请用邮箱和新密码登录。"), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/invite.html", form=form, user=user)


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
