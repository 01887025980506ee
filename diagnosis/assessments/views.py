from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from flask import abort, current_app, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

import questionnaires
from questionnaires.answers import AnswerError

from .. import current_lang
from ..audit import record
from ..access import assessments_query, can_edit, get_assessment, visible_company_ids
from ..ids import form_id
from ..extensions import db
from ..models import AnswerChange, Assessment, Company, InstrumentVersion, utcnow
from ..registry import industry_label
from . import bp, service
from .forms import CommentsForm, page_form, posted_answers
from reports.names import content_disposition


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
    if current_user.role == "enterprise":
        if current_user.company_id is None:
            flash(_("请先填写企业信息。"), "warning")
            return redirect(url_for("company.profile"))
        company_id = current_user.company_id
    elif current_user.role == "consultant":
        company_id = form_id(request.form.get("company"))
        if company_id is None or db.session.scalar(visible_company_ids(current_user).where(Company.id == company_id)) is None:
            abort(404)
    else:
        abort(403)
    instrument_id = request.form.get("instrument", "")
    if instrument_id not in questionnaires.available():
        abort(400)
    existing = db.session.scalar(
        assessments_query(current_user)
        .join(Assessment.instrument_version)
        .where(Assessment.company_id == company_id, Assessment.status == "draft",
               InstrumentVersion.instrument_id == instrument_id)
    )
    a = existing or service.start(company_id, instrument_id, current_user.id)
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
        seen = _base_versions(request.form.get("versions"))
        # A question missing from the versions the page was rendered with had no answer then.
        base = {q.id: seen.get(q.id, 0) for q in dim.questions} if seen is not None else None
        saved = _save(a.id, clean, base)
        if saved is None:
            abort(409)
        a, conflicts = saved
        errors.update({qid: conflict_text(inst, qid, c, lang) for qid, c in conflicts.items()})
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
                           answers=answers, completion=done, hidden=done.hidden, editable=editable, lang=lang,
                           versions=service.versions(a))


@bp.post("/<int:assessment_id>/answers")
@login_required
def autosave(assessment_id: int):
    """Save answers as they are given; the page calls this on every change.

    The page sends the version of each answer it last saw; an answer changed
    elsewhere meanwhile (another tab, the consultant) is not overwritten but
    returned as a conflict with its current value, and the page shows it.
    """
    a = get_assessment(current_user, assessment_id)
    if not can_edit(current_user, a):
        return jsonify(error=_("该评估已提交，不能再修改。")), 409
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("answers"), dict):
        return jsonify(error=_("请求格式不正确：需要 {\"answers\": {...}}。")), 400
    base = payload.get("base")
    if base is not None and not (isinstance(base, dict) and all(isinstance(v, int) and not isinstance(v, bool) for v in base.values())):
        return jsonify(error=_("请求格式不正确：base 应为题号到版本号的对象。")), 400
    inst = service.instrument_of(a)
    clean, problems = questionnaires.clean_answers(inst, payload["answers"])
    saved = _save(a.id, clean, base)
    if saved is None:
        return jsonify(error=_("同一道题正被同时保存，请稍后再试。")), 409
    a, conflicts = saved
    lang = current_lang()
    done = service.completion(inst, a.answer_dict())
    body = {
        "saved": sorted(k for k in clean if k not in conflicts),
        "errors": {p.question: answer_error_text(p) for p in problems},
        "conflicts": {qid: {"value": row.value, "version": row.version, "message": conflict_text(inst, qid, row, lang)}
                      for qid, row in conflicts.items()},
        "versions": service.versions(a),
        "progress": {"answered": done.answered, "shown": done.shown, "percent": done.percent},
        "saved_at": a.updated_at.isoformat(),
    }
    return jsonify(body), (409 if conflicts else 400 if problems else 200)


def _save(assessment_id: int, clean: dict, base: dict | None):
    """Save and commit; when a concurrent save of the same question wins the race (a unique
    or version clash in the database), read again and retry once, so the loser sees a conflict."""
    for _attempt in range(2):
        a = get_assessment(current_user, assessment_id)
        if not can_edit(current_user, a):
            return None
        try:
            saved = service.save_answers(a, clean, current_user.id, base=base)
            db.session.commit()
            return a, saved.conflicts
        except (IntegrityError, StaleDataError):
            db.session.rollback()
    return None


def _base_versions(raw: str | None) -> dict | None:
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        return None
    if isinstance(data, dict) and all(isinstance(v, int) for v in data.values()):
        return data
    return None


def conflict_text(inst, qid: str, row, lang: str) -> str:
    from reports.context import answer_text
    who = row.updated_by.name if row.updated_by else _("其他人")
    return _("这道题刚被%(who)s改为“%(value)s”，您的修改没有覆盖它。如仍要修改，请重新作答。",
             who=who, value=answer_text(inst, qid, row.value, lang))


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
    ensure_benchmark(a)
    if current_user.role != "enterprise":
        record("view_result", target=str(a.id))
        db.session.commit()
    ctx = firm_context(service.instrument_of(a), _result_dict(a), _company_dict(a.company, current_lang()), current_lang(),
                       answers=a.answer_dict(), assessment_date=a.submitted_at, **report_extras(a, current_user))
    return render_template("assessments/result.html", a=a, r=ctx, can_comment=can_comment(current_user, a))


def scored_assessment(assessment_id: int) -> Assessment:
    """A visible assessment that has a result, with its benchmark; otherwise 404."""
    a = get_assessment(current_user, assessment_id)
    if a.result is None:
        abort(404)
    ensure_benchmark(a)
    return a


