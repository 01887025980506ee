from __future__ import annotations

from flask import abort, current_app, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

import questionnaires
from questionnaires.answers import AnswerError

from .. import current_lang
from ..access import assessments_query, can_edit, get_assessment
from ..extensions import db
from ..models import Assessment, Company, InstrumentVersion
from ..registry import industry_label
from . import bp, service
from .forms import page_form, posted_answers


@bp.get("/")
@login_required
def index():
    rows = db.session.scalars(assessments_query(current_user).order_by(Assessment.updated_at.desc()).limit(200)).all()
    return render_template("assessments/index.html", assessments=rows, instruments=questionnaires.available(),
                           instrument_of=service.instrument_of)


@bp.post("/new")
@login_required
def new():
    if current_user.role != "enterprise":
        abort(403)
    if current_user.company_id is None:
        flash(_("请先填写企业信息。"), "warning")
        return redirect(url_for("company.profile"))
    instrument_id = request.form.get("instrument", "")
    if instrument_id not in questionnaires.available():
        abort(400)
    existing = db.session.scalar(
        assessments_query(current_user)
        .join(Assessment.instrument_version)
        .where(Assessment.status == "draft", InstrumentVersion.instrument_id == instrument_id)
    )
    a = existing or service.start(current_user.company_id, instrument_id, current_user.id)
    db.session.commit()
    return redirect(url_for(".page", assessment_id=a.id, n=_resume_page(a)))


def _resume_page(a: Assessment) -> int:
    """The first page with an unanswered question, so a returning user lands where they left."""
    inst = service.instrument_of(a)
    missing = set(service.completion(inst, a.answer_dict()).missing)
    for n, dim in enumerate(inst.dimensions, start=1):
        if any(q.id in missing for q in dim.questions):
            return n
    return len(inst.dimensions)


@bp.get("/<int:assessment_id>")
@login_required
def resume(assessment_id: int):
    a = get_assessment(current_user, assessment_id)
    if a.status == "submitted":
        return redirect(url_for(".result", assessment_id=a.id))
    return redirect(url_for(".page", assessment_id=a.id, n=_resume_page(a)))


@bp.route("/<int:assessment_id>/page/<int:n>", methods=["GET", "POST"])
@login_required
def page(assessment_id: int, n: int):
    a = get_assessment(current_user, assessment_id)
    inst = service.instrument_of(a)
    if not 1 <= n <= len(inst.dimensions):
        abort(404)
    editable = can_edit(current_user, a)
    dim = inst.dimensions[n - 1]
    lang = current_lang()
    answers = a.answer_dict()
    form = page_form(dim.questions, lang, answers, formdata=request.form if request.method == "POST" else None)
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not editable:
            abort(409)
        form.validate()  # CSRF and type coercion; choices are checked by clean_answers below
        if form.csrf_token.errors:
            abort(400)
        errors = {name: str(ANSWER_ERRORS["not_number"]) for name, errs in form.errors.items() if name != "csrf_token" and errs}
        clean, problems = questionnaires.clean_answers(inst, posted_answers(form, dim.questions))
        errors.update({p.question: answer_error_text(p) for p in problems})
        service.save_answers(a, clean, current_user.id)
        db.session.commit()
        if not errors:
            go = request.form.get("go")
            if go == "prev" and n > 1:
                return redirect(url_for(".page", assessment_id=a.id, n=n - 1))
            if go == "next" and n < len(inst.dimensions):
                return redirect(url_for(".page", assessment_id=a.id, n=n + 1))
            if go == "review":
                return redirect(url_for(".review", assessment_id=a.id))
            return redirect(url_for(".page", assessment_id=a.id, n=n))
        answers = a.answer_dict()
    done = service.completion(inst, answers)
    return render_template("assessments/page.html", a=a, inst=inst, dim=dim, n=n, form=form, errors=errors,
                           answers=answers, completion=done, hidden=done.hidden, editable=editable, lang=lang)


