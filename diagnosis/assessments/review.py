"""The review of a submitted assessment: the firm's truthfulness pledge, the consultant's on-site
verification (confirm or correct each answer), the zone's review (return with comments on single
questions, approve, reject). The web pages and the API call these same functions.

The history is `ReviewEvent` rows that are only ever added: no function here updates or deletes one.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

import questionnaires
import scoring

from ..access import ZONE_ADMIN, ensure_transition, find_assessment
from ..errors import Refused
from ..extensions import db
from ..models import Assessment, Assignment, QuestionNote, ReviewEvent, User, Verification, utcnow
from ..notifications.service import notify
from .service import instrument_of

# The pledge a firm signs, by version; a new wording is a new version, old signatures keep theirs.
PLEDGE_VERSION = "2026-11"
PLEDGE_TEXT = {
    "2026-11": (_l("本企业承诺：所填写的自评信息和上传的佐证材料真实、准确、完整，愿意接受现场核实和抽查；"
                   "如有不实，愿意承担相应责任。")),
}
MAX_TEXT = 2000


def _assessment(user: User, assessment_id: int) -> Assessment:
    a = find_assessment(user, assessment_id)
    if a is None:
        raise Refused(404, "not_found", _l("找不到这份评估，或您无权查看。"))
    return a


def _comment(raw: Any, required: bool) -> str | None:
    text = raw.strip() if isinstance(raw, str) else None
    if raw is not None and text is None or text and len(text) > MAX_TEXT or required and not text:
        raise Refused(422, "bad_text", _l("请填写说明（不超过 2000 字）。"), [{"field": "text"}])
    return text or None


def _move(a: Assessment, user: User, action: str, to: str | None, text: str | None = None,
          question: str | None = None, reply_to: int | None = None) -> ReviewEvent:
    ev = ReviewEvent(assessment_id=a.id, action=action, from_state=a.review_state, to_state=to or a.review_state,
                     question_id=question, reply_to_id=reply_to, text=text, user_id=user.id)
    db.session.add(ev)
    if to:
        a.review_state = to
    a.updated_at = utcnow()
    return ev


def _consultants(a: Assessment) -> list[User]:
    return db.session.scalars(sa.select(User).join(Assignment, Assignment.consultant_id == User.id)
                              .where(Assignment.company_id == a.company_id).order_by(User.id)).all()


def _firm_users(a: Assessment) -> list[User]:
    return db.session.scalars(sa.select(User).where(User.company_id == a.company_id)).all()


def _zone_staff(a: Assessment) -> list[User]:
    return db.session.scalars(sa.select(User).where(User.zone_id == a.company.zone_id, User.role == ZONE_ADMIN)).all()


def _tell(users: list[User], kind: str, a: Assessment) -> None:
    for u in users:
        notify(u, kind, f"/assessments/{a.id}/verification", firm=a.company.name)


def sign_pledge(user: User, a: Assessment) -> None:
    """The firm's user signs the current pledge on this assessment (no commit: the caller's transaction)."""
    if a.pledged_at is None:
        a.pledge_version, a.pledged_by_id, a.pledged_at = PLEDGE_VERSION, user.id, utcnow()
        _move(a, user, "pledge", None, text=PLEDGE_VERSION)
        _tell(_consultants(a), "pledged", a)


def pledge(user: User, assessment_id: int, agreed: Any) -> Assessment:
    """The firm signs the current pledge on an assessment its consultant submitted for it on site
    (a firm's own submission carries the pledge already: see service.submit_checked)."""
    a = _assessment(user, assessment_id)
    ensure_transition(user, a, "pledge")
    if agreed is not True:
        raise Refused(422, "pledge_required", _l("请阅读并勾选真实性承诺。"), [{"field": "pledge"}])
    sign_pledge(user, a)
    db.session.commit()
    return a


def current_pledge() -> dict:
    """The pledge a firm signs now: its version and text (in the request's language)."""
    return {"version": PLEDGE_VERSION, "text": str(PLEDGE_TEXT[PLEDGE_VERSION])}


def start_verification(user: User, assessment_id: int) -> Assessment:
    a = _assessment(user, assessment_id)
    ensure_transition(user, a, "start_verification")
    if a.pledged_at is None:
        raise Refused(409, "no_pledge", _l("企业尚未签署真实性承诺，不能开始核实。"))
    _move(a, user, "start_verification", "verifying")
    db.session.commit()
    return a


def verify(user: User, assessment_id: int, question_id: Any, verdict: Any, value: Any = None,
           reason: Any = None) -> Verification:
    """Confirm the firm's answer, or correct it with a reason; the firm's answer stays beside the correction."""
    a = _assessment(user, assessment_id)
    ensure_transition(user, a, "verify")
    inst = instrument_of(a)
    if not isinstance(question_id, str) or inst.question(question_id) is None:
        raise Refused(422, "unknown_question", _l("没有这道题。"), [{"field": "question"}])
    if verdict not in ("confirmed", "corrected"):
        raise Refused(422, "bad_verdict", _l("请选择“确认”或“更正”。"), [{"field": "verdict"}])
    firm_value = a.answer_dict().get(question_id)
    if verdict == "corrected":
        text = _comment(reason, required=True)
        clean, problems = questionnaires.clean_answers(inst, {question_id: value})
        if problems:
            raise Refused(422, "invalid_answers", _l("更正后的答案不符合要求。"),
                          [{"question": p.question, "code": p.code, "reason": p.reason} for p in problems])
        value = clean.get(question_id)
    else:
        text, value = _comment(reason, required=False), firm_value
    row = db.session.scalar(sa.select(Verification).where(Verification.assessment_id == a.id,
                                                          Verification.question_id == question_id))
    if row is None:
        row = Verification(assessment_id=a.id, question_id=question_id)
        db.session.add(row)
    row.verdict, row.firm_value, row.value, row.reason, row.by_id, row.at = (
        verdict, firm_value, value, text, user.id, utcnow())
    _move(a, user, "confirm" if verdict == "confirmed" else "correct", None, text=text, question=question_id)
    db.session.commit()
    return row


def verifications(a: Assessment) -> dict[str, Verification]:
    return {v.question_id: v for v in db.session.scalars(
        sa.select(Verification).where(Verification.assessment_id == a.id))}


def verified_answers(a: Assessment) -> dict[str, Any]:
    """The firm's answers with the consultant's corrections in their place."""
    answers = a.answer_dict()
    for qid, v in verifications(a).items():
        if v.verdict == "corrected":
            if v.value is None:
                answers.pop(qid, None)
            else:
                answers[qid] = v.value
    return answers


def score_verified(a: Assessment) -> None:
    """Score the verified answers by the same method and keep them beside the self-assessed result."""
    result = scoring.score(instrument_of(a), verified_answers(a), a.not_applicable_reasons()).to_dict()
    r = a.result
    r.verified_level, r.verified_total, r.verified_dimensions = result["level"], result["total"], result["dimensions"]


def send_for_review(user: User, assessment_id: int) -> Assessment:
    a = _assessment(user, assessment_id)
    ensure_transition(user, a, "send_for_review")
    if not verifications(a):
        raise Refused(409, "not_verified", _l("还没有核实任何答案。"))
    open_comments = unanswered(a)
    if a.review_state == "returned" and open_comments:
        raise Refused(409, "unanswered", _l("还有退回意见没有答复。"), [{"event": e.id} for e in open_comments])
    score_verified(a)
    _move(a, user, "send_for_review", "in_review")
    _tell(_zone_staff(a), "for_review", a)
    db.session.commit()
    return a


def review_return(user: User, assessment_id: int, text: Any, comments: Any = None) -> Assessment:
    """Zone staff return the assessment, with an overall comment and comments on single questions."""
    a = _assessment(user, assessment_id)
    ensure_transition(user, a, "return")
    overall = _comment(text, required=not comments)
    inst = instrument_of(a)
    items = comments or []
    if not isinstance(items, list) or not all(isinstance(c, dict) and isinstance(c.get("question"), str)
                                              and inst.question(c["question"]) for c in items):
        raise Refused(422, "bad_comments", _l("题目意见格式不正确。"), [{"field": "comments"}])
    cleaned = [(c["question"], _comment(c.get("text"), required=True)) for c in items]
    _move(a, user, "return", "returned", text=overall)
    for qid, t in cleaned:
        _move(a, user, "comment", None, text=t, question=qid)
    _tell(_consultants(a) + _firm_users(a), "returned", a)
    db.session.commit()
    return a


def reply(user: User, assessment_id: int, event_id: Any, text: Any) -> ReviewEvent:
    """The consultant or the firm answers one of the staff's comments."""
    a = _assessment(user, assessment_id)
    ensure_transition(user, a, "reply")
    target = db.session.get(ReviewEvent, event_id) if isinstance(event_id, int) else None
    if target is None or target.assessment_id != a.id or target.action not in ("return", "comment"):
        raise Refused(422, "unknown_comment", _l("没有这条意见。"), [{"field": "event"}])
    ev = _move(a, user, "reply", None, text=_comment(text, required=True), question=target.question_id,
               reply_to=target.id)
    _tell(_zone_staff(a), "replied", a)
    db.session.commit()
    return ev


def decide(user: User, assessment_id: int, action: str, text: Any = None) -> Assessment:
    """Zone staff approve (the verified level stands) or reject."""
    if action not in ("approve", "reject"):
        raise Refused(422, "bad_action", _l("没有这项操作。"))
    a = _assessment(user, assessment_id)
    ensure_transition(user, a, action)
    to = "approved" if action == "approve" else "rejected"
    _move(a, user, action, to, text=_comment(text, required=action == "reject"))
    _tell(_consultants(a), to, a)
    _tell(_firm_users(a), "rate_service" if to == "approved" else to, a)
    db.session.commit()
    return a


def history(a: Assessment) -> list[ReviewEvent]:
    return db.session.scalars(sa.select(ReviewEvent).where(ReviewEvent.assessment_id == a.id)
                              .order_by(ReviewEvent.id)).all()


def unanswered(a: Assessment) -> list[ReviewEvent]:
    """Comments of the last return that have no reply yet."""
    events = history(a)
    last_return = max((e.id for e in events if e.action == "return"), default=None)
    if last_return is None:
        return []
    replied = {e.reply_to_id for e in events if e.action == "reply"}
    return [e for e in events if e.id >= last_return and e.action in ("return", "comment") and e.text
            and e.id not in replied]


STATE_NAMES = {
    "draft": _l("填写中"), "submitted": _l("已提交自评"), "verifying": _l("现场核实中"), "in_review": _l("待园区审核"),
    "returned": _l("已退回"), "approved": _l("已通过"), "rejected": _l("未通过"),
}


ACTION_NAMES = {
    "pledge": _l("企业签署真实性承诺"), "start_verification": _l("开始现场核实"), "confirm": _l("确认答案"),
    "correct": _l("更正答案"), "send_for_review": _l("提交园区审核"), "return": _l("退回"), "comment": _l("题目意见"),
    "reply": _l("答复"), "approve": _l("审核通过"), "reject": _l("审核不通过"), "sample_mismatch": _l("抽查不一致，重新打开"),
    "reopen": _l("重新打开为新修订版"),
}


def state_of(a: Assessment) -> str:
    return a.review_state or a.status


def verify_with_evidence(user: User, assessment_id: int, question_id: Any, verdict: Any, value: Any, reason: Any,
                         upload: tuple[str | None, bytes] | None) -> Verification:
    """A verdict on one answer and, with it, the photo or document it rests on. The file is checked
    before the verdict is stored, so a refused file leaves the verdict as it was."""
    from . import evidence  # evidence builds on the same service module
    if upload is not None:
        a = _assessment(user, assessment_id)
        ensure_transition(user, a, "verify")
        evidence.check(upload[1])
    row = verify(user, assessment_id, question_id, verdict, value, reason)
    if upload is not None:
        evidence.upload(user, assessment_id, question_id, upload[0], upload[1])
    return row


THUMBNAIL_MAX_BYTES = 1024 * 1024  # larger photos are listed without a thumbnail, to keep the PDF small


def report_part(a: Assessment, lang: str) -> dict | None:
    """What the report shows of the review, in the report's language; None before submission."""
    from reports.context import answer_text

    from . import evidence as files
    if a.result is None:
        return None
    inst = instrument_of(a)
    from flask_babel import force_locale

    def qtext(qid: str) -> str:
        q = inst.question(qid)
        return q.text.get(lang) if q else qid

    with force_locale(lang):
        state = str(STATE_NAMES[state_of(a)])
        pledge = (str(_l("版本 %(v)s，%(at)s 签署", v=a.pledge_version, at=a.pledged_at.strftime("%Y-%m-%d")))
                  if a.pledged_at else None)
    r = a.result
    thumbs = []
    for qid, items in files.of_assessment(a).items():
        for e in items:
            thumb = None
            if e.media_type.startswith("image/") and e.size <= THUMBNAIL_MAX_BYTES:
                thumb = files.thumbnail(files.folder() / e.stored_name)
            thumbs.append({"question": qtext(qid), "filename": e.filename, "kind": e.media_type,
                           "size_kb": max(1, round(e.size / 1024)), "thumbnail": thumb})
    return {
        "state": state, "pledge": pledge,
        "self_level": inst.level(r.level).name.get(lang),
        "verified_level": inst.level(r.verified_level).name.get(lang) if r.verified_level is not None else None,
        "corrections": [{"question": qtext(v.question_id), "firm": answer_text(inst, v.question_id, v.firm_value, lang),
                         "verified": answer_text(inst, v.question_id, v.value, lang), "reason": v.reason or ""}
                        for v in verifications(a).values() if v.verdict == "corrected"],
        "evidence": thumbs,
    }


def reopen(user: User, assessment_id: int, reason: Any) -> Assessment:
    """The consultant reopens a submitted assessment as a new revision (a draft with the same answers,
    linked to the old one); the old assessment keeps its result and history. One open revision at a time."""
    from .service import save_answers, start
    a = _assessment(user, assessment_id)
    ensure_transition(user, a, "reopen")
    text = _comment(reason, required=True)
    existing = db.session.scalar(sa.select(Assessment).where(Assessment.revision_of_id == a.id,
                                                             Assessment.status == "draft"))
    if existing is not None:
        return existing
    new = start(a.company_id, instrument_of(a).id, user.id)
    new.instrument_version_id = a.instrument_version_id  # the same version, so every answer still fits
    new.revision_of_id = a.id
    new.not_applicable = a.not_applicable
    save_answers(new, verified_answers(a), user.id, via="web")
    _move(a, user, "reopen", None, text=text)
    db.session.commit()
    return new


def revisions(a: Assessment) -> tuple[Assessment | None, list[Assessment]]:
    """The assessment this one revises, and the revisions made of it."""
    before = db.session.get(Assessment, a.revision_of_id) if a.revision_of_id else None
    after = db.session.scalars(sa.select(Assessment).where(Assessment.revision_of_id == a.id)
                               .order_by(Assessment.id)).all()
    return before, after


def add_note(user: User, assessment_id: int, question_id: Any, text: Any) -> QuestionNote:
    """A note on one question by the firm or its consultant (what was seen, what a figure means)."""
    a = _assessment(user, assessment_id)
    ensure_transition(user, a, "note")
    if not isinstance(question_id, str) or instrument_of(a).question(question_id) is None:
        raise Refused(422, "unknown_question", _l("没有这道题。"), [{"field": "question"}])
    note = QuestionNote(assessment_id=a.id, question_id=question_id, text=_comment(text, required=True), by_id=user.id)
    db.session.add(note)
    db.session.commit()
    return note


def notes(a: Assessment) -> dict[str, list[QuestionNote]]:
    out: dict[str, list[QuestionNote]] = {}
    for n in db.session.scalars(sa.select(QuestionNote).where(QuestionNote.assessment_id == a.id).order_by(QuestionNote.id)):
        out.setdefault(n.question_id, []).append(n)
    return out
