"""The per-roster-entry copy (diagnosis/roster_progress.py) that the programme pages, targets and the 台账
read equals a fresh computation from the assessments and results after every kind of change: roster
import and match, start, save, submit, review decisions, reopen, rescore, invitation and opening, an ORM
bulk insert, a rollback and a firm's closure. The reference below is the computation the pages ran
before the copy existed (one lookup of each roster firm's assessments per query)."""
from __future__ import annotations

import io
from datetime import date, timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from diagnosis.assessments import service
from diagnosis.demo import demo_uscc, submit_synthetic
from diagnosis.extensions import db
from diagnosis.models import (
    Assessment,
    ClosureRequest,
    Company,
    InstrumentVersion,
    Programme,
    Result,
    RosterEntry,
    RosterProgress,
    RosterQuarter,
    Target,
    User,
    Zone,
    utcnow,
)
from diagnosis.programmes import roster, targets
from diagnosis.programmes import service as programmes
from diagnosis.rescore import rescore
from scoring.progress import period_of

from .helpers import extreme_answers, sme

HEAD = ["统一社会信用代码", "企业名称", "行业代码", "企业规模", "规上企业", "联系人", "手机", "邮箱", "片区"]


# --- The reference: computed from the assessments and results, as the pages did before the copy ------------

def _progress_subquery(p: Programme) -> sa.Subquery:
    decided = sa.case((Assessment.review_state.in_(programmes.DECIDED), Assessment.submitted_at))
    approved = sa.case((Assessment.review_state == "approved", Assessment.submitted_at))
    return (sa.select(Assessment.company_id.label("company_id"),
                      sa.func.min(Assessment.created_at).label("started_at"),
                      sa.func.max(Assessment.submitted_at).label("submitted_at"),
                      sa.func.max(decided).label("reviewed_at"), sa.func.max(approved).label("approved_at"))
            .join(InstrumentVersion, InstrumentVersion.id == Assessment.instrument_version_id)
            .where(InstrumentVersion.instrument_id == p.instrument_id, Assessment.created_at >= programmes.started_from(p),
                   Assessment.company_id.in_(sa.select(RosterEntry.company_id).where(
                       RosterEntry.programme_id == p.id, RosterEntry.company_id.is_not(None))))
            .group_by(Assessment.company_id).subquery())


def _reference(p: Programme) -> dict:
    prog = _progress_subquery(p)
    status = sa.case((prog.c.reviewed_at == prog.c.submitted_at, "reviewed"),
                     (prog.c.submitted_at.is_not(None), "submitted"), (prog.c.started_at.is_not(None), "started"),
                     (RosterEntry.opened_at.is_not(None), "opened"), (RosterEntry.invited_at.is_not(None), "invited"),
                     else_="not_invited")
    decision = sa.case((status != "reviewed", None), (prog.c.approved_at == prog.c.submitted_at, "approved"),
                       else_="rejected")
    out = {}
    for e, st, started, submitted, dec in db.session.execute(
            sa.select(RosterEntry, status, prog.c.started_at, prog.c.submitted_at, decision)
            .outerjoin(prog, prog.c.company_id == RosterEntry.company_id).where(RosterEntry.programme_id == p.id)).all():
        latest = db.session.scalar(sa.select(Result).where(Result.company_id == e.company_id,
                                                           Result.instrument_id == p.instrument_id, Result.is_latest)) \
            if e.company_id else None
        reached = db.session.scalar(
            sa.select(sa.func.min(Result.period)).join(Assessment, Assessment.id == Result.assessment_id)
            .where(Result.company_id == e.company_id, Result.instrument_id == p.instrument_id,
                   Assessment.created_at >= programmes.started_from(p))) if e.company_id else None
        out[e.id] = {"company_id": e.company_id, "status": st, "decision": dec, "started_at": _t(started),
                     "submitted_at": _t(submitted), "reached": reached,
                     "level": latest.level if latest else None,
                     "verified_level": latest.verified_level if latest and latest.assessment.review_state == "approved"
                     else None,
                     "next_gap": latest.next_gap if latest else None,
                     "assessment_id": latest.assessment_id if latest else None}
    return out


