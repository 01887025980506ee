"""The review pages: pledge, on-site verification with evidence, the zone's review, evidence downloads.
Each view parses the request, calls one operation of review.py or evidence.py, renders."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from reports.context import answer_text

from ..access import allowed_actions, get_assessment
from ..errors import Refused
from ..i18n import current_lang
from ..ids import form_id
from ..providers.scores import rating_of
from . import evidence, review, service

# Its own blueprint under the same /assessments URLs: the review pages, apart from answering.
bp = Blueprint("review", __name__, url_prefix="/assessments")


def _posted_value(q, form):
    """A corrected answer as the form sends it, typed as the instrument expects; the service validates it."""
    if q.type == "multi":
        return form.getlist("value")
    raw = form.get("value", "")
    if q.type == "yesno":
        return {"true": True, "false": False}.get(raw, raw)
    if q.type == "number":
        try:
            return float(raw) if raw.strip() else None
        except ValueError:
            return raw
    return raw or None


def _back(a, anchor: str = "") -> Response:
    return redirect(url_for(".verification", assessment_id=a.id) + anchor)


def _refused(e: Refused, a, anchor: str = ""):
    """A refused step: 403/404 as such, anything else back to the page with the reason."""
    if e.status in (403, 404):
        abort(e.status)
    flash(str(e.message), "error")
    return _back(a, anchor), 303


@bp.get("/<int:assessment_id>/verification")
@login_required
def verification(assessment_id: int):
    a = get_assessment(current_user, assessment_id)
    if a.result is None:
        return redirect(url_for("assessments.resume", assessment_id=a.id))
    return render_template("assessments/verification.html", a=a, inst=service.instrument_of(a), lang=current_lang(),
                           answers=a.answer_dict(), checks=review.verifications(a), files=evidence.of_assessment(a),
                           events=review.history(a), open_comments={e.id for e in review.unanswered(a)},
                           actions=allowed_actions(current_user, a), state=review.state_of(a),
                           state_names=review.STATE_NAMES, pledge_text=review.PLEDGE_TEXT[review.PLEDGE_VERSION],
                           action_name=lambda k: review.ACTION_NAMES.get(k, k), rating=rating_of(a),
                           revisions=review.revisions(a), notes=review.notes(a),
                           answer_label=lambda inst, qid, v: answer_text(inst, qid, v, current_lang()))


@bp.post("/<int:assessment_id>/verification/<action>")
@login_required
def review_action(assessment_id: int, action: str):
    """One transition of the review; a refused one answers with its status and changes nothing."""
    a = get_assessment(current_user, assessment_id)
    f = request.form
    try:
        if action == "pledge":
            review.pledge(current_user, a.id, f.get("pledge") == "yes")
        elif action == "start":
            review.start_verification(current_user, a.id)
        elif action == "send":
            review.send_for_review(current_user, a.id)
        elif action == "return":
            comments = [{"question": q, "text": t} for q, t in zip(f.getlist("comment_question"),
                                                                   f.getlist("comment_text")) if q and t.strip()]
            review.review_return(current_user, a.id, f.get("text"), comments)
        elif action == "reply":
            review.reply(current_user, a.id, form_id(f.get("event")), f.get("text"))
        elif action in ("approve", "reject"):
            review.decide(current_user, a.id, action, f.get("text"))
        elif action == "reopen":
            new = review.reopen(current_user, a.id, f.get("text"))
            flash(_("已新建修订版，原结果保留。"), "success")
            return redirect(url_for("assessments.page", assessment_id=new.id, n=1))
        else:
            abort(404)
    except Refused as e:
        return _refused(e, a)
    flash(_("已保存。"), "success")
    return _back(a)


@bp.post("/<int:assessment_id>/verification/question/<question_id>")
@login_required
def verify_question(assessment_id: int, question_id: str):
    """The consultant confirms or corrects one answer, optionally attaching evidence (a photo from the camera)."""
    a = get_assessment(current_user, assessment_id)
    q = service.instrument_of(a).question(question_id)
    if q is None:
        abort(404)
    upload = request.files.get("file")
    try:
        review.verify_with_evidence(current_user, a.id, question_id, request.form.get("verdict"),
                                    _posted_value(q, request.form), request.form.get("reason"),
                                    (upload.filename, upload.read()) if upload and upload.filename else None)
    except Refused as e:
        return _refused(e, a, f"#q-{question_id}")
    flash(_("已保存。"), "success")
    return _back(a, f"#q-{question_id}")


@bp.post("/<int:assessment_id>/notes")
@login_required
def add_note(assessment_id: int):
    a = get_assessment(current_user, assessment_id)
    question = request.form.get("question")
    try:
        review.add_note(current_user, a.id, question, request.form.get("text"))
    except Refused as e:
        return _refused(e, a)
    flash(_("已保存。"), "success")
    return _back(a, f"#q-{question}")


@bp.post("/<int:assessment_id>/evidence")
@login_required
def upload_evidence(assessment_id: int):
    """The firm (or the consultant) attaches a file to a question."""
    a = get_assessment(current_user, assessment_id)
    upload = request.files.get("file")
    try:
        evidence.upload(current_user, a.id, request.form.get("question"), upload.filename if upload else None,
                        upload.read() if upload else b"")
    except Refused as e:
        return _refused(e, a)
    flash(_("文件已上传。"), "success")
    return _back(a)


@bp.get("/<int:assessment_id>/evidence/<int:evidence_id>")
@login_required
def download_evidence(assessment_id: int, evidence_id: int):
    try:
        e, path = evidence.find(current_user, assessment_id, evidence_id)
    except Refused as err:
        abort(err.status)
    return Response(path.read_bytes(), headers=evidence.download_headers(e))


@bp.post("/<int:assessment_id>/rating")
@login_required
def rate(assessment_id: int):
    """The firm rates the diagnosis service after approval."""
    from ..providers.scores import rate as rate_service
    a = get_assessment(current_user, assessment_id)
    try:
        rate_service(current_user, a.id, form_id(request.form.get("stars")), request.form.get("comment"))
    except Refused as e:
        return _refused(e, a)
    flash(_("感谢您的评价。"), "success")
    return _back(a)
