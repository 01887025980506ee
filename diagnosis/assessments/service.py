"""Assessment operations shared by the web views, the API, imports, the CLI and the demo seeder."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

import questionnaires
import scoring
from questionnaires import Instrument
from questionnaires.answers import AnswerError
from questionnaires.upgrade import MappingInvalid, load_mapping, mapping_path
from reports.context import answer_text
from scoring.progress import next_gap, period_of

from .. import peers
from ..access import ENTERPRISE, assessments_query, can_edit, can_start, find_assessment, find_company
from ..errors import Refused
from ..extensions import db
from ..ids import MAX_ID
from ..models import (
    Answer,
    AnswerChange,
    Assessment,
    Assignment,
    DimensionScore,
    InstrumentVersion,
    Result,
    User,
    utcnow,
)
from ..notifications.service import notify


def snapshot(inst: Instrument) -> InstrumentVersion:
    """The stored version row for this exact definition, created on first use."""
    digest = questionnaires.content_hash(inst)
    row = db.session.scalar(sa.select(InstrumentVersion).where(InstrumentVersion.content_hash == digest))
    if row is None:
        row = InstrumentVersion(instrument_id=inst.id, version=inst.version, content_hash=digest,
                                definition=questionnaires.canonical_json(inst))
        db.session.add(row)
        db.session.flush()
    return row


@lru_cache(maxsize=64)
def _from_snapshot(content_hash: str, definition: str) -> Instrument:
    return questionnaires.from_json(definition)


_BY_HASH: dict[str, Instrument] = {}  # snapshots never change: one parse per process and content hash


def instrument_of(assessment: Assessment) -> Instrument:
    """The definition the assessment was answered on, not the current file. The snapshot's
    definition (tens of kB of JSON) is read from the database only the first time this process needs it."""
    state = sa.inspect(assessment)
    if "instrument_version" not in state.unloaded:  # already loaded with the assessment
        v = assessment.instrument_version
        return _from_snapshot(v.content_hash, v.definition)
    digest = db.session.scalar(sa.select(InstrumentVersion.content_hash)
                               .where(InstrumentVersion.id == assessment.instrument_version_id))
    inst = _BY_HASH.get(digest)
    if inst is None:
        v = assessment.instrument_version
        inst = _BY_HASH.setdefault(digest, _from_snapshot(v.content_hash, v.definition))
    return inst


def start(company_id: int, instrument_id: str, user_id: int | None, prefill: bool = False) -> Assessment:
    """A new draft; with `prefill`, it starts from the firm's last submitted answers on the instrument
    (see `carry_answers`), each marked as carried until the user confirms or changes it."""
    inst = questionnaires.get(instrument_id)
    version = snapshot(inst)
    a = Assessment(company_id=company_id, instrument_version_id=version.id, status="draft", created_by_id=user_id)
    db.session.add(a)
    db.session.flush()
    if prefill:
        source = last_submitted(company_id, instrument_id)
        if source is not None:
            carried = carry_answers(source, inst, version.content_hash)
            if carried:
                a.carried_from_id = source.id
                for qid, value in carried.items():
                    a.answers.append(Answer(question_id=qid, value=value, updated_by_id=user_id,
                                            carried_value=value, carried_pending=True))
                    db.session.add(AnswerChange(assessment_id=a.id, question_id=qid, old_value=None, new_value=value,
                                                user_id=user_id, via="carried"))
                db.session.flush()
    return a


def last_submitted(company_id: int, instrument_id: str) -> Assessment | None:
    """The firm's most recently submitted assessment on this instrument (any version)."""
    return db.session.scalar(
        sa.select(Assessment).join(Assessment.instrument_version)
        .where(Assessment.company_id == company_id, Assessment.status == "submitted",
               InstrumentVersion.instrument_id == instrument_id)
        .order_by(Assessment.submitted_at.desc(), Assessment.id.desc()).limit(1))


