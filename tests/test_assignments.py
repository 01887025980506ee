"""Assignments: search firms by name, code or industry, the unassigned view, a confirmation before
un-assigning (a page of its own, no JavaScript), and audit events for both."""
from __future__ import annotations

import sqlalchemy as sa

from diagnosis.extensions import db
from diagnosis.models import Assignment, AuditEvent, Company, User

from .conftest import csrf_from


def _ids(app, world):
    with app.app_context():
        consultant = db.session.scalar(sa.select(User.id).where(User.email == world.a.consultant))
        firm = db.session.get(Company, world.a.firm)
        other = db.session.get(Company, world.a.other)
        return consultant, firm.uscc, other.uscc


def _assigned(app, consultant_id):
    with app.app_context():
        return set(db.session.scalars(sa.select(Assignment.company_id).where(Assignment.consultant_id == consultant_id)))


def _found(admin, query) -> str:
    """The search results table of the page (the consultants' lists below it name firms too)."""
    r = admin.get(f"/zone/assignments?{query}")
    assert r.status_code == 200
    return r.text.split('id="found-title"')[1].split("</table>")[0]


def test_search_by_name_code_and_industry_and_the_unassigned_view(app, world, client):
    admin = client().login(world.a.zone_admin)
    _consultant, firm_code, other_code = _ids(app, world)
    by_name = _found(admin, "q=电子")
    assert "A号电子有限公司" in by_name and "A号精密机械有限公司" not in by_name
    by_code = _found(admin, f"q={firm_code[:17].lower()}")
    assert "A号精密机械有限公司" in by_code and "A号电子有限公司" not in by_code
    by_industry = _found(admin, "industry=39")
    assert "A号电子有限公司" in by_industry and "A号精密机械有限公司" not in by_industry
    unassigned = _found(admin, "unassigned=1")
    assert "A号电子有限公司" in unassigned and "A号精密机械有限公司" not in unassigned
    # Nothing of another zone, and a search string is just text (a % matches nothing, not everything).
    everything = _found(admin, "q=号")
    assert "A号电子有限公司" in everything and "B号" not in everything
    assert "没有符合条件的企业" in _found(admin, "q=%25%27%22%3Cscript%3E")


def test_assign_from_the_search_and_unassign_after_confirmation(app, world, client):
    admin = client().login(world.a.zone_admin)
    consultant, _firm_code, other_code = _ids(app, world)
    page = admin.get("/zone/assignments?unassigned=1")
    r = admin.c.post("/zone/assignments", data={"csrf_token": csrf_from(page.text), "consultant": consultant,
                                                "codes": other_code, "back": "/zone/assignments?unassigned=1"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/zone/assignments?unassigned=1")
    assert world.a.other in _assigned(app, consultant)
    # The link asks first: the GET changes nothing.
    confirm = admin.get(f"/zone/assignments/unassign?consultant={consultant}&company={world.a.other}")
    assert confirm.status_code == 200 and "A号电子有限公司" in confirm.text
    assert world.a.other in _assigned(app, consultant)
    token = csrf_from(confirm.text)
    # Without the confirmation field nothing happens either.
    assert admin.c.post("/zone/assignments/unassign", data={"csrf_token": token, "consultant": consultant,
                                                            "company": world.a.other}).status_code == 422
    assert world.a.other in _assigned(app, consultant)
    r = admin.c.post("/zone/assignments/unassign", data={"csrf_token": token, "consultant": consultant,
                                                         "company": world.a.other, "confirm": "yes"})
    assert r.status_code == 302 and world.a.other not in _assigned(app, consultant)
    with app.app_context():
        events = db.session.execute(sa.select(AuditEvent.action, AuditEvent.detail).where(
            AuditEvent.action.in_(("assign", "unassign"))).order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["assign", "unassign"]
    assert events[0].detail["companies"] == [world.a.other] and events[1].detail["company"] == world.a.other
    # Another zone's staff cannot see or undo zone A's assignment.
    other = client().login(world.b.zone_admin)
    assert other.get(f"/zone/assignments/unassign?consultant={consultant}&company={world.a.firm}").status_code == 404
    assert other.c.post("/zone/assignments/unassign", data={
        "csrf_token": csrf_from(other.get("/zone/assignments").text), "consultant": consultant,
        "company": world.a.firm, "confirm": "yes"}).status_code == 404
    assert world.a.firm in _assigned(app, consultant)
