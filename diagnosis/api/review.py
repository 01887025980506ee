"""The review of an assessment over the API: the same operations, states and permissions as the web pages."""
from __future__ import annotations

from flask import Response, jsonify, request

from ..access import allowed_actions
from ..assessments import evidence, review
from ..models import Assessment
from ..providers import service as providers
from . import bp
from .views import _get_assessment, _json_body, _user


def review_body(a: Assessment) -> dict:
    r = a.result
    return {
        "assessment_id": a.id, "state": review.state_of(a),
        "self_level": r.level if r else None, "verified_level": r.verified_level if r else None,
        "self_total": r.total if r else None, "verified_total": r.verified_total if r else None,
        "pledge": {"version": a.pledge_version, "by": a.pledged_by_id,
                   "at": a.pledged_at.isoformat()} if a.pledged_at else None,
        "verifications": [{"question": v.question_id, "verdict": v.verdict, "firm_value": v.firm_value,
                           "value": v.value, "reason": v.reason, "by": v.by_id, "at": v.at.isoformat()}
                          for v in review.verifications(a).values()],
        "evidence": [{"id": e.id, "question": e.question_id, "filename": e.filename, "media_type": e.media_type,
                      "size": e.size, "sha256": e.sha256} for items in evidence.of_assessment(a).values() for e in items],
        "history": [{"id": e.id, "action": e.action, "from": e.from_state, "to": e.to_state, "question": e.question_id,
                     "reply_to": e.reply_to_id, "text": e.text, "by": e.user_id, "at": e.at.isoformat()}
                    for e in review.history(a)],
        "allowed": sorted(allowed_actions(_user(), a)),
    }


@bp.get("/assessments/<int:assessment_id>/review")
def get_review(assessment_id: int):
    return jsonify(review_body(_get_assessment(assessment_id)))


@bp.post("/assessments/<int:assessment_id>/pledge")
def api_pledge(assessment_id: int):
    return jsonify(review_body(review.pledge(_user(), assessment_id, _json_body().get("pledge"))))


@bp.post("/assessments/<int:assessment_id>/verification")
def api_start_verification(assessment_id: int):
    return jsonify(review_body(review.start_verification(_user(), assessment_id)))


@bp.put("/assessments/<int:assessment_id>/verifications/<question_id>")
def api_verify(assessment_id: int, question_id: str):
    body = _json_body()
    review.verify(_user(), assessment_id, question_id, body.get("verdict"), body.get("value"), body.get("reason"))
    return jsonify(review_body(_get_assessment(assessment_id)))


@bp.post("/assessments/<int:assessment_id>/send-for-review")
def api_send_for_review(assessment_id: int):
    return jsonify(review_body(review.send_for_review(_user(), assessment_id)))


@bp.post("/assessments/<int:assessment_id>/return")
def api_return(assessment_id: int):
    body = _json_body()
    return jsonify(review_body(review.review_return(_user(), assessment_id, body.get("text"), body.get("comments"))))


@bp.post("/assessments/<int:assessment_id>/replies")
def api_reply(assessment_id: int):
    body = _json_body()
    review.reply(_user(), assessment_id, body.get("event"), body.get("text"))
    return jsonify(review_body(_get_assessment(assessment_id))), 201


@bp.post("/assessments/<int:assessment_id>/<any(approve, reject):action>")
def api_decide(assessment_id: int, action: str):
    body = request.get_json(silent=True) or {}
    text = body.get("text") if isinstance(body, dict) else None
    return jsonify(review_body(review.decide(_user(), assessment_id, action, text)))


@bp.post("/assessments/<int:assessment_id>/evidence")
def api_upload_evidence(assessment_id: int):
    """multipart/form-data: question, file."""
    f = request.files.get("file")
    e = evidence.upload(_user(), assessment_id, request.form.get("question"), f.filename if f else None,
                        f.read() if f else b"")
    return jsonify({"id": e.id, "question": e.question_id, "filename": e.filename, "media_type": e.media_type,
                    "size": e.size, "sha256": e.sha256}), 201


@bp.get("/assessments/<int:assessment_id>/evidence/<int:evidence_id>")
def api_download_evidence(assessment_id: int, evidence_id: int):
    e, path = evidence.find(_user(), assessment_id, evidence_id)
    return Response(path.read_bytes(), headers=evidence.download_headers(e))


@bp.get("/providers")
def api_providers():
    return jsonify({"items": [{"id": p.id, "name": p.name, "credit_code": p.credit_code, "active": p.active}
                              for p in providers.zone_providers(_user())]})





@bp.post("/assessments/<int:assessment_id>/rating")
def api_rate(assessment_id: int):
    from ..providers.scores import rate
    body = _json_body()
    r = rate(_user(), assessment_id, body.get("stars"), body.get("comment"))
    return jsonify({"assessment_id": r.assessment_id, "stars": r.stars, "comment": r.comment}), 201


@bp.post("/assessments/<int:assessment_id>/reopen")
def api_reopen(assessment_id: int):
    """A new revision (a draft with the verified answers) linked to this assessment, which keeps its result."""
    from .views import _assessment_dict
    new = review.reopen(_user(), assessment_id, _json_body().get("text"))
    return jsonify({**_assessment_dict(new), "revision_of": new.revision_of_id}), 201