def _reference_quarters(p: Programme) -> set:
    population = sa.select(RosterEntry.company_id).where(RosterEntry.programme_id == p.id,
                                                         RosterEntry.company_id.is_not(None))
    inner = (sa.select(Result.company_id, Result.period, Result.level, sa.func.lead(Result.period).over(
                partition_by=Result.company_id, order_by=Result.period).label("until"))
             .where(Result.instrument_id == p.instrument_id, Result.latest_in_period, Result.company_id.in_(population))
             .subquery())
    return {(c, q, u or "", lv) for c, q, lv, u in db.session.execute(
        sa.select(inner.c.company_id, inner.c.period, inner.c.level, inner.c.until)).all()}


def _t(when):
    """A timestamp as both databases give it back (SQLite: naive)."""
    return None if when is None else when.replace(tzinfo=None, microsecond=when.microsecond)


def _copy(p: Programme) -> dict:
    db.session.expire_all()
    return {r.entry_id: {"company_id": r.company_id, "status": r.status, "decision": r.decision,
                         "started_at": _t(r.started_at), "submitted_at": _t(r.submitted_at), "reached": r.reached,
                         "level": r.level, "verified_level": r.verified_level, "next_gap": r.next_gap,
                         "assessment_id": r.assessment_id}
            for r in db.session.scalars(sa.select(RosterProgress).where(RosterProgress.programme_id == p.id))}


def _compare(p: Programme) -> dict:
    """The copy against the reference; the targets read from it against the old way. Returns the copy."""
    copied, fresh = _copy(p), _reference(p)
    assert copied == fresh
    quarters = {(q.company_id, q.period, q.until, q.level) for q in db.session.scalars(
        sa.select(RosterQuarter).where(RosterQuarter.programme_id == p.id))}
    assert quarters == _reference_quarters(p)
    for t in db.session.scalars(sa.select(Target).where(Target.programme_id == p.id)):
        if t.indicator == "coverage":
            firsts: dict = {}
            for v in fresh.values():
                if v["reached"]:
                    firsts[v["reached"]] = firsts.get(v["reached"], 0) + 1
            assert sorted(targets._coverage_spans(t)) == sorted((q, "", n) for q, n in firsts.items())
        else:
            kept = set(db.session.scalars(sa.select(RosterEntry.company_id).where(
                RosterEntry.programme_id == p.id, RosterEntry.above_scale if t.above_scale_only else sa.true())))
            spans: dict = {}
            for c, q, u, lv in quarters:
                if lv >= t.min_level and c in kept:
                    spans[(q, u)] = spans.get((q, u), 0) + 1
            assert sorted(targets._spans(t)) == sorted((q, u, n) for (q, u), n in spans.items())
            value, n, _d = targets.current(t)
            assert n == sum(1 for v in fresh.values()
                            if v["level"] is not None and v["level"] >= t.min_level and v["company_id"] in kept)
    return copied


def _xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEAD)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _submit(company_id: int, best: bool, when=None) -> Assessment:
    a = service.start(company_id, "sme-digital", None)
    service.save_answers(a, extreme_answers(sme(), best=best), None)
    service.submit(a)
    if when is not None:  # an earlier quarter: as if it had been submitted then
        a.created_at = a.submitted_at = when
        a.result.period = period_of(when)
        db.session.flush()
        service.refresh_history(company_id, "sme-digital")
    db.session.commit()
    return a


