"""Zone staff's pages for people: accounts of the area, invitation codes, firms' closure requests."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import ZONE_ADMIN, require_role
from ..company import privacy
from ..errors import Refused
from ..i18n import current_lang
from ..inputs import parse_int
from . import service

bp = Blueprint("people", __name__, url_prefix="/zone")


def _refused(e: Refused, back: str):
    """403 and 404 as such (nothing to show of another area); anything else back to the page with the reason."""
    if e.status in (403, 404):
        abort(e.status)
    flash(str(e.message), "error")
    return redirect(back)


@bp.route("/people", methods=["GET", "POST"])
@require_role(ZONE_ADMIN)
def index():
    """Accounts of the area; invite a consultant or a staff member by mail."""
    if request.method == "POST":
        f = request.form
        try:
            user = service.invite(current_user, f.get("email"), f.get("name"), f.get("role"), f.get("lang") or current_lang())
        except Refused as e:
            return _refused(e, url_for(".index"))
        flash(_("邀请已发给 %(email)s。", email=user.email), "success")
        return redirect(url_for(".index"))
    role, q = request.args.get("role"), request.args.get("q", "")
    found = service.people(current_user, role, q, parse_int(request.args.get("page")) or 1)
    return render_template("people/index.html", found=found, role=role, q=q, is_pending=service.is_pending)


@bp.post("/people/<int:user_id>/deactivate", defaults={"op": "deactivate"})
@bp.post("/people/<int:user_id>/reactivate", defaults={"op": "reactivate"})
@require_role(ZONE_ADMIN)
def account(user_id: int, op: str):
    try:
        user = (service.deactivate_user if op == "deactivate" else service.reactivate_user)(current_user, user_id)
    except Refused as e:
        return _refused(e, url_for(".index"))
    flash(_("已停用 %(email)s，其登录和 API 令牌已失效。", email=user.email) if op == "deactivate"
          else _("已重新启用 %(email)s。", email=user.email), "success")
    return redirect(url_for(".index"))


@bp.route("/invites", methods=["GET", "POST"])
@require_role(ZONE_ADMIN)
def invites():
    """Invitation codes for firms: create with an expiry and a limit, see who registered with each."""
    if request.method == "POST":
        f = request.form
        try:
            expires_on = _date(f.get("expires_on"))
            max_uses = None if not (f.get("max_uses") or "").strip() else parse_int(f.get("max_uses"), 1, service.MAX_USES)
            if (f.get("max_uses") or "").strip() and max_uses is None:
                raise Refused(422, "bad_uses", _("使用次数上限应在1到%(n)s之间。", n=service.MAX_USES))
            row = service.create_code(current_user, f.get("code"), expires_on, max_uses)
        except Refused as e:
            return _refused(e, url_for(".invites"))
        flash(_("邀请码 %(code)s 已创建。", code=row.code), "success")
        return redirect(url_for(".invites"))
    return render_template("people/invites.html", rows=service.codes(current_user))


def _date(raw: str | None):
    from datetime import date
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        if not raw.isascii() or len(raw) > 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise Refused(422, "bad_date", _("请输入有效的日期（年-月-日）。")) from None


@bp.post("/invites/<int:invite_id>/expire")
@require_role(ZONE_ADMIN)
def expire(invite_id: int):
    try:
        row = service.expire_code(current_user, invite_id)
    except Refused as e:
        return _refused(e, url_for(".invites"))
    flash(_("邀请码 %(code)s 已失效。", code=row.code), "success")
    return redirect(url_for(".invites"))


@bp.get("/closures")
@require_role(ZONE_ADMIN)
def closures():
    """Firms' requests to close their accounts, and what a confirmation does in this zone."""
    zone = current_user.zone if current_user.area_id is None else None
    return render_template("people/closures.html", rows=privacy.closures(current_user), zone=zone)


@bp.post("/closures/mode")
@require_role(ZONE_ADMIN)
def closure_mode():
    try:
        privacy.set_mode(current_user, request.form.get("mode"))
    except Refused as e:
        return _refused(e, url_for(".closures"))
    flash(_("设置已保存。"), "success")
    return redirect(url_for(".closures"))


@bp.post("/closures/<int:closure_id>/confirm", defaults={"op": "confirm"})
@bp.post("/closures/<int:closure_id>/refuse", defaults={"op": "refuse"})
@require_role(ZONE_ADMIN)
def decide(closure_id: int, op: str):
    try:
        if op == "confirm":
            privacy.confirm(current_user, closure_id, request.form.get("confirmed") == "yes")
        else:
            privacy.refuse(current_user, closure_id, request.form.get("reason"))
    except Refused as e:
        return _refused(e, url_for(".closures"))
    flash(_("账号已注销。") if op == "confirm" else _("已拒绝注销申请，企业会收到理由。"), "success")
    return redirect(url_for(".closures"))
