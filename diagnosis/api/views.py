from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, g, jsonify, request
from flask_babel import force_locale
from werkzeug.exceptions import HTTPException

import questionnaires
import scoring

from ..access import (
    ENTERPRISE,
    ZONE_ADMIN,
    allowed_actions,
    assessments_query,
    ensure_role,
    find_assessment,
    find_company,
    has_role,
    note_read,
    staff_scope,
    visible_company_ids,
)
from ..assessments import evidence, review, service
from ..audit import record
from ..eligibility import service as eligibility
from ..errors import Refused
from ..extensions import csrf, db, limiter
from ..ids import MAX_ID
from ..inputs import parse_int
from ..models import Assessment, Company
from ..plans import service as plans
from ..programmes import service as programmes
from ..providers import service as providers
from ..reporting import ensure_benchmark, render_report
from ..zone.figures import aggregates
from ..zone.filters import BadFilter, parse_filters
from .openapi import spec
from .tokens import stale_use, touch, user_for

bp = Blueprint("api", __name__, url_prefix="/api/v1")

csrf.exempt(bp)  # no cookies are read here: every request carries its bearer token


def _token_key() -> str:
    """Limit per token (hashed), or per address when there is none."""
    auth = request.headers.get("Authorization", "")
    return "t:" + hashlib.sha256(auth.encode()).hexdigest()[:16] if auth else "a:" + (request.remote_addr or "")


limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=_token_key)(bp)
PUBLIC = {"api.openapi"}
PAGE_SIZE = 100


ApiError = Refused  # the API's errors are the operations' own refusals


@bp.errorhandler(Refused)
def _api_error(e: Refused):
    with force_locale("en"):  # the API speaks English to integrators
        message = str(e.message)
    body = {"error": {"code": e.code, "message": message}}
    if e.details is not None:
        body["error"]["details"] = e.details
    return jsonify(body), e.status


@bp.errorhandler(HTTPException)
def _http_error(e: HTTPException):
    if e.code and e.code >= 500:
        return _server_error(e)
    return jsonify({"error": {"code": e.name.lower().replace(" ", "_"), "message": str(e.description)}}), e.code


@bp.errorhandler(500)
def _server_error(e):
    """Always JSON here, and never failing itself (the database may be why we are here)."""
    try:
        db.session.rollback()
    except Exception:
        current_app.logger.exception("rollback after an API error failed")
    return jsonify({"error": {"code": "server_error", "message": "the server failed to answer; try again later"}}), 500


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = user_for(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        raise ApiError(401, "unauthorized", "a valid bearer token is required (Authorization: Bearer dg_...)")
    g.api_user = user
    g.api_token_stale = stale_use(token.strip())
    return None


@bp.after_request
def _commit_token_use(resp):
    """Store the token's last use; a database that cannot write must not fail a read."""
    try:
        if g.get("api_token_stale"):
            touch(g.api_token_stale)
    except Exception:
        current_app.logger.warning("could not record the API token's last use", exc_info=True)
        db.session.rollback()
    return resp


def _user():
    return g.api_user


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_json", "the request body must be a JSON object")
    return body


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    value = parse_int(raw, 1, MAX_ID)
    if value is None:
        raise ApiError(400, "bad_parameter", f"{name} must be a positive integer below 2^31")
    return value


def _page() -> tuple[int, int]:
    page = _int_arg("page") or 1
    return page, (page - 1) * PAGE_SIZE


@bp.get("/openapi.json")
def openapi():
    return jsonify(spec())


@bp.get("/instruments")
def instruments():
    return jsonify({"items": [_instrument_summary(inst) for inst in questionnaires.available().values()]})


@bp.get("/instruments/<instrument_id>")
def instrument(instrument_id: str):
    inst = questionnaires.available().get(instrument_id)
    if inst is None:
        raise ApiError(404, "not_found", "no such instrument")
    return jsonify({**_instrument_summary(inst), "definition": json.loads(questionnaires.canonical_json(inst))})


def _instrument_summary(inst) -> dict:
    return {"id": inst.id, "version": inst.version, "title": inst.title.model_dump(), "method": inst.method.type,
            "content_hash": questionnaires.content_hash(inst), "questions": len(inst.questions)}


def _company_dict(c: Company) -> dict:
    return {"id": c.id, "name": c.name, "uscc": c.uscc, "industry_division": c.industry_division,
            "size_class": c.size_class, "sub_zone": c.sub_zone, "employees": c.employees, "revenue": c.revenue}


@bp.get("/companies")
def companies():
    page, offset = _page()
    q = sa.select(Company).where(Company.id.in_(visible_company_ids(_user())))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(q.subquery()))
    rows = db.session.scalars(q.order_by(Company.id).offset(offset).limit(PAGE_SIZE)).all()
    note_read(_user(), "company", [c.id for c in rows])
    return jsonify({"items": [_company_dict(c) for c in rows], "total": total, "page": page})