def carry_answers(source: Assessment, inst: Instrument, content_hash: str) -> dict[str, Any]:
    """The answers of `source` that a new draft on `inst` can start from.

    On the same definition (same content hash) every answer is carried. On another version,
    answers are carried only through the explicit mapping file of that version pair
    (questionnaires/mappings/ID.FROM.TO.yaml, the machinery `diagnosis rescore --mapping` uses):
    an answer the mapping has no counterpart for, or no mapping at all, is not carried and is
    asked again. Nothing is guessed from matching ids alone. Every carried answer is checked
    again against `inst`; one that is no longer valid is left out.
    """
    old = instrument_of(source)
    answers = source.answer_dict()
    if source.instrument_version.content_hash != content_hash:
        path = mapping_path(inst.id, old.version, inst.version)
        if old.version == inst.version or not path.is_file():
            return {}
        try:
            answers, _unmapped = load_mapping(path, old, inst).carry(answers)
        except MappingInvalid:
            return {}
    clean, _problems = questionnaires.clean_answers(inst, answers)
    return {k: v for k, v in clean.items() if v is not None}


@dataclass
class Saved:
    changed: list[str]               # questions whose answer changed
    conflicts: dict[str, Answer]   # questions edited elsewhere since the client's version: not saved
    confirmed: list[str] = field(default_factory=list)  # carried answers confirmed as they stand


def save_answers(assessment: Assessment, answers: dict[str, Any], user_id: int | None, via: str = "web",
                 base: dict[str, int] | None = None, confirm: list[str] | tuple[str, ...] = ()) -> Saved:
    """Upsert the given answers (None clears one); other questions are left as they are.

    `base` gives, per question, the version the client last saw (0: it saw none). A
    question whose stored version differs, and whose stored value differs from the new
    one, is a conflict: it is reported, not overwritten. Without `base` the last save
    wins (imports, and callers that just read the answers).

    Every change is recorded with who made it, when and through what (web, api,
    import), so a consultant's corrections on site can be told from the firm's
    own answers.

    A carried answer (a re-assessment's answer from the last one) stops waiting for
    confirmation when it is changed, or when its question is in `confirm` (with the
    same version check); a confirmation is kept in the change log too.
    """
    existing = {a.question_id: a for a in assessment.answers}
    changed, conflicts, confirmed = [], {}, []
    for qid, value in answers.items():
        row = existing.get(qid)
        old = row.value if row is not None else None
        if row is None and value is None or row is not None and old == value:
            continue
        if base is not None and qid in base and base[qid] != (row.version if row is not None else 0):
            conflicts[qid] = row
            continue
        if row is None:
            assessment.answers.append(Answer(question_id=qid, value=value, updated_by_id=user_id))
        else:
            row.value = value
            row.updated_by_id = user_id
            row.updated_at = utcnow()
            row.carried_pending = False
        db.session.add(AnswerChange(assessment_id=assessment.id, question_id=qid, old_value=old, new_value=value,
                                    user_id=user_id, via=via))
        changed.append(qid)
    for qid in confirm:
        row = existing.get(qid)
        if row is None or not row.carried_pending or qid in changed or qid in conflicts:
            continue
        if base is not None and qid in base and base[qid] != row.version:
            conflicts[qid] = row
            continue
        row.carried_pending = False
        row.updated_by_id = user_id
        row.updated_at = utcnow()
        db.session.add(AnswerChange(assessment_id=assessment.id, question_id=qid, old_value=row.value,
                                    new_value=row.value, user_id=user_id, via="confirm"))
        confirmed.append(qid)
    assessment.updated_at = utcnow()
    return Saved(changed, conflicts, confirmed)


