"""Programme pages for zone staff, and the firm's personal link. Views parse, call one operation, render."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

import questionnaires

from ..access import ZONE_ADMIN, require_role
from ..errors import Refused
from ..i18n import current_lang
from ..imports import ImportRejected
from . import forms, ledger, roster, service, targets, tasks  # noqa: F401  (tasks: registers the reminder round)

bp = Blueprint("programmes", __name__, url_prefix="/programmes")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/", methods=["GET", "POST"])
@require_role(ZONE_ADMIN)
def index():
    """The area's programmes and targets; a new programme."""
    if request.method == "POST":
        try:
            p = service.create(current_user, forms.programme_form(request.form))
        except Refused as e:
            flash(str(e.message), "error")
            return redirect(url_for(".index"))
        return redirect(url_for(".detail", programme_id=p.id))
    return render_template("programmes/index.html", programmes=service.listing(current_user),
                           evaluated=targets.of_user(current_user), instruments=questionnaires.available(),
                           names=targets.INDICATOR_NAMES, natures=targets.NATURE_NAMES)


def _labels(p) -> dict:
    return {"statuses": service.STATUSES, "status_names": service.STATUS_NAMES, "decision_names": service.DECISION_NAMES,
            "names": targets.INDICATOR_NAMES, "natures": targets.NATURE_NAMES, "instrument": questionnaires.get(p.instrument_id)}


@bp.get("/<int:programme_id>")
@require_role(ZONE_ADMIN)
def detail(programme_id: int):
    shown = service.page(current_user, programme_id, request.args.get("status") or None)
    return render_template("programmes/detail.html", **shown, **_labels(shown["p"]), errors=[])


@bp.post("/<int:programme_id>/roster")
@require_role(ZONE_ADMIN)
def import_roster(programme_id: int):
    upload = request.files.get("file")
    try:
        done = service.import_roster(current_user, programme_id, upload.read() if upload else b"")
    except ImportRejected as e:
        shown = service.page(current_user, programme_id)
        return render_template("programmes/detail.html", **shown, **_labels(shown["p"]),
                               errors=[err.to_dict() for err in e.errors]), 422
    flash(_("已导入 %(n)s 家企业，其中 %(m)s 家已在平台注册。", n=done.added, m=done.matched), "success")
    return redirect(url_for(".detail", programme_id=programme_id))


@bp.post("/<int:programme_id>/launch")
@require_role(ZONE_ADMIN)
def launch(programme_id: int):
    done = service.launch(current_user, programme_id)
    flash(_("项目已启动：发出 %(n)s 封邀请；%(m)s 家企业没有邮箱。", n=done.invited, m=done.without_email), "success")
    return redirect(url_for(".detail", programme_id=programme_id))


@bp.post("/<int:programme_id>/targets")
@require_role(ZONE_ADMIN)
def add_target(programme_id: int):
    try:
        targets.set_target(current_user, forms.target_form(request.form, programme_id))
        flash(_("目标已保存。"), "success")
    except Refused as e:
        flash(str(e.message), "error")
    return redirect(url_for(".detail", programme_id=programme_id))


@bp.get("/<int:programme_id>/ledger.xlsx")
@require_role(ZONE_ADMIN)
def ledger_xlsx(programme_id: int):
    name, data = ledger.build(current_user, programme_id, current_lang())
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.get("/roster-template.xlsx")
@require_role(ZONE_ADMIN)
def roster_template():
    return Response(roster.template(current_lang()), mimetype=XLSX,
                    headers={"Content-Disposition": "attachment; filename=roster-template.xlsx"})


JOIN_PROBLEMS = {"password_has_email": _l("密码不能包含邮箱名。"),
                 "firm_registered": _l("这家企业已有账号，请用该账号登录。"),
                 "incomplete": _l("请填写姓名和有效的邮箱。"),
                 "privacy": _l("注册前请阅读并同意《个人信息保护说明》。")}


@bp.route("/join/<token>", methods=["GET", "POST"])
def join(token: str):
    """A roster firm's personal link: straight into the programme's assessment, through login or registration."""
    if request.method == "POST":
        try:
            employees, revenue = forms.join_numbers(request.form)
            password = forms.join_password(request.form)
            done = service.register_through_link(token, email=(request.form.get("email") or "")[:254],
                                                 name=(request.form.get("name") or "")[:100], password=password,
                                                 employees=employees, revenue=revenue,
                                                 privacy=request.form.get("privacy") == "y")
        except Refused as e:
            if e.status == 404:
                raise
            flash(str(e.message), "error")
            return redirect(url_for(".join", token=token))
        if not done.accepted:
            flash(str(JOIN_PROBLEMS[done.problem]), "error")
            return redirect(url_for(".join", token=token))
        # The same answer whether the address was new or taken, so it cannot be probed: log in,
        # and the link then opens the programme's assessment.
        flash(_("注册已受理。请用该邮箱和密码登录；如该邮箱已有账号，请用原密码登录。"), "success")
        return redirect(url_for("auth.login", next=url_for(".join", token=token)))
    opened = service.open_link(token, current_user if current_user.is_authenticated else None)
    if opened.outcome == "assessment":
        return redirect(url_for("assessments.page", assessment_id=opened.assessment_id, n=1))
    if opened.outcome == "login":
        return redirect(url_for("auth.login", next=url_for(".join", token=token)))
    return render_template("programmes/join.html", opened=opened, token=token), (403 if opened.outcome == "wrong_user" else 200)