@pytest.fixture
def programme(app, world):
    with app.test_request_context():
        admin = db.session.scalar(sa.select(User).where(User.email == world.a.zone_admin))
        from diagnosis.areas import of_zone
        today = date.today()
        p = Programme(area_id=of_zone(world.a.zone).id, zone_id=world.a.zone, name="名单进度", instrument_id="sme-digital",
                      starts_on=today - timedelta(days=200), ends_on=today + timedelta(days=90), reminder_days=7,
                      reminder_cap=2, quotas={}, status="draft", created_by_id=admin.id)
        db.session.add(p)
        db.session.commit()
        for indicator, level in (("coverage", None), ("share_at_level", 2), ("firms_at_level", 1)):
            db.session.add(Target(area_id=p.area_id, programme_id=p.id, name=indicator, indicator=indicator,
                                  instrument_id="sme-digital", min_level=level, above_scale_only=level == 1,
                                  base_year=2025, base_value=0, target_year=2027, target_value=50, nature="expected",
                                  source="测试", is_demo=False, created_at=utcnow()))
        db.session.commit()
        yield p.id


def test_the_copy_equals_a_fresh_computation_after_every_change(app, world, programme):
    with app.test_request_context():
        p = db.session.get(Programme, programme)
        admin = db.session.scalar(sa.select(User).where(User.email == world.a.zone_admin))
        # Firm A submitted long before the programme began: a level, but no start or coverage in it.
        _submit(world.a.firm, best=False, when=utcnow() - timedelta(days=400))
        # roster import (an ORM bulk insert) matching two registered firms by credit code, two not registered
        rows = [[demo_uscc(1), "A号精密机械有限公司", "34", "小型", "是", "", "", "a@example.com", "东区"],
                [demo_uscc(11), "A号电子有限公司", "39", "小型", "否", "", "", "", "西区"],
                [demo_uscc(301), "名单企业一", "34", "小型", "是", "", "", "x1@example.com", "东区"],
                [demo_uscc(302), "名单企业二", "34", "小型", "否", "", "", "", "西区"]]
        roster.import_roster(p, _xlsx(rows), admin)
        copied = _compare(p)
        assert sorted(v["status"] for v in copied.values()) == ["not_invited"] * 4
        assert sum(1 for v in copied.values() if v["level"] is not None) == 1

        # invitations, and a firm opening its link
        programmes.launch(admin, p.id)
        entry = db.session.scalar(sa.select(RosterEntry).where(RosterEntry.uscc == demo_uscc(301)))
        entry.opened_at = utcnow()
        db.session.commit()
        assert sorted(v["status"] for v in _compare(p).values()) == ["invited", "not_invited", "not_invited", "opened"]

        # start, save, submit
        a = service.start(world.a.firm, "sme-digital", None)
        db.session.commit()
        _compare(p)
        service.save_answers(a, extreme_answers(sme(), best=True), None)
        db.session.commit()
        _compare(p)
        service.submit(a)
        db.session.commit()
        copied = _compare(p)
        mine = next(v for v in copied.values() if v["company_id"] == world.a.firm)
        assert mine["status"] == "submitted" and mine["reached"] is not None

        # review decisions: approved with a verified level, then rejected
        a = db.session.get(Assessment, a.id)
        a.review_state = "approved"
        a.result.verified_level, a.result.verified_total = 1, 30.0
        db.session.commit()
        mine = next(v for v in _compare(p).values() if v["company_id"] == world.a.firm)
        assert (mine["status"], mine["decision"], mine["verified_level"]) == ("reviewed", "approved", 1)
        a.review_state = "rejected"
        db.session.commit()
        assert next(v for v in _compare(p).values() if v["company_id"] == world.a.firm)["decision"] == "rejected"

        # reopen: a new revision started (not yet submitted), then submitted
        from diagnosis.assessments.review import verified_answers
        new = service.start(world.a.firm, "sme-digital", None)
        new.revision_of_id = a.id
        db.session.commit()
        _compare(p)
        service.save_answers(new, verified_answers(a), None)
        service.submit(new)
        db.session.commit()
        assert next(v for v in _compare(p).values() if v["company_id"] == world.a.firm)["status"] == "submitted"

        # rescore, after an answer is changed behind the result's back
        worst = extreme_answers(sme(), best=False)
        level_before = db.session.get(Assessment, new.id).result.level
        for answer in db.session.get(Assessment, new.id).answers:
            answer.value = worst.get(answer.question_id, answer.value)
        db.session.commit()
        rescore()
        assert db.session.get(Assessment, new.id).result.level != level_before
        _compare(p)

        # a firm registers with a roster code: its entry is linked to it (the roster match of the join link)
        c = Company(zone_id=world.a.zone, name="名单企业一", uscc=demo_uscc(301), industry_section="C",
                    industry_division="34", employees=30, revenue=800.0, size_class="small")
        db.session.add(c)
        db.session.flush()
        entry = db.session.scalar(sa.select(RosterEntry).where(RosterEntry.uscc == demo_uscc(301)))
        entry.company_id = c.id
        db.session.commit()
        _submit(c.id, best=True)
        assert next(v for v in _compare(p).values() if v["company_id"] == c.id)["status"] == "submitted"

        # an ORM bulk insert of submitted assessments (the demo's way) for the other firm
        submit_synthetic("sme-digital", [db.session.get(Company, world.a.other)], np.full(1, 0.5),
                         np.random.default_rng(3), utcnow(), days=(1, 30))
        db.session.commit()
        assert next(v for v in _compare(p).values() if v["company_id"] == world.a.other)["status"] == "submitted"

        # a rollback leaves the copy as it was
        before = _copy(p)
        b = service.start(c.id, "sme-digital", None)
        service.save_answers(b, extreme_answers(sme(), best=False), None)
        service.submit(b)
        db.session.flush()
        db.session.rollback()
        assert _compare(p) == before