def unconfirmed(assessment: Assessment, hidden: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Carried answers still waiting for confirmation, on questions now asked, in question order."""
    pending = {a.question_id for a in assessment.answers if a.carried_pending and a.value is not None}
    inst = instrument_of(assessment)
    return [q.id for q in inst.questions if q.id in pending and q.id not in hidden]


@dataclass
class CarriedReview:
    """What a re-assessment changed against the answers it was carried from, and what is unconfirmed."""
    source_date: str | None                        # submission date of the assessment carried from
    changed: list[tuple[str, Any, Any]]            # (question, carried value, value now)
    unconfirmed: list[str]                         # question ids
    confirmed: int                                 # carried answers confirmed as they were


def carried_review(assessment: Assessment) -> CarriedReview | None:
    """None when the draft was not carried from an earlier assessment."""
    if assessment.carried_from_id is None:
        return None
    source = db.session.get(Assessment, assessment.carried_from_id)
    hidden = completion(instrument_of(assessment), assessment.answer_dict()).hidden
    rows = [a for a in assessment.answers if a.carried_value is not None]
    order = {q.id: i for i, q in enumerate(instrument_of(assessment).questions)}
    rows.sort(key=lambda a: order.get(a.question_id, 0))
    changed = [(a.question_id, a.carried_value, a.value) for a in rows if a.value != a.carried_value]
    pending = unconfirmed(assessment, hidden)
    confirmed = sum(1 for a in rows if a.value == a.carried_value and not a.carried_pending)
    date = f"{source.submitted_at:%Y-%m-%d}" if source is not None and source.submitted_at else None
    return CarriedReview(date, changed, pending, confirmed)


def carried_on_page(assessment: Assessment) -> dict | None:
    """For a questionnaire page: where carried answers come from (the instrument's title and the
    date it was submitted; always the same instrument, since nothing is carried between instruments,
    see questionnaires/shared-facts.yaml) and the questions whose carried answers wait."""
    if assessment.carried_from_id is None:
        return None
    source = db.session.get(Assessment, assessment.carried_from_id)
    return {"date": f"{source.submitted_at:%Y-%m-%d}" if source is not None and source.submitted_at else "",
            "title": instrument_of(source if source is not None else assessment).title,
            "pending": {a.question_id for a in assessment.answers if a.carried_pending and a.value is not None}}


def parse_confirm(raw: Any) -> list[str]:
    """Question ids whose carried answers a client confirms as they stand."""
    if raw is None:
        return []
    if isinstance(raw, list) and len(raw) <= 1000 and all(isinstance(q, str) and len(q) <= 64 for q in raw):
        return raw
    raise Refused(422, "bad_confirm", _l("confirm 应为题号列表。"))


def versions(assessment: Assessment) -> dict[str, int]:
    return {a.question_id: a.version for a in assessment.answers}


@dataclass
class Completion:
    answered: int        # shown questions with an answer
    shown: int           # questions currently shown
    missing: list[str]   # shown, required and unanswered
    hidden: set[str]     # not shown: show_if, or skippable under the scoring method (scoring.asked)

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.shown) if self.shown else 100


def completion(inst: Instrument, answers: dict[str, Any]) -> Completion:
    enc = scoring.encode(inst, [answers])
    shown = scoring.asked(enc)  # visible, less what the scoring method lets the firm skip
    visible = [q for q in inst.questions if shown[q.id][0]]
    answered = {q.id for q in visible if enc.columns[q.id].answered[0]}
    return Completion(len(answered), len(visible), [q.id for q in visible if q.required and q.id not in answered],
                      {q.id for q in inst.questions if not shown[q.id][0]})


def store_result(assessment: Assessment, result: scoring.Result) -> Result:
    """Keep the result with the assessment: method, scores and what explains them."""
    data = result.to_dict()
    instrument_id = assessment.instrument_version.instrument_id  # loaded before a half-made row could be autoflushed
    row = assessment.result or Result(assessment=assessment, is_latest=True, latest_in_period=True)
    row.company_id = assessment.company_id
    row.instrument_id = instrument_id
    row.period = period_of(assessment.submitted_at or utcnow())
    row.method = data["method"]
    row.total = data["total"]
    row.level = data["level"]
    row.next_gap = next_gap(data["blockers"])
    row.dimensions = data["dimensions"]
    row.details = {k: data[k] for k in ("indicators", "blockers", "hidden", "question_levels", "question_points",
                                        "not_applicable") if k in data}
    row.indicators = data["indicators"]
    row.computed_at = utcnow()
    by_dim = {d.dimension_id: d for d in row.dimension_scores}
    for dim_id, v in data["dimensions"].items():
        if dim_id in by_dim:
            by_dim[dim_id].percent = v["percent"]
        else:
            row.dimension_scores.append(DimensionScore(dimension_id=dim_id, percent=v["percent"]))
    db.session.add(row)
    return row


def refresh_history(company_id: int, instrument_id: str) -> None:
    """Mark the firm's latest result (overall and per quarter) and link each to the level before it."""
    rows = db.session.execute(
        sa.select(Result).join(Assessment, Assessment.id == Result.assessment_id)
        .where(Result.company_id == company_id, Result.instrument_id == instrument_id)
        .order_by(Assessment.submitted_at, Assessment.id)
    ).scalars().all()
    last_in_period = {r.period: r.id for r in rows}
    previous = None
    for r in rows:
        r.previous_level = previous
        r.is_latest = r is rows[-1]
        r.latest_in_period = last_in_period[r.period] == r.id
        previous = r.level


def submit(assessment: Assessment) -> Result:
    """Freeze the answers, score them on the assessment's own version and benchmark the result."""
    inst = instrument_of(assessment)
    result = scoring.score(inst, assessment.answer_dict(), assessment.not_applicable_reasons())
    assessment.status = "submitted"
    assessment.review_state = "submitted"
    assessment.submitted_at = utcnow()
    row = store_result(assessment, result)
    db.session.flush()
    refresh_history(assessment.company_id, row.instrument_id)
    peers.store_benchmark(assessment)
    return row


def consultant_name(company_id: int) -> str | None:
    """The name of a consultant assigned to the firm, for the report cover."""
    return db.session.scalar(sa.select(User.name).join(Assignment, Assignment.consultant_id == User.id)
                             .where(Assignment.company_id == company_id).order_by(User.id).limit(1))


# --- Operations of a user on assessments: the web pages and the API call these same functions. ---

def open_draft(user: User, company_id: int, instrument_id: str) -> Assessment | None:
    return db.session.scalar(
        assessments_query(user).join(Assessment.instrument_version)
        .where(Assessment.company_id == company_id, Assessment.status == "draft",
               InstrumentVersion.instrument_id == instrument_id))


def start_or_resume(user: User, company_id: int | None, instrument_id: Any,
                    prefill: bool = False) -> tuple[Assessment, bool]:
    """The firm's open draft on this instrument, or a new one (then True): one draft per firm and instrument.
    With `prefill`, a new draft starts from the firm's last submitted answers (see `start`)."""
    if not can_start(user):
        raise Refused(403, "forbidden", _l("园区管理人员查看评估；评估由企业或其顾问填写。"))
    if not isinstance(instrument_id, str) or instrument_id not in questionnaires.available():
        raise Refused(422, "unknown_instrument", _l("没有这个评估工具。"),
                      [{"field": "instrument", "allowed": sorted(questionnaires.available())}])
    if not isinstance(company_id, int) or isinstance(company_id, bool) or not 0 < company_id <= MAX_ID:
        raise Refused(422, "bad_company", _l("请指明企业。"))
    if find_company(user, company_id) is None:
        raise Refused(404, "not_found", _l("找不到这家企业，或您无权查看。"))
    existing = open_draft(user, company_id, instrument_id)
    if existing is not None:
        return existing, False
    a = start(company_id, instrument_id, user.id, prefill=prefill is True)
    db.session.commit()
    return a, True


def parse_base(raw: Any) -> dict[str, int] | None:
    """The answer versions a client last saw, {question id: version}; None when it sent none."""
    if raw is None:
        return None
    if isinstance(raw, dict) and all(isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
                                     and 0 <= v <= MAX_ID for k, v in raw.items()):
        return raw
    raise Refused(422, "bad_base", _l("base 应为题号到版本号的对象。"))


@dataclass
class Outcome:
    """What became of a save: which answers were stored, which were invalid, which changed elsewhere,
    and the draft as it stands after it (taken before the commit, so nothing is read back)."""
    assessment: Assessment
    saved: list[str]
    problems: list[AnswerError]
    conflicts: dict[str, Answer]
    answers: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    saved_at: Any = None
    instrument: Instrument | None = None
    confirmed: list[str] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)


