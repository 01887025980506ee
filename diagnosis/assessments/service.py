"""Assessment operations shared by the web views, the CLI and the demo seeder."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

import questionnaires
import scoring
from questionnaires import Instrument

from ..extensions import db
from scoring.progress import next_gap, period_of

from ..models import Answer, AnswerChange, Assessment, Assignment, User, DimensionScore, InstrumentVersion, Result, utcnow


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


def instrument_of(assessment: Assessment) -> Instrument:
    """The definition the assessment was answered on, not the current file."""
    v = assessment.instrument_version
    return _from_snapshot(v.content_hash, v.definition)


def start(company_id: int, instrument_id: str, user_id: int | None) -> Assessment:
    version = snapshot(questionnaires.get(instrument_id))
    a = Assessment(company_id=company_id, instrument_version_id=version.id, status="draft", created_by_id=user_id)
    db.session.add(a)
    db.session.flush()
    return a


@dataclass
class Saved:
    changed: list[str]               # questions whose answer changed
    conflicts: dict[str, "Answer"]   # questions edited elsewhere since the client's version: not saved


def save_answers(assessment: Assessment, answers: dict[str, Any], user_id: int | None, via: str = "web",
                 base: dict[str, int] | None = None) -> Saved:
    """Upsert the given answers (None clears one); other questions are left as they are.

    `base` gives, per question, the version the client last saw (0: it saw none). A
    question whose stored version differs, and whose stored value differs from the new
    one, is a conflict: it is reported, not overwritten. Without `base` the last save
    wins (imports, and callers that just read the answers).

    Every change is recorded with who made it, when and through what (web, api,
    import), so a consultant's corrections on site can be told from the firm's
    own answers.
    """
    existing = {a.question_id: a for a in assessment.answers}
    changed, conflicts = [], {}
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
        db.session.add(AnswerChange(assessment_id=assessment.id, question_id=qid, old_value=old, new_value=value,
                                    user_id=user_id, via=via))
        changed.append(qid)
    assessment.updated_at = utcnow()
    return Saved(changed, conflicts)


def versions(assessment: Assessment) -> dict[str, int]:
    return {a.question_id: a.version for a in assessment.answers}


@dataclass
class Completion:
    answered: int        # shown questions with an answer
    shown: int           # questions currently shown
    missing: list[str]   # shown, required and unanswered
    hidden: set[str]     # not shown because of show_if

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.shown) if self.shown else 100


def completion(inst: Instrument, answers: dict[str, Any]) -> Completion:
    enc = scoring.encode(inst, [answers])
    shown = scoring.visible(enc)
    visible = [q for q in inst.questions if shown[q.id][0]]
    answered = {q.id for q in visible if enc.columns[q.id].answered[0]}
    return Completion(len(answered), len(visible), [q.id for q in visible if q.required and q.id not in answered],
                      {q.id for q in inst.questions if not shown[q.id][0]})


def store_result(assessment: Assessment, result: scoring.Result) -> Result:
    """Keep the result with the assessment: method, scores and what explains them."""
    data = result.to_dict()
    row = assessment.result or Result(assessment=assessment, is_latest=True, latest_in_period=True)
    row.company_id = assessment.company_id
    row.instrument_id = assessment.instrument_version.instrument_id
    row.period = period_of(assessment.submitted_at or utcnow())
    row.method = data["method"]
    row.total = data["total"]
    row.level = data["level"]
    row.next_gap = next_gap(data["blockers"])
    row.dimensions = data["dimensions"]
    row.details = {k: data[k] for k in ("indicators", "blockers", "hidden", "question_levels", "question_points")}
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
    from ..benchmarks import store_benchmark  # benchmarks build on this module

    inst = instrument_of(assessment)
    result = scoring.score(inst, assessment.answer_dict())
    assessment.status = "submitted"
    assessment.submitted_at = utcnow()
    row = store_result(assessment, result)
    db.session.flush()
    refresh_history(assessment.company_id, row.instrument_id)
    store_benchmark(assessment)
    return row


def consultant_name(company_id: int) -> str | None:
    """The name of a consultant assigned to the firm, for the report cover."""
    return db.session.scalar(sa.select(User.name).join(Assignment, Assignment.consultant_id == User.id)
                             .where(Assignment.company_id == company_id).order_by(User.id).limit(1))


def report_number(a: Assessment) -> str:
    """A report's number: submission date and assessment id, e.g. 20261123-00803."""
    return f"{(a.submitted_at or a.updated_at):%Y%m%d}-{a.id:05d}"


def previous_result(a: Assessment) -> dict | None:
    """The firm's assessment of the same instrument submitted just before this one, for the
    report's progress table: {date, level, dimensions}."""
    if a.result is None or a.submitted_at is None:
        return None
    row = db.session.execute(
        sa.select(Result.level, Result.dimensions, Assessment.submitted_at)
        .join(Assessment, Assessment.id == Result.assessment_id)
        .where(Result.company_id == a.company_id, Result.instrument_id == a.result.instrument_id,
               sa.or_(Assessment.submitted_at < a.submitted_at,
                      sa.and_(Assessment.submitted_at == a.submitted_at, Assessment.id < a.id)))
        .order_by(Assessment.submitted_at.desc(), Assessment.id.desc()).limit(1)
    ).first()
    if row is None:
        return None
    return {"level": row.level, "dimensions": row.dimensions, "date": f"{row.submitted_at:%Y-%m-%d}"}
