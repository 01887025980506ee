"""Provider administration (issue 18): every step is in the audit log (register, suspend, add and remove
a consultant, the lead's assignments, the zone's assignment of firms, the firm's rating)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from diagnosis.extensions import db
from diagnosis.models import Assessment, Assignment, AuditEvent, Company, SampleCheck, User
from diagnosis.providers import scores
from diagnosis.providers import service as providers

from .conftest import Client
from .helpers import extreme_answers, sme
from .test_areas import cities  # noqa: F401  (the fixture)
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


# --- Staff of a city or province: their zones' providers and samples, zone by zone, read only ---

def test_city_and_province_staff_see_the_providers_and_samples_of_their_zones_only(app, cities, client):  # noqa: F811
    from diagnosis.demo import demo_uscc
    from diagnosis.zone import sampling

    world, staff, _ids = cities
    with app.test_request_context():
        admin_a, admin_b = _u(world.a.zone_admin), _u(world.b.zone_admin)
        pa = providers.create(admin_a, "甲诊断服务有限公司", demo_uscc(901))
        pb = providers.create(admin_b, "乙咨询有限公司", demo_uscc(902))
        codes = dict(db.session.execute(sa.select(Company.id, Company.uscc)).all())
        providers.assign_firms(admin_a, pa.id, [codes[world.a.firm], codes[world.a.other]])
        draw_a = sampling.draw(admin_a, {"instrument": "sme-digital", "share": "1"}, seed=3)
        draw_b = sampling.draw(admin_b, {"instrument": "sme-digital", "share": "1"}, seed=3)
        pa_id, pb_id, da, db_ = pa.id, pb.id, draw_a.id, draw_b.id
    x = client().login(staff["x"])
    table = x.get("/providers/").text
    assert "甲诊断服务有限公司" in table and "乙咨询有限公司" in table
    assert "Zone A" in table and "Zone B" in table and 'id="p-name"' not in table  # a zone column; no registering
    page = x.get(f"/providers/{pa_id}").text
    assert "A号精密机械有限公司" in page and 'name="op"' not in page  # read only
    assert x.post_form(f"/providers/{pa_id}", {"op": "active", "active": "no"}, page=f"/providers/{pa_id}").status_code == 403
    assert x.post_form("/providers/", {"name": "丙", "credit_code": demo_uscc(903)}).status_code == 403
    csv = x.get("/providers/scores.csv").data.decode("utf-8-sig").splitlines()
    assert csv[0].startswith("园区,服务商") and len(csv) == 3
    samples = x.get("/zone/samples").text
    assert f"/zone/samples/{da}" in samples and f"/zone/samples/{db_}" in samples and "Zone B" in samples
    assert 'name="seed"' not in samples  # no drawing from a city
    sample = x.get(f"/zone/samples/{da}").text
    assert "A号精密机械有限公司" in sample and 'name="outcome"' not in sample
    with app.app_context():
        check = db.session.scalar(sa.select(SampleCheck.id).where(SampleCheck.draw_id == da).limit(1))
    assert x.post_form(f"/zone/samples/{da}", {"check": str(check), "outcome": "match"},
                       page=f"/zone/samples/{da}").status_code == 403
    # City Y sees nothing of city X; the province sees both.
    y = client().login(staff["y"])
    assert "甲诊断服务有限公司" not in y.get("/providers/").text and y.get(f"/providers/{pa_id}").status_code == 404
    assert y.get(f"/zone/samples/{da}").status_code == 404 and f"/zone/samples/{da}" not in y.get("/zone/samples").text
    p = client().login(staff["p"])
    assert p.get(f"/providers/{pb_id}").status_code == 200 and p.get(f"/zone/samples/{db_}").status_code == 200
    # Sub-zone staff of 东区 see zone A's provider, with only their sub-zone's firms.
    east = client().login(staff["east"]).get(f"/providers/{pa_id}").text
    assert "A号精密机械有限公司" in east and "A号电子有限公司" not in east
    # The zone's own staff still manage it.
    assert client().login(world.a.zone_admin).get(f"/providers/{pa_id}").text.count('name="op"') >= 3
