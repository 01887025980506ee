from __future__ import annotations

from urllib.parse import urlparse

import sqlalchemy as sa
from datetime import timedelta, timezone

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..audit import record
from ..ids import form_id
from ..extensions import db, limiter
from ..models import User, Zone, utcnow
from . import bp
from .forms import LoginForm, RegisterForm


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
        email = form.email.data.strip().lower()
        user = db.session.scalar(sa.select(User).where(User.email == email))
        now = utcnow()
        if user is not None and user.locked_until is not None and _aware(user.locked_until) > now:
            record("login_locked", target=email, user=user)
            db.session.commit()
            flash(_("登录失败次数过多，账号已暂时锁定，请 %(m)s 分钟后再试。", m=current_app.config["LOCKOUT_MINUTES"]), "error")
            return render_template("auth/login.html", form=form), 429
        if user is not None and user.check_password(form.password.data):
            user.failed_logins = 0
            user.locked_until = None
            record("login", target=email, user=user)
            db.session.commit()
            login_user(user)
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")) or url_for("main.home"))
        if user is not None:
            # Lock after several failures in a row, so a password cannot be guessed slowly either.
            user.failed_logins = (user.failed_logins or 0) + 1
            if user.failed_logins >= current_app.config["LOCKOUT_AFTER"]:
                user.locked_until = now + timedelta(minutes=current_app.config["LOCKOUT_MINUTES"])
                user.failed_logins = 0
                record("lockout", target=email, user=user)
        record("login_failed", target=email[:200], user=user or False)
        db.session.commit()
        flash(_("邮箱或密码不正确。"), "error")
    return render_template("auth/login.html", form=form)


def _aware(when):
    """SQLite hands back naive datetimes; they were stored in UTC."""
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        zone = db.session.scalar(sa.select(Zone).where(Zone.invite_code == form.invite_code.data.strip()))
        email = form.email.data.strip().lower()
        if zone is None:
            form.invite_code.errors.append(_("邀请码无效，请向园区管理部门确认。"))
        elif db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
            form.email.errors.append(_("该邮箱已注册，请直接登录。"))
        elif email.split("@")[0] and email.split("@")[0] in form.password.data.lower():
            form.password.errors.append(_("密码不能包含邮箱名。"))
        else:
            user = User(email=email, name=form.name.data.strip(), role="enterprise", zone_id=zone.id)
            user.set_password(form.password.data)
            db.session.add(user)
            db.session.commit()
            login_user(user)
            flash(_("注册成功，请填写企业信息。"), "success")
            return redirect(url_for("company.profile"))
    return render_template("auth/register.html", form=form)


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    """API tokens for integrators: made here, shown once, revocable."""
    from ..api.tokens import issue
    from ..models import ApiToken
    new_token = None
    if request.method == "POST":
        from flask_wtf.csrf import validate_csrf
        from wtforms import ValidationError
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError:
            return redirect(url_for(".tokens"))
        revoke = form_id(request.form.get("revoke"))
        if revoke:
            row = db.session.scalar(sa.select(ApiToken).where(ApiToken.id == revoke, ApiToken.user_id == current_user.id))
            if row is not None and row.revoked_at is None:
                row.revoked_at = utcnow()
                db.session.commit()
                flash(_("令牌已作废。"), "success")
            return redirect(url_for(".tokens"))
        new_token = issue(current_user, (request.form.get("name") or "").strip()[:100] or "api")
        db.session.commit()
    rows = db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())).all()
    return render_template("auth/tokens.html", tokens=rows, new_token=new_token)