def save(user: User, assessment_id: int, answers: Any, base: dict[str, int] | None, via: str = "web",
         all_or_nothing: bool = False, confirm: list[str] | tuple[str, ...] = ()) -> Outcome:
    """Check and save answers as `user`, with the version check, and commit.

    An answer changed elsewhere since the version in `base` is a conflict, never
    overwritten. With `all_or_nothing` (the API) any invalid answer or conflict
    stores nothing; otherwise (the pages' autosave) the good answers are stored and
    the rest reported. When a concurrent save of the same question wins the race
    (a unique or version clash in the database), it is read again and retried once,
    so the loser sees a conflict.
    """
    if not isinstance(answers, dict):
        raise Refused(422, "bad_answers", _l("请求格式不正确：需要 {\"answers\": {...}}。"))
    for _attempt in range(2):
        a = _editable(user, assessment_id)
        clean, problems = questionnaires.clean_answers(instrument_of(a), answers)
        if problems and all_or_nothing:
            raise Refused(422, "invalid_answers", _l("有答案不符合要求，均未保存。"),
                          [{"question": p.question, "code": p.code, "reason": p.reason} for p in problems])
        try:
            saved = save_answers(a, clean, user.id, via=via, base=base, confirm=confirm)
            if saved.conflicts and all_or_nothing:
                db.session.rollback()
                raise Refused(409, "conflict", _l("答案在您读取之后已被修改，均未保存。"),
                              [{"question": q, "version": row.version, "value": row.value}
                               for q, row in saved.conflicts.items()])
            db.session.flush()  # the answers' new versions are set on the rows here
            after = Outcome(a, sorted(k for k in clean if k not in saved.conflicts), problems, saved.conflicts,
                            a.answer_dict(), versions(a), a.updated_at, instrument_of(a), saved.confirmed,
                            unconfirmed(a))
            db.session.commit()
            return after
        except (IntegrityError, StaleDataError):
            db.session.rollback()
    raise Refused(409, "conflict", _l("同一道题正被同时保存，请稍后再试。"))