@bp.get("/companies/<int:company_id>")
def company(company_id: int):
    c = find_company(_user(), company_id)
    if c is None:
        raise ApiError(404, "not_found", "no such company")
    return jsonify(_company_dict(c))


def _get_assessment(assessment_id: int) -> Assessment:
    a = find_assessment(_user(), assessment_id)
    if a is None:
        raise ApiError(404, "not_found", "no such assessment")
    return a


def _assessment_dict(a: Assessment, with_answers: bool = True) -> dict:
    inst = service.instrument_of(a)
    out = {"id": a.id, "company_id": a.company_id, "instrument": inst.id, "version": inst.version,
           "content_hash": a.instrument_version.content_hash, "status": a.status,
           "state": a.review_state or a.status,
           "self_level": a.result.level if a.result else None,
           "verified_level": a.result.verified_level if a.result else None,
           "finalised": a.finalised_at is not None,
           "created_at": a.created_at.isoformat(), "updated_at": a.updated_at.isoformat(),
           "submitted_at": a.submitted_at.isoformat() if a.submitted_at else None}
    if with_answers:
        answers = a.answer_dict()
        done = service.completion(inst, answers)
        out["answers"] = answers
        out["progress"] = {"answered": done.answered, "shown": done.shown, "percent": done.percent, "missing": done.missing}
        carried = service.carried_review(a)
        out["carried"] = None if carried is None else {"from_assessment": a.carried_from_id, "from_date": carried.source_date,
                                                       "unconfirmed": carried.unconfirmed}
    return out


@bp.get("/assessments")
def assessments():
    page, offset = _page()
    q = assessments_query(_user())
    company_id = _int_arg("company_id")
    if company_id is not None:
        q = q.where(Assessment.company_id == company_id)
    if request.args.get("verified") == "1":
        q = q.where(Assessment.review_state == "approved")
    status = request.args.get("status")
    if status is not None:
        if status not in ("draft", "submitted"):
            raise ApiError(400, "bad_parameter", "status must be draft or submitted")
        q = q.where(Assessment.status == status)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(q.subquery()))
    rows = db.session.scalars(q.order_by(Assessment.id).offset(offset).limit(PAGE_SIZE)).all()
    note_read(_user(), "assessment", [a.id for a in rows])
    return jsonify({"items": [_assessment_dict(a, with_answers=False) for a in rows], "total": total, "page": page})


@bp.post("/assessments")
def create_assessment():
    body = _json_body()
    user = _user()
    company_id = body.get("company_id", user.company_id if has_role(user, ENTERPRISE) else None)
    a, created = service.start_or_resume(user, company_id, body.get("instrument"), prefill=body.get("prefill") is True)
    return jsonify(_assessment_dict(a)), (201 if created else 200)


@bp.get("/assessments/<int:assessment_id>")
def assessment(assessment_id: int):
    return jsonify(_assessment_dict(_get_assessment(assessment_id)))


@bp.route("/assessments/<int:assessment_id>/answers", methods=["PATCH", "PUT"])
def save_answers(assessment_id: int):
    """Save some answers (null clears one). All or nothing: any bad answer rejects the request."""
    body = _json_body()
    out = service.save(_user(), assessment_id, body.get("answers"), service.parse_base(body.get("base")), via="api",
                       all_or_nothing=True, confirm=service.parse_confirm(body.get("confirm")))
    return jsonify({**_assessment_dict(out.assessment), "changed": out.saved, "confirmed": out.confirmed,
                    "versions": service.versions(out.assessment)})


@bp.post("/assessments/<int:assessment_id>/submit")
def submit(assessment_id: int):
    """Submit; a firm's token must accept the current truthfulness pledge: {"pledge": true, "pledge_version": "..."}."""
    body = request.get_json(silent=True) if request.get_data() else {}
    if not isinstance(body, dict):
        raise ApiError(400, "bad_json", "the request body must be a JSON object")
    return jsonify(_result_body(service.submit_checked(_user(), assessment_id, pledge=body.get("pledge"),
                                                       pledge_version=body.get("pledge_version"))))


def _result_body(a: Assessment) -> dict:
    r = a.result
    inst = service.instrument_of(a)
    return {"assessment_id": a.id, "instrument": inst.id, "method": r.method, "total": r.total, "level": r.level,
            "level_name": inst.level(r.level).name.model_dump(), "dimensions": r.dimensions,
            "indicators": r.details.get("indicators", {}), "blockers": r.details.get("blockers"),
            "benchmark": r.details.get("benchmark"), "period": r.period, "previous_level": r.previous_level,
            "next_level_path": scoring.next_level_path(inst, {"total": r.total, "level": r.level, **r.details}),
            "state": a.review_state or a.status, "verified_level": r.verified_level, "verified_total": r.verified_total}


