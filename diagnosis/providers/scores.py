"""Ratings of the service by firms, and each provider's figures computed from what the platform holds.

Every figure comes with its n; below the peer benchmarks' smallest group (BENCHMARK_MIN_PEERS) the
value is withheld, as a peer comparison on fewer firms is. On-time share needs a deadline: the end
date of the programme the assessment belongs to (the firm on its roster, its instrument, started since
the programme began); the provider is on time when it first sent the assessment for review by that
date. Assessments outside every programme have no deadline and are not counted (n says how many were).
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..access import ENTERPRISE, ensure_role, find_assessment
from ..audit import record
from ..errors import Refused
from ..extensions import db
from ..models import (
    Assessment,
    InstrumentVersion,
    Programme,
    Provider,
    ProviderFirm,
    Rating,
    Result,
    ReviewEvent,
    RosterEntry,
    SampleCheck,
    User,
)
from ..peers import min_peers


def rate(user: User, assessment_id: int, stars: Any, comment: Any) -> Rating:
    """The firm rates the service once its assessment is approved; once per assessment."""
    ensure_role(user, ENTERPRISE)
    a = find_assessment(user, assessment_id)
    if a is None:
        raise Refused(404, "not_found", _l("找不到这份评估，或您无权查看。"))
    if a.review_state != "approved":
        raise Refused(409, "wrong_state", _l("诊断通过审核后才能评价。"))
    if not isinstance(stars, int) or isinstance(stars, bool) or not 1 <= stars <= 5:
        raise Refused(422, "bad_stars", _l("请打 1 到 5 分。"), [{"field": "stars"}])
    text = comment.strip() if isinstance(comment, str) else None
    if comment is not None and text is None or text and len(text) > 2000:
        raise Refused(422, "bad_text", _l("评价内容不超过 2000 字。"), [{"field": "comment"}])
    if db.session.scalar(sa.select(Rating.id).where(Rating.assessment_id == a.id)):
        raise Refused(409, "already_rated", _l("这次诊断已经评价过了。"))
    row = Rating(assessment_id=a.id, stars=stars, comment=text or None, by_id=user.id,
                 provider_id=db.session.scalar(sa.select(ProviderFirm.provider_id)
                                               .where(ProviderFirm.company_id == a.company_id)))
    db.session.add(row)
    record("rating", target=f"assessment:{a.id}", detail={"stars": stars, "provider": row.provider_id}, user=user)
    db.session.commit()
    return row


def rating_of(a: Assessment) -> Rating | None:
    return db.session.scalar(sa.select(Rating).where(Rating.assessment_id == a.id))


def _figure(value: float | None, n: int, minimum: int) -> dict:
    small = n < minimum
    return {"value": None if small or value is None else round(value, 3), "n": n, "small": small}


def provider_scores(p: Provider) -> dict:
    """Figures of one provider; each {value, n, small}."""
    minimum = min_peers()
    members = sa.select(User.id).where(User.provider_id == p.id)
    sent = set(db.session.scalars(sa.select(ReviewEvent.assessment_id).where(
        ReviewEvent.action == "send_for_review", ReviewEvent.user_id.in_(members))).all())
    returned = set(db.session.scalars(sa.select(ReviewEvent.assessment_id).where(
        ReviewEvent.action == "return", ReviewEvent.assessment_id.in_(sent or {0}))).all()) if sent else set()
    firms = set(db.session.scalars(sa.select(Assessment.company_id).where(Assessment.id.in_(sent or {0})))) if sent else set()
    stars = db.session.scalars(sa.select(Rating.stars).where(Rating.provider_id == p.id)).all()
    changes = db.session.execute(sa.select(Result.level, Result.previous_level).where(
        Result.company_id.in_(firms or {0}), Result.previous_level.is_not(None))).all() if firms else []
    on_time, with_deadline = _on_time(sent)
    outcomes = db.session.scalars(sa.select(SampleCheck.outcome).join(Assessment, Assessment.id == SampleCheck.assessment_id)
                                  .where(Assessment.id.in_(sent or {0}), SampleCheck.outcome != "pending")).all() if sent else []
    return {
        "served": {"value": len(firms), "n": len(firms), "small": False},  # a count, shown whatever its size
        "on_time": _figure(on_time / with_deadline if with_deadline else None, with_deadline, minimum),
        "return_rate": _figure(len(returned) / len(sent) if sent else None, len(sent), minimum),
        "mean_rating": _figure(sum(stars) / len(stars) if stars else None, len(stars), minimum),
        "level_change": _figure(sum(lv - prev for lv, prev in changes) / len(changes) if changes else None,
                                len(changes), minimum),
        "mismatch_rate": _figure(outcomes.count("mismatch") / len(outcomes) if outcomes else None, len(outcomes),
                                 minimum),
    }


def _on_time(sent: set[int]) -> tuple[int, int]:
    """(sent for review by the deadline, assessments with a deadline) among these assessments."""
    if not sent:
        return 0, 0
    first_sent = dict(db.session.execute(
        sa.select(ReviewEvent.assessment_id, sa.func.min(ReviewEvent.at))
        .where(ReviewEvent.action == "send_for_review", ReviewEvent.assessment_id.in_(sent))
        .group_by(ReviewEvent.assessment_id)).all())
    rows = db.session.execute(
        sa.select(Assessment.id, Assessment.created_at, Programme.starts_on, Programme.ends_on)
        .join(InstrumentVersion, InstrumentVersion.id == Assessment.instrument_version_id)
        .join(RosterEntry, RosterEntry.company_id == Assessment.company_id)
        .join(Programme, sa.and_(Programme.id == RosterEntry.programme_id,
                                 Programme.instrument_id == InstrumentVersion.instrument_id))
        .where(Assessment.id.in_(sent))).all()
    deadline: dict[int, tuple] = {}
    for aid, created, starts, ends in rows:
        if created.date() >= starts and (aid not in deadline or starts > deadline[aid][0]):
            deadline[aid] = (starts, ends)  # the latest programme the assessment was started in
    kept = [first_sent[aid].date() <= ends for aid, (_starts, ends) in deadline.items() if aid in first_sent]
    return sum(kept), len(kept)


def zone_table(staff: User) -> list[tuple[Provider, dict]]:
    from .service import zone_providers
    return [(p, provider_scores(p)) for p in zone_providers(staff)]


FIGURES = [("served", _l("服务企业数")), ("on_time", _l("按时完成比例")), ("return_rate", _l("退回率")),
           ("mean_rating", _l("平均评分")), ("level_change", _l("复评等级变化（平均）")),
           ("mismatch_rate", _l("抽查不一致率"))]


def export_rows(staff: User) -> tuple[list[str], list[list]]:
    header = [str(_l("园区")), str(_l("服务商")), str(_l("统一社会信用代码"))]
    for _key, label in FIGURES:
        header += [str(label), f"{label} n"]
    rows = []
    for p, s in zone_table(staff):
        row: list = [p.zone.name, p.name, p.credit_code]
        for key, _label in FIGURES:
            row += ["" if s[key]["value"] is None else s[key]["value"], s[key]["n"]]
        rows.append(row)
    return header, rows