def ensure_benchmark(a: Assessment) -> None:
    """Large demo seeds leave benchmarks to be computed when a result is first opened."""
    if a.result is not None and "benchmark" not in a.result.details:
        from ..benchmarks import store_benchmark
        store_benchmark(a)
        db.session.commit()


def can_comment(user, a: Assessment) -> bool:
    """The firm's assigned consultant writes the comments, until they finalise the report."""
    return user.role == "consultant" and a.status == "submitted" and a.finalised_at is None


def report_extras(a: Assessment, viewer) -> dict:
    """Consultant and comments for the report. The firm sees comments once they are final;
    consultants and zone staff also see a draft, marked as such."""
    consultant = a.finalised_by.name if a.finalised_by else service.consultant_name(a.company_id)
    final = a.finalised_at is not None
    show = final or viewer is None or viewer.role != "enterprise"
    return {"consultant": consultant, "comments": a.comments if show else None, "comments_final": final,
            "report_no": service.report_number(a), "previous": service.previous_result(a)}


def report_name(a: Assessment, lang: str) -> str:
    """The PDF's file name: firm, instrument and date."""
    from reports.names import report_filename
    when = (a.submitted_at or a.updated_at).strftime("%Y-%m-%d")
    return report_filename(a.company.name, service.instrument_of(a).title.get(lang), when)


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
            a.comments = form.comments.data.strip() or None
            if form.finalise.data and request.form.get("confirm") != "yes":
                # Finalising cannot be undone: keep the text as a draft and ask once more.
                db.session.commit()
                return render_template("assessments/comments.html", a=a, form=form, editable=True, confirm=True)
            if form.finalise.data:
                a.finalised_at = utcnow()
                a.finalised_by_id = current_user.id
                flash(_("报告已定稿，企业现在可以看到顾问意见。"), "success")
            else:
                flash(_("意见已保存（草稿）。"), "success")
            db.session.commit()
            return redirect(url_for(".comments", assessment_id=a.id))
    return render_template("assessments/comments.html", a=a, form=form, editable=can_comment(current_user, a))


@bp.get("/<int:assessment_id>/report")
@login_required
def report_preview(assessment_id: int):
    """The PDF's own template in the browser, styled by the same print stylesheet."""
    a = scored_assessment(assessment_id)
    other = "zh" if current_lang() == "en" else "en"
    nav = {"home": url_for("main.index"), "back": url_for(".result", assessment_id=a.id),
           "download": url_for(".report_pdf", assessment_id=a.id),
           "lang_url": url_for("main.set_language", code=other), "lang_name": "中文" if other == "zh" else "English"}
    return report_html(a, current_lang(), current_user, preview=url_for("main.report_asset", filename="report.css"),
                       preview_nav=nav)


@bp.get("/<int:assessment_id>/report.pdf")
@login_required
def report_pdf(assessment_id: int):
    a = scored_assessment(assessment_id)
    variant = request.args.get("variant")
    if variant not in (None, "pdf/a-3b"):
        abort(400)
    pdf = render_report(a, current_lang(), variant, viewer=current_user)
    resp = make_response(pdf)
    resp.headers["Content-Type"] = "application/pdf"
    resp.headers["Content-Disposition"] = content_disposition(report_name(a, current_lang()), f"diagnosis-{a.id}.pdf")
    record("report", target=str(a.id))
    db.session.commit()
    return resp


def render_report(a: Assessment, lang: str, variant: str | None = None, viewer=None) -> bytes:
    """The firm's PDF report, from the render cache when nothing changed."""
    from reports.cache import cached_pdf
    return cached_pdf(report_html(a, lang, viewer), current_app.config["REPORT_CACHE_DIR"], variant)


def report_html(a: Assessment, lang: str, viewer, preview: str | None = None, preview_nav: dict | None = None) -> str:
    """The firm report's HTML, for the PDF and (with the stylesheet's URL) for the browser."""
    from reports import firm_report_html
    return firm_report_html(service.instrument_of(a), _result_dict(a), _company_dict(a.company, lang), lang,
                            answers=a.answer_dict(), assessment_date=a.submitted_at, preview=preview,
                            preview_nav=preview_nav, **report_extras(a, viewer))


def _result_dict(a: Assessment) -> dict:
    r = a.result
    return {"total": r.total, "level": r.level, "method": r.method, "dimensions": r.dimensions, **r.details}


def _company_dict(c: Company, lang: str) -> dict:
    return {"name": c.name, "uscc": c.uscc, "industry_division": c.industry_division,
            "industry": industry_label(c.industry_division, lang), "size_class": c.size_class,
            "employees": c.employees, "revenue": c.revenue, "zone": c.zone.name}


@bp.get("/<int:assessment_id>/changes")
@login_required
def changes(assessment_id: int):
    """Every change to the answers: who, when, through what, from what to what."""
    a = get_assessment(current_user, assessment_id)
    inst = service.instrument_of(a)
    rows = db.session.scalars(sa.select(AnswerChange).where(AnswerChange.assessment_id == a.id)
                              .order_by(AnswerChange.at.desc(), AnswerChange.id.desc()).limit(500)).all()
    from reports.context import answer_text
    lang = current_lang()
    shown = [{"at": r.at, "who": r.user.name if r.user else "—", "role": r.user.role if r.user else "", "via": r.via,
              "question": inst.question(r.question_id).label(lang) if inst.question(r.question_id) else r.question_id,
              "old": answer_text(inst, r.question_id, r.old_value, lang), "new": answer_text(inst, r.question_id, r.new_value, lang)}
             for r in rows]
    return render_template("assessments/changes.html", a=a, rows=shown)