@bp.get("/assessments/<int:assessment_id>/result")
def result(assessment_id: int):
    a = _get_assessment(assessment_id)
    if a.result is None:
        raise ApiError(404, "not_found", "the assessment has no result until it is submitted")
    ensure_benchmark(a)
    return jsonify(_result_body(a))


@bp.get("/assessments/<int:assessment_id>/report.pdf")
def report(assessment_id: int):
    a = _get_assessment(assessment_id)
    if a.result is None:
        raise ApiError(404, "not_found", "the assessment has no report until it is submitted")
    lang = request.args.get("lang", "zh")
    if lang not in ("zh", "en"):
        raise ApiError(400, "bad_parameter", "lang must be zh or en")
    pdf = render_report(a, lang, None, viewer=_user())
    record("report", target=str(a.id), user=_user())
    db.session.commit()
    current_app.logger.info("report generated via api assessment=%s user=%s", a.id, _user().id)
    return Response(pdf, mimetype="application/pdf")


@bp.get("/zone/aggregates")
def zone_aggregates():
    user = _user()
    ensure_role(user, ZONE_ADMIN)
    try:
        f = parse_filters(request.args, staff_scope(user))
    except BadFilter as e:
        raise ApiError(400, "bad_filter", str(e)) from None
    lang = request.args.get("lang", "zh") if request.args.get("lang") in ("zh", "en") else "zh"
    return jsonify(aggregates(f, lang))


# --- Programmes (issue 17): the same operations and permissions as /programmes/ ---

@bp.get("/programmes")
def api_programmes():
    return jsonify(programmes.listing_body(_user()))


@bp.get("/programmes/<int:programme_id>")
def api_programme(programme_id: int):
    return jsonify(programmes.status_body(_user(), programme_id))


@bp.get("/programmes/<int:programme_id>/roster")
def api_roster(programme_id: int):
    page, _per_page = _page()
    return jsonify(programmes.roster_body(_user(), programme_id, request.args.get("status") or None, page))


@bp.get("/programmes/<int:programme_id>/targets")
def api_programme_targets(programme_id: int):
    return jsonify(programmes.targets_body(_user(), programme_id))


# --- The review of an assessment (issue 18): the same operations, states and permissions as the web pages. ---
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
        "notes": [{"id": n.id, "question": n.question_id, "text": n.text, "by": n.by_id, "at": n.at.isoformat()}
                  for items in review.notes(a).values() for n in items],
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
    new = review.reopen(_user(), assessment_id, _json_body().get("text"))
    return jsonify({**_assessment_dict(new), "revision_of": new.revision_of_id}), 201


@bp.post("/assessments/<int:assessment_id>/notes")
def api_add_note(assessment_id: int):
    body = _json_body()
    review.add_note(_user(), assessment_id, body.get("question"), body.get("text"))
    return jsonify(review_body(_get_assessment(assessment_id))), 201


# --- Improvement plans: the same operations as the plan pages ---

@bp.get("/companies/<int:company_id>/plan")
def plan(company_id: int):
    _company, items = plans.company_plan(_user(), company_id)
    return jsonify({"items": [plans.item_dict(i) for i in items]})


@bp.post("/companies/<int:company_id>/plan/items")
def add_plan_item(company_id: int):
    return jsonify(plans.item_dict(plans.add_item(_user(), company_id, _json_body()))), 201


@bp.post("/assessments/<int:assessment_id>/plan/items")
def add_plan_item_from_result(assessment_id: int):
    item = plans.add_from_result(_user(), assessment_id, _json_body().get("recommendation"))
    return jsonify(plans.item_dict(item)), 201


@bp.get("/plan-items/<int:item_id>")
def plan_item(item_id: int):
    return jsonify(plans.item_dict(plans.get_item(_user(), item_id)))


@bp.patch("/plan-items/<int:item_id>")
def update_plan_item(item_id: int):
    return jsonify(plans.item_dict(plans.update_item(_user(), item_id, _json_body())))


@bp.get("/companies/<int:company_id>/eligibility")
def company_eligibility(company_id: int):
    lang = request.args.get("lang", "zh") if request.args.get("lang") in ("zh", "en") else "zh"
    _company, verdicts = eligibility.for_company(_user(), company_id, lang)
    return jsonify({"items": verdicts})


@bp.get("/eligibility/rules")
def eligibility_rules():
    lang = request.args.get("lang", "zh") if request.args.get("lang") in ("zh", "en") else "zh"
    return jsonify({"items": eligibility.overview(_user(), lang)})


@bp.get("/eligibility/rules/<rule_id>")
def eligibility_ready(rule_id: str):
    lang = request.args.get("lang", "zh") if request.args.get("lang") in ("zh", "en") else "zh"
    page, _offset = _page()
    rule, found = eligibility.ready_firms(_user(), rule_id, lang, page)
    return jsonify({"rule": rule, **found})