@bp.post("/<int:assessment_id>/answers")
@login_required
def autosave(assessment_id: int):
    """Save answers as they are given; the page calls this on every change."""
    a = get_assessment(current_user, assessment_id)
    if not can_edit(current_user, a):
        return jsonify(error=_("该评估已提交，不能再修改。")), 409
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("answers"), dict):
        return jsonify(error=_("请求格式不正确：需要 {\"answers\": {...}}。")), 400
    inst = service.instrument_of(a)
    clean, problems = questionnaires.clean_answers(inst, payload["answers"])
    service.save_answers(a, clean, current_user.id)
    db.session.commit()
    done = service.completion(inst, a.answer_dict())
    body = {
        "saved": sorted(clean),
        "errors": {p.question: answer_error_text(p) for p in problems},
        "progress": {"answered": done.answered, "shown": done.shown, "percent": done.percent},
        "saved_at": a.updated_at.isoformat(),
    }
    return jsonify(body), (400 if problems else 200)


ANSWER_ERRORS = {
    "not_object": _l("答案格式不正确。"),
    "unknown_question": _l("没有这道题。"),
    "not_option": _l("请从给出的选项中选择。"),
    "not_list": _l("请从给出的选项中选择。"),
    "not_number": _l("请输入数字。"),
    "not_integer": _l("请输入整数。"),
    "out_of_range": _l("请输入 %(min)s 到 %(max)s 之间的数。"),
    "not_bool": _l("请选择“是”或“否”。"),
    "not_text": _l("请输入文字。"),
    "too_long": _l("不能超过 %(max)s 个字。"),
}


def answer_error_text(p: AnswerError) -> str:
    return str(ANSWER_ERRORS[p.code]) % p.params if p.params else str(ANSWER_ERRORS[p.code])


@bp.route("/<int:assessment_id>/review", methods=["GET", "POST"])
@login_required
def review(assessment_id: int):
    a = get_assessment(current_user, assessment_id)
    inst = service.instrument_of(a)
    done = service.completion(inst, a.answer_dict())
    if request.method == "POST":
        if not can_edit(current_user, a):
            abort(409)
        if not done.missing:
            service.submit(a)
            db.session.commit()
            flash(_("评估已提交，结果如下。"), "success")
            return redirect(url_for(".result", assessment_id=a.id))
        flash(_("还有必答题未填写，请补全后再提交。"), "warning")
    page_of = {q.id: n for n, d in enumerate(inst.dimensions, start=1) for q in d.questions}
    missing = [(inst.question(qid), page_of[qid]) for qid in done.missing]
    return render_template("assessments/review.html", a=a, inst=inst, completion=done, missing=missing,
                           editable=can_edit(current_user, a), lang=current_lang())


@bp.get("/<int:assessment_id>/result")
@login_required
def result(assessment_id: int):
    a = get_assessment(current_user, assessment_id)
    if a.result is None:
        return redirect(url_for(".resume", assessment_id=a.id))
    from reports.context import firm_context
    ctx = firm_context(service.instrument_of(a), _result_dict(a), _company_dict(a.company, current_lang()), current_lang(),
                       answers=a.answer_dict(), assessment_date=a.submitted_at)
    return render_template("assessments/result.html", a=a, r=ctx)


@bp.get("/<int:assessment_id>/report.pdf")
@login_required
def report_pdf(assessment_id: int):
    a = get_assessment(current_user, assessment_id)
    if a.result is None:
        abort(404)
    variant = request.args.get("variant")
    if variant not in (None, "pdf/a-3b"):
        abort(400)
    pdf = render_report(a, current_lang(), variant)
    resp = make_response(pdf)
    resp.headers["Content-Type"] = "application/pdf"
    resp.headers["Content-Disposition"] = f"attachment; filename=diagnosis-{a.id}.pdf"
    current_app.logger.info("report generated assessment=%s user=%s", a.id, current_user.id)
    return resp


def render_report(a: Assessment, lang: str, variant: str | None = None) -> bytes:
    """The firm's PDF report, from the render cache when nothing changed."""
    from reports import firm_report_html
    from reports.cache import cached_pdf
    html = firm_report_html(service.instrument_of(a), _result_dict(a), _company_dict(a.company, lang), lang,
                            answers=a.answer_dict(), assessment_date=a.submitted_at)
    return cached_pdf(html, current_app.config["REPORT_CACHE_DIR"], variant)


def _result_dict(a: Assessment) -> dict:
    r = a.result
    return {"total": r.total, "level": r.level, "method": r.method, "dimensions": r.dimensions, **r.details}


def _company_dict(c: Company, lang: str) -> dict:
    return {"name": c.name, "uscc": c.uscc, "industry_division": c.industry_division,
            "industry": industry_label(c.industry_division, lang), "size_class": c.size_class,
            "employees": c.employees, "revenue": c.revenue, "zone": c.zone.name}