def _editable(user: User, assessment_id: int) -> Assessment:
    a = find_assessment(user, assessment_id)
    if a is None:
        raise Refused(404, "not_found", _l("找不到这份评估，或您无权查看。"))
    if not can_edit(user, a):
        raise Refused(409, "not_editable", _l("该评估已提交，不能再修改。"))
    return a


def submit_checked(user: User, assessment_id: int, pledge: Any = None, pledge_version: Any = None) -> Assessment:
    """Submit a draft once every shown required question is answered; score and benchmark it.

    A firm submits only with the truthfulness pledge: `pledge` must be True, and `pledge_version`, when
    given (the web form always gives the version it showed), must be the current one. The pledge is signed
    in the same transaction as the submission, so a refusal changes nothing. A consultant who submits for
    the firm on site does not sign for it: the firm signs on the submitted assessment before verification."""
    from .review import PLEDGE_VERSION, sign_pledge  # review builds on this module
    a = _editable(user, assessment_id)
    done = completion(instrument_of(a), a.answer_dict())
    if done.missing:
        raise Refused(409, "incomplete", _l("还有必答题未填写，请补全后再提交。"), [{"question": q} for q in done.missing])
    pending = unconfirmed(a, done.hidden)
    if pending:
        raise Refused(409, "unconfirmed", _l("还有沿用上次评估的答案未确认，请确认或修改后再提交。"),
                      [{"question": q} for q in pending])
    if user.role == ENTERPRISE:
        if pledge is not True:
            raise Refused(422, "pledge_required", _l("提交前请阅读并勾选真实性承诺。"),
                          [{"field": "pledge", "version": PLEDGE_VERSION}])
        if pledge_version is not None and pledge_version != PLEDGE_VERSION:
            raise Refused(409, "pledge_outdated", _l("真实性承诺的文本已更新，请阅读当前版本后再提交。"),
                          [{"field": "pledge_version", "version": PLEDGE_VERSION}])
    submit(a)
    if user.role == ENTERPRISE:
        sign_pledge(user, a)
    db.session.commit()
    return a


