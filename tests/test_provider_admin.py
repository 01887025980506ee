"""Provider administration (issue 18): every step is in the audit log (register, suspend, add and remove
a consultant, the lead's assignments, the zone's assignment of firms, the firm's rating)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from diagnosis.extensions import db
from diagnosis.models import Assessment, Assignment, AuditEvent, User
from diagnosis.providers import scores
from diagnosis.providers import service as providers

from .conftest import Client
from .helpers import extreme_answers, sme
from .test_providers_review import firms  # noqa: F401  (the fixture)


def _u(email):
    return db.session.scalar(sa.select(User).where(User.email == email))


def _events(action):
    return db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id)).scalars().all()


def test_provider_administration_and_ratings_are_audited(app, world, firms):  # noqa: F811
    with app.test_request_context():
        admin, lead = _u(world.a.zone_admin), _u("lead1@example.com")
        # The fixture registered two providers, added three consultants, gave each a firm, and the lead
        # assigned c1: each of those is in the log, by whom, in the zone.
        created = _events("provider_create")
        assert [e.detail["name"] for e in created] == ["甲诊断服务有限公司", "乙咨询有限公司"]
        assert {e.user_id for e in created} == {admin.id} and {e.zone_id for e in created} == {world.a.zone}
        assert [(e.target, e.detail["email"], e.detail["lead"]) for e in _events("provider_member_add")] == [
            (f"provider:{firms.p1}", "lead1@example.com", True), (f"provider:{firms.p1}", "c1@example.com", False),
            (f"provider:{firms.p2}", "c2@example.com", False)]
        given = _events("provider_firms")
        assert [(e.target, e.detail["companies"]) for e in given] == [
            (f"provider:{firms.p1}", [world.a.firm]), (f"provider:{firms.p2}", [world.a.other])]
        c1 = _u("c1@example.com")
        assigned = _events("provider_consultant_assign")
        assert [(e.user_id, e.target, e.detail["consultant"]) for e in assigned] == [
            (lead.id, f"company:{world.a.firm}", c1.id)]
        # The other firm moves to P1: the log says from where.
        other_code = db.session.execute(sa.text("SELECT uscc FROM companies WHERE id = :i"), {"i": world.a.other}).scalar()
        providers.assign_firms(admin, firms.p1, [other_code])
        assert _events("provider_firms")[-1].detail["moved"] == [{"company": world.a.other, "from": firms.p2}]
        providers.unassign_consultant(lead, firms.p1, c1.id, world.a.firm)
        assert [e.target for e in _events("provider_consultant_unassign")] == [f"company:{world.a.firm}"]
        providers.assign_consultant(lead, firms.p1, c1.id, world.a.firm)
        # Removing a consultant takes the provider's firms from them, and is logged.
        providers.remove_member(admin, firms.p1, c1.id)
        c1 = _u("c1@example.com")
        assert c1.provider_id is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)
                                 .where(Assignment.consultant_id == c1.id)) == 0
        assert _events("provider_member_remove")[-1].detail == {"user": c1.id, "email": "c1@example.com",
                                                                "assignments_removed": 1}
        with pytest.raises(Exception) as e:
            providers.remove_member(admin, firms.p1, c1.id)
        assert e.value.status == 422
        # Suspending and resuming; a no-op is not logged twice.
        providers.set_active(admin, firms.p2, False)
        providers.set_active(admin, firms.p2, False)
        providers.set_active(admin, firms.p2, True)
        assert [e.action for e in db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action.in_(["provider_suspend", "provider_resume"])).order_by(AuditEvent.id))] == [
            "provider_suspend", "provider_resume"]
    # The firm's rating, after approval, is audited too; an overlong comment is refused, not cut.
    aid = Client(app).login(world.a.enterprise).submit(extreme_answers(sme(), best=True))
    with app.test_request_context():
        a = db.session.get(Assessment, aid)
        a.review_state = "approved"
        db.session.commit()
        firm = _u(world.a.enterprise)
        with pytest.raises(Exception) as e:
            scores.rate(firm, aid, 4, "很" * 2001)
        assert e.value.status == 422
        scores.rate(firm, aid, 4, "认真")
        [ev] = _events("rating")
        assert (ev.user_id, ev.target, ev.detail) == (firm.id, f"assessment:{aid}", {"stars": 4, "provider": firms.p1})
    # The zone's audit page names the new actions in its filter.
    page = Client(app).login(world.a.zone_admin).get("/zone/audit?action=provider_firms").text
    assert "分配企业给服务商" in page and f"provider:{firms.p1}" in page
    assert Client(app).login(world.a.zone_admin).get("/zone/audit?action=bogus").status_code == 400
