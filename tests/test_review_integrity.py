"""The review's integrity (issue 18): a firm submits only with the current truthfulness pledge (web, API),
and the review history cannot be edited after the fact: the database refuses UPDATE and DELETE of its rows
(on SQLite and on PostgreSQL, whichever the suite runs on), except through the documented erasure."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from diagnosis.assessments import review
from diagnosis.assessments.review import PLEDGE_VERSION
from diagnosis.extensions import db
from diagnosis.history import erasure
from diagnosis.models import AnswerChange, Assessment, QuestionNote, Result, ReviewEvent, User

from .conftest import Client
from .helpers import extreme_answers, sme
from .test_providers_review import token


def _facts(app, aid):
    with app.app_context():
        a = db.session.get(Assessment, aid)
        events = db.session.scalar(sa.select(sa.func.count()).select_from(ReviewEvent)
                                   .where(ReviewEvent.assessment_id == aid))
        results = db.session.scalar(sa.select(sa.func.count()).select_from(Result).where(Result.assessment_id == aid))
        return a.status, a.review_state, a.pledged_at, events, results


def test_a_firm_cannot_submit_on_the_web_without_the_current_pledge(app, world):
    firm = Client(app).login(world.a.enterprise)
    aid = firm.start()
    assert firm.autosave(aid, extreme_answers(sme(), best=True)).status_code == 200
    page = firm.get(f"/assessments/{aid}/review").text
    assert PLEDGE_VERSION in page and 'name="pledge"' in page and "真实性" in page
    before = _facts(app, aid)
    assert before == ("draft", None, None, 0, 0)
    r = firm.post_form(f"/assessments/{aid}/review", {})
    assert r.status_code == 422 and "提交前请阅读并勾选真实性承诺" in r.text
    assert _facts(app, aid) == before
    r = firm.post_form(f"/assessments/{aid}/review", {"pledge": "yes", "pledge_version": "2019-01"})
    assert r.status_code == 422 and "真实性承诺的文本已更新" in r.text
    assert _facts(app, aid) == before
    r = firm.post_form(f"/assessments/{aid}/review", {"pledge": "yes", "pledge_version": PLEDGE_VERSION})
    assert r.status_code == 302
    status, state, pledged_at, events, results = _facts(app, aid)
    assert (status, state, events, results) == ("submitted", "submitted", 1, 1) and pledged_at is not None
    with app.app_context():
        a = db.session.get(Assessment, aid)
        ev = db.session.scalar(sa.select(ReviewEvent).where(ReviewEvent.assessment_id == aid))
        assert (a.pledge_version, ev.action, ev.text) == (PLEDGE_VERSION, "pledge", PLEDGE_VERSION)
        assert a.pledged_by_id == db.session.scalar(sa.select(User.id).where(User.email == world.a.enterprise))


def test_a_firm_cannot_submit_through_the_api_without_the_pledge(app, world):
    t = token(app, world.a.enterprise)
    aid = t.call("POST", "/assessments", json={"instrument": "sme-digital"}).get_json()["id"]
    assert t.call("PATCH", f"/assessments/{aid}/answers", "/assessments/{assessment_id}/answers",
                  json={"answers": extreme_answers(sme(), best=False)}).status_code == 200
    path, tmpl = f"/assessments/{aid}/submit", "/assessments/{assessment_id}/submit"
    before = _facts(app, aid)
    r = t.call("POST", path, tmpl)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "pledge_required"
    assert r.get_json()["error"]["details"] == [{"field": "pledge", "version": PLEDGE_VERSION}]
    assert t.call("POST", path, tmpl, json={"pledge": False}).status_code == 422
    r = t.call("POST", path, tmpl, json={"pledge": True, "pledge_version": "2019-01"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "pledge_outdated"
    assert t.call("POST", path, tmpl, data="[1]", content_type="application/json").status_code == 400
    assert _facts(app, aid) == before
    r = t.call("POST", path, tmpl, json={"pledge": True, "pledge_version": PLEDGE_VERSION})
    assert r.status_code == 200 and r.get_json()["state"] == "submitted"
    assert _facts(app, aid)[2] is not None


def test_a_consultant_submits_for_the_firm_and_the_firm_signs_before_verification(app, world):
    consultant = Client(app).login(world.a.consultant)
    r = consultant.post_form("/assessments/new", {"instrument": "sme-digital", "company": str(world.a.firm)},
                             page="/workspace/")
    assert r.status_code == 302, r.text
    aid = int(r.headers["Location"].split("/")[2])
    assert consultant.autosave(aid, extreme_answers(sme(), best=True)).status_code == 200
    page = consultant.get(f"/assessments/{aid}/review").text
    assert "提交评估" in page and 'name="pledge"' not in page
    assert consultant.post_form(f"/assessments/{aid}/review", {}).status_code == 302
    assert _facts(app, aid)[:3] == ("submitted", "submitted", None)  # the consultant did not sign for the firm
    with app.test_request_context():
        c = db.session.scalar(sa.select(User).where(User.email == world.a.consultant))
        with pytest.raises(Exception) as e:
            review.start_verification(c, aid)
        assert e.value.code == "no_pledge"
        firm = db.session.scalar(sa.select(User).where(User.email == world.a.enterprise))
        review.pledge(firm, aid, True)
    assert _facts(app, aid)[2] is not None


# --- The append-only history ---

def _history(app, world):
    """A submitted assessment with a review step, a note and answer changes."""
    aid = Client(app).login(world.a.enterprise).submit(extreme_answers(sme(), best=True))
    with app.test_request_context():
        firm = db.session.scalar(sa.select(User).where(User.email == world.a.enterprise))
        review.add_note(firm, aid, "quality", "质检记录在档")
    return aid


ROWS = {"review_events": ReviewEvent, "question_notes": QuestionNote, "answer_changes": AnswerChange}
CHANGES = {"review_events": {"text": "改写的历史"}, "question_notes": {"text": "改写的备注"},
           "answer_changes": {"via": "forged"}}


@pytest.mark.parametrize("table", sorted(ROWS))
def test_the_database_refuses_to_update_or_delete_history_rows(app, world, table):
    aid = _history(app, world)
    model = ROWS[table]
    with app.app_context():
        before = db.session.execute(sa.select(model).where(model.assessment_id == aid)).scalars().all()
        snapshot = sorted((r.id, getattr(r, next(iter(CHANGES[table])))) for r in before)
        assert snapshot
        db.session.rollback()
        with db.engine.connect() as conn:
            for statement in (sa.update(model).where(model.assessment_id == aid).values(**CHANGES[table]),
                              sa.delete(model).where(model.assessment_id == aid)):
                with pytest.raises(sa.exc.DBAPIError) as e:
                    conn.execute(statement)
                assert "append-only" in str(e.value)
                conn.rollback()
        # Through the ORM too (a session that edits a loaded row).
        row = db.session.get(model, snapshot[0][0])
        setattr(row, next(iter(CHANGES[table])), "x")
        with pytest.raises(sa.exc.DBAPIError):
            db.session.commit()
        db.session.rollback()
        after = db.session.execute(sa.select(model).where(model.assessment_id == aid)).scalars().all()
        assert sorted((r.id, getattr(r, next(iter(CHANGES[table])))) for r in after) == snapshot
        # Deleting the assessment (as a cascade would) cannot take its history with it either.
        if table == "review_events":
            with db.engine.connect() as conn:
                with pytest.raises(sa.exc.DBAPIError):
                    conn.execute(sa.delete(ReviewEvent).where(ReviewEvent.assessment_id == aid))
                conn.rollback()


def test_history_is_erased_only_through_the_documented_path(app, world):
    aid = _history(app, world)
    with app.app_context():
        with erasure(db.session):
            for model in ROWS.values():
                db.session.execute(sa.delete(model).where(model.assessment_id == aid))
            db.session.flush()
        db.session.commit()
        assert all(db.session.scalar(sa.select(sa.func.count()).select_from(m).where(m.assessment_id == aid)) == 0
                   for m in ROWS.values())
    # The flag ended with the block: new history rows are protected again.
    aid2 = _history(app, world)
    with app.app_context():
        with pytest.raises(sa.exc.DBAPIError):
            db.session.execute(sa.delete(ReviewEvent).where(ReviewEvent.assessment_id == aid2))
        db.session.rollback()
        # ... and an error inside the block rolls back: nothing was erased.
        with pytest.raises(RuntimeError):
            with erasure(db.session):
                db.session.execute(sa.delete(ReviewEvent).where(ReviewEvent.assessment_id == aid2))
                raise RuntimeError("stop")
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReviewEvent)
                                 .where(ReviewEvent.assessment_id == aid2)) == 1
        with pytest.raises(sa.exc.DBAPIError):
            db.session.execute(sa.delete(ReviewEvent).where(ReviewEvent.assessment_id == aid2))
        db.session.rollback()


def test_the_audit_log_is_append_only_too(app, world):
    """Nobody rewrites who did what: the audit log refuses UPDATE and DELETE like the review history, and
    only the documented erasure (a closed firm's references) gets through."""
    from diagnosis.models import AuditEvent
    with app.app_context():
        event = AuditEvent(action="export", target="company:1", detail={"rows": 3})
        db.session.add(event)
        db.session.commit()
        event_id = event.id
        with db.engine.connect() as conn:
            for statement in (sa.update(AuditEvent).where(AuditEvent.id == event_id).values(action="view"),
                              sa.delete(AuditEvent).where(AuditEvent.id == event_id)):
                with pytest.raises(sa.exc.DBAPIError) as e:
                    conn.execute(statement)
                assert "append-only" in str(e.value)
                conn.rollback()
        assert db.session.get(AuditEvent, event_id).action == "export"
        with erasure(db.session):
            db.session.execute(sa.update(AuditEvent).where(AuditEvent.id == event_id).values(target=None))
            db.session.flush()
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(AuditEvent, event_id).target is None
