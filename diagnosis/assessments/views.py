"""A firm's assessments on the web: start or resume, answer page by page (autosave), review,
submit, result, comments, report. Each view parses the request, calls one operation, renders."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import questionnaires
from reports.names import content_disposition

from .. import inputs
from ..access import ENTERPRISE, assessments_query, can_comment, can_edit, get_assessment, visible_comments
from ..answer_errors import ANSWER_ERRORS, answer_error_text, conflict_text
from ..audit import record
from ..errors import Refused
from ..extensions import db
from ..i18n import current_lang
from ..ids import form_id
from ..models import Assessment
from ..reporting import ensure_benchmark, render_report, report_html, report_name, result_context
from . import not_applicable, service
from . import review as review_service
from .forms import CommentsForm, page_form, posted_answers

bp = Blueprint("assessments", __name__, url_prefix="/assessments")


@bp.get("/")
@login_required
def index():
    rows = db.session.scalars(assessments_query(current_user).order_by(Assessment.updated_at.desc()).limit(200)).all()
    return render_template("assessments/index.html", assessments=rows, instruments=questionnaires.available(),
                           instrument_of=service.instrument_of)


@bp.post("/new")
@login_required
def new():
    """Start (or continue) a draft: a firm for itself, a consultant for an assigned firm on site."""
    if current_user.role == ENTERPRISE and current_user.company_id is None:
        flash(_("请先填写企业信息。"), "warning")
        return redirect(url_for("company.profile"))
    company_id = current_user.company_id if current_user.role == ENTERPRISE else form_id(request.form.get("company"))
    try:
        a, _created = service.start_or_resume(current_user, company_id, request.form.get("instrument", ""))
    except Refused as e:
        abort(e.status if e.code != "bad_company" else 404)
    return redirect(url_for(".page", assessment_id=a.id, n=service.resume_page(a)))


@bp.get("/<int:assessment_id>")
@login_required
def resume(assessment_id: int):
    a = get_assessment(current_user, assessment_id)
    if a.status == "submitted":
        return redirect(url_for(".result", assessment_id=a.id))
    return redirect(url_for(".page", assessment_id=a.id, n=service.resume_page(a)))


@bp.route("/<int:assessment_id>/page/<int:n>", methods=["GET", "POST"])
@login_required
def page(assessment_id: int, n: int):
    a = get_assessment(current_user, assessment_id)
    inst = service.instrument_of(a)
    if not 1 <= n <= len(inst.dimensions):
        abort(404)
    dim = inst.dimensions[n - 1]
    lang = current_lang()
    form = page_form(dim.questions, lang, a.answer_dict(), formdata=request.form if request.method == "POST" else None)
    errors: dict[str, str] = {}
    if request.method == "POST":
        form.validate()  # CSRF and type coercion; choices are checked by the save below
        if form.csrf_token.errors:
            abort(400)
        errors = {name: str(ANSWER_ERRORS["not_number"]) for name, errs in form.errors.items() if name != "csrf_token" and errs}
        seen = _form_versions(request.form.get("versions"))
        # A question missing from the versions the page was rendered with had no answer then.
        base = {q.id: seen.get(q.id, 0) for q in dim.questions} if seen is not None else None
        try:
            out = service.save(current_user, a.id, posted_answers(form, dim.questions), base)
        except Refused as e:
            abort(e.status)
        a = out.assessment
        errors.update({p.question: answer_error_text(p) for p in out.problems})
        errors.update({qid: conflict_text(inst, qid, c, lang) for qid, c in out.conflicts.items()})
        if not errors:
            return redirect(_after_page(a, n, len(inst.dimensions), request.form.get("go")))
    answers = a.answer_dict()
    done = service.completion(inst, answers)
    return render_template("assessments/page.html", a=a, inst=inst, dim=dim, n=n, form=form, errors=errors,
                           answers=answers, completion=done, hidden=done.hidden, editable=can_edit(current_user, a),
                           lang=lang, versions=service.versions(a))


def _after_page(a: Assessment, n: int, pages: int, go: str | None) -> str:
    if go == "prev" and n > 1:
        return url_for(".page", assessment_id=a.id, n=n - 1)
    if go == "next" and n < pages:
        return url_for(".page", assessment_id=a.id, n=n + 1)
    if go == "review":
        return url_for(".review", assessment_id=a.id)
    return url_for(".page", assessment_id=a.id, n=n)


def _form_versions(raw: str | None) -> dict | None:
    """The versions a page was rendered with (a hidden field); None if missing or tampered with."""
    try:
        return service.parse_base(inputs.loads(raw)) if raw else None  # depth-bounded: the page sends it
    except (ValueError, Refused):
        return None


@bp.post("/<int:assessment_id>/answers")
@login_required
def autosave(assessment_id: int):
    """Save answers as they are given; the page calls this on every change.

    The page sends the version of each answer it last saw; an answer changed
    elsewhere meanwhile (another tab, the consultant) is not overwritten but
    returned as a conflict with its current value, and the page shows it.
    """
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("answers"), dict):
        return jsonify(error=_("请求格式不正确：需要 {\"answers\": {...}}。")), 400
    try:
        out = service.save(current_user, assessment_id, payload["answers"], service.parse_base(payload.get("base")))
    except Refused as e:
        if e.status == 404:
            abort(404)
        return jsonify(error=str(e.message)), e.status
    lang, inst = current_lang(), out.instrument
    done = service.completion(inst, out.answers)
    body = {
        "saved": out.saved,
        "errors": {p.question: answer_error_text(p) for p in out.problems},
        "conflicts": {qid: {"value": row.value, "version": row.version, "message": conflict_text(inst, qid, row, lang)}
                      for qid, row in out.conflicts.items()},
        "versions": out.versions,
        "progress": {"answered": done.answered, "shown": done.shown, "percent": done.percent},
        # Questions not asked now (show_if, or skippable under the scoring method), for the page to hide.
        "not_asked": sorted(done.hidden),
        "saved_at": out.saved_at.isoformat(),
    }
    return jsonify(body), (409 if out.conflicts else 400 if out.problems else 200)


@bp.route("/<int:assessment_id>/review", methods=["GET", "POST"])
@login_required
def review(assessment_id: int):
    a = get_assessment(current_user, assessment_id)
    status = 200
    if request.method == "POST":
        try:
            service.submit_checked(current_user, a.id, pledge=request.form.get("pledge") == "yes",
                                   pledge_version=request.form.get("pledge_version"))
            flash(_("评估已提交，结果如下。"), "success")
            return redirect(url_for(".result", assessment_id=a.id))
        except Refused as e:
            if e.code not in ("incomplete", "pledge_required", "pledge_outdated"):
                abort(e.status)
            flash(str(e.message), "warning")
            status = 422 if e.code != "incomplete" else 200
    inst = service.instrument_of(a)
    done = service.completion(inst, a.answer_dict())
    page_of = {q.id: n for n, d in enumerate(inst.dimensions, start=1) for q in d.questions}
    missing = [(inst.question(qid), page_of[qid]) for qid in done.missing]
    pledge = review_service.current_pledge() if current_user.role == ENTERPRISE else None
    return render_template("assessments/review.html", a=a, inst=inst, completion=done, missing=missing,
                           editable=can_edit(current_user, a), lang=current_lang(), pledge=pledge), status


@bp.get("/<int:assessment_id>/result")
@login_required
def result(assessment_id: int):
    a = get_assessment(current_user, assessment_id)
    if a.result is None:
        return redirect(url_for(".resume", assessment_id=a.id))
    ensure_benchmark(a)
    return render_template("assessments/result.html", a=a, r=result_context(a, current_lang(), current_user),
                           can_comment=can_comment(current_user, a))


def _scored(assessment_id: int) -> Assessment:
    """A visible assessment that has a result, with its benchmark; otherwise 404."""
    a = get_assessment(current_user, assessment_id)
    if a.result is None:
        abort(404)
    ensure_benchmark(a)
    return a


@bp.route("/<int:assessment_id>/comments", methods=["GET", "POST"])
@login_required
def comments(assessment_id: int):
    a = get_assessment(current_user, assessment_id)
    if a.result is None:
        abort(404)
    form = CommentsForm(obj=a)
    if request.method == "POST":
        if not can_comment(current_user, a):
            abort(409 if a.finalised_at else 403)
        if form.validate_on_submit():
            if form.finalise.data and request.form.get("confirm") != "yes":
                # Finalising cannot be undone: keep the text as a draft and ask once more.
                service.write_comments(a, current_user, form.comments.data, finalise=False)
                return render_template("assessments/comments.html", a=a, form=form, editable=True, confirm=True)
            service.write_comments(a, current_user, form.comments.data, finalise=form.finalise.data)
            flash(_("报告已定稿，企业现在可以看到顾问意见。") if form.finalise.data else _("意见已保存（草稿）。"), "success")
            return redirect(url_for(".comments", assessment_id=a.id))
    return render_template("assessments/comments.html", a=a, form=form, editable=can_comment(current_user, a),
                           comments=visible_comments(current_user, a))


@bp.route("/<int:assessment_id>/not-applicable", methods=["GET", "POST"])
@login_required
def not_applicable_page(assessment_id: int):
    """The consultant marks capability subdomains 不适用, each with a reason."""
    a = get_assessment(current_user, assessment_id)
    subs = not_applicable.subdomains(a)
    if a.result is None or not subs:
        abort(404)
    status = 200
    if request.method == "POST":
        reasons = {i.id: request.form.get(f"reason-{i.id}", "") for i in subs if request.form.get(f"na-{i.id}")}
        try:
            not_applicable.mark(a, current_user, reasons)
            flash(_("已保存，结果已按标注重新计算。"), "success")
            return redirect(url_for(".result", assessment_id=a.id))
        except Refused as e:
            flash(str(e.message), "error")
            status = e.status
    return render_template("assessments/not_applicable.html", a=a, subs=subs, lang=current_lang(),
                           marked=a.not_applicable or {}, form=request.form,
                           editable=can_comment(current_user, a)), status


@bp.get("/<int:assessment_id>/report")
@login_required
def report_preview(assessment_id: int):
    """The PDF's own template in the browser, styled by the same print stylesheet."""
    a = _scored(assessment_id)
    other = "zh" if current_lang() == "en" else "en"
    nav = {"home": url_for("main.index"), "back": url_for(".result", assessment_id=a.id),
           "download": url_for(".report_pdf", assessment_id=a.id),
           "lang_url": url_for("main.set_language", code=other), "lang_name": "中文" if other == "zh" else "English"}
    return report_html(a, current_lang(), current_user, preview=url_for("main.report_asset", filename="report.css"),
                       preview_nav=nav)


@bp.get("/<int:assessment_id>/report.pdf")
@login_required
def report_pdf(assessment_id: int):
    a = _scored(assessment_id)
    variant = request.args.get("variant")
    if variant not in (None, "pdf/a-3b"):
        abort(400)
    resp = make_response(render_report(a, current_lang(), variant, viewer=current_user))
    resp.headers["Content-Type"] = "application/pdf"
    resp.headers["Content-Disposition"] = content_disposition(report_name(a, current_lang()), f"diagnosis-{a.id}.pdf")
    record("report", target=str(a.id))
    db.session.commit()
    return resp


@bp.get("/<int:assessment_id>/changes")
@login_required
def changes(assessment_id: int):
    """Every change to the answers: who, when, through what, from what to what."""
    a = get_assessment(current_user, assessment_id)
    return render_template("assessments/changes.html", a=a, rows=service.change_log(a, current_lang()))