@pytest.mark.parametrize("mode", ["anonymise", "delete"])
def test_a_closed_firm_keeps_its_roster_line_and_the_copy_follows(app, world, programme, mode):
    from diagnosis.company import privacy
    with app.test_request_context():
        p = db.session.get(Programme, programme)
        admin = db.session.scalar(sa.select(User).where(User.email == world.a.zone_admin))
        roster.import_roster(p, _xlsx([[demo_uscc(1), "A号精密机械有限公司", "34", "小型", "是", "", "", "", "东区"],
                                       [demo_uscc(11), "A号电子有限公司", "39", "小型", "否", "", "", "", "西区"]]), admin)
        _submit(world.a.firm, best=True)
        _submit(world.a.other, best=False)
        assert sorted(v["status"] for v in _compare(p).values()) == ["submitted", "submitted"]
        db.session.get(Zone, world.a.zone).closure_mode = mode
        db.session.commit()
        firm_user = db.session.scalar(sa.select(User).where(User.email == world.a.enterprise))
        privacy.request_closure(firm_user, "不再经营")
        rid = db.session.scalar(sa.select(ClosureRequest.id))
        assert privacy.confirm(admin, rid, True) == mode
        copied = _compare(db.session.get(Programme, programme))  # (a deletion leaves the session empty)
        statuses = sorted(v["status"] for v in copied.values())
        # anonymised: the firm and its results stay (statistics); deleted: its line is no longer linked
        assert statuses == (["submitted", "submitted"] if mode == "anonymise" else ["not_invited", "submitted"])
        assert len(copied) == 2


def test_a_programme_target_counts_on_the_programmes_instrument(app, world, programme):
    """The roster copy holds the programme's instrument: a target of the programme on another one is refused,
    naming the field (the page's form sends the programme's instrument; the API could send any)."""
    from diagnosis.errors import Refused
    with app.test_request_context():
        admin = db.session.scalar(sa.select(User).where(User.email == world.a.zone_admin))
        form = targets.TargetForm(name="上云企业数", indicator="firms_at_level", instrument_id="cloud-adoption",
                                  min_level=3, above_scale_only=False, base_year=2025, base_value=0, target_year=2027,
                                  target_value=10, nature="expected", source="测试", programme_id=programme)
        with pytest.raises(Refused) as refused:
            targets.set_target(admin, form)
        assert refused.value.status == 422 and {"field": "instrument"} in refused.value.details
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Target))
        form.instrument_id, form.min_level = "sme-digital", 2
        targets.set_target(admin, form)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Target)) == before + 1