def resume_page(a: Assessment) -> int:
    """The first page with an unanswered question, so a returning user lands where they left."""
    inst = instrument_of(a)
    missing = set(completion(inst, a.answer_dict()).missing)
    for n, dim in enumerate(inst.dimensions, start=1):
        if any(q.id in missing for q in dim.questions):
            return n
    return len(inst.dimensions)


def write_comments(a: Assessment, consultant: User, text: str | None, finalise: bool) -> None:
    """The consultant's comments for the report; finalising shows them to the firm and freezes them."""
    a.comments = (text or "").strip() or None
    if finalise:
        a.finalised_at = utcnow()
        a.finalised_by_id = consultant.id
        inst = instrument_of(a)
        for user in db.session.scalars(sa.select(User).where(User.company_id == a.company_id)):
            notify(user, "report_final", f"/assessments/{a.id}/result", firm=a.company.name,
                   instrument=inst.title.get(user.lang or "zh"))
    db.session.commit()


def change_log(a: Assessment, lang: str, limit: int = 500) -> list[dict]:
    """Every change to the answers, newest first: who, when, through what, from what to what."""
    inst = instrument_of(a)
    rows = db.session.scalars(sa.select(AnswerChange).where(AnswerChange.assessment_id == a.id)
                              .order_by(AnswerChange.at.desc(), AnswerChange.id.desc()).limit(limit)).all()

    def label(qid: str) -> str:
        q = inst.question(qid)
        return q.label(lang) if q else qid

    return [{"at": r.at, "who": r.user.name if r.user else "—", "role": r.user.role if r.user else "", "via": r.via,
             "question": label(r.question_id), "old": answer_text(inst, r.question_id, r.old_value, lang),
             "new": answer_text(inst, r.question_id, r.new_value, lang)} for r in rows]


def report_number(a: Assessment) -> str:
    """A report's number: submission date and assessment id, e.g. 20261123-00803."""
    return f"{(a.submitted_at or a.updated_at):%Y%m%d}-{a.id:05d}"


def previous_result(a: Assessment) -> dict | None:
    """The firm's assessment of the same instrument submitted just before this one, for the
    report's progress table: {date, level, dimensions}."""
    if a.result is None or a.submitted_at is None:
        return None
    row = db.session.execute(
        sa.select(Result.level, Result.dimensions, Result.indicators, Assessment.submitted_at)
        .join(Assessment, Assessment.id == Result.assessment_id)
        .where(Result.company_id == a.company_id, Result.instrument_id == a.result.instrument_id,
               sa.or_(Assessment.submitted_at < a.submitted_at,
                      sa.and_(Assessment.submitted_at == a.submitted_at, Assessment.id < a.id)))
        .order_by(Assessment.submitted_at.desc(), Assessment.id.desc()).limit(1)
    ).first()
    if row is None:
        return None
    return {"level": row.level, "dimensions": row.dimensions, "indicators": row.indicators or {},
            "date": f"{row.submitted_at:%Y-%m-%d}", "at": row.submitted_at}
