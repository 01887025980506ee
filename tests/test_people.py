"""Zone staff manage their people in the app: invitation codes, invited consultants, deactivation."""
from __future__ import annotations

import re
import time
from datetime import date, timedelta

import sqlalchemy as sa

from diagnosis.api.tokens import issue
from diagnosis.extensions import db
from diagnosis.models import AuditEvent, InviteCode, User

from .conftest import PASSWORD, csrf_from
from .test_areas import cities  # noqa: F401, F811  (fixture)
from .test_mail import _body, smtp, worker  # noqa: F401  (fixtures)

NEW = "fresh-meadow-4821"


def _user(email):
    return db.session.scalar(sa.select(User).where(User.email == email))


def _actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def _register(client, code, email):
    return client().post_form("/auth/register", {"invite_code": code, "name": "新企业", "email": email,
                                                 "password": "Register-pass-2026", "confirm": "Register-pass-2026",
                                                 "privacy": "y"})


def test_staff_create_codes_and_registration_honours_limit_and_expiry(app, world, client):
    admin = client().login(world.a.zone_admin)
    r = admin.post_form("/zone/invites", {"code": "SPRING-2027", "max_uses": "1",
                                          "expires_on": (date.today() + timedelta(days=30)).isoformat()})
    assert r.status_code == 302
    assert _register(client, "SPRING-2027", "first@example.com").status_code == 302
    page = admin.get("/zone/invites").text
    assert "SPRING-2027" in page and "first@example.com" in page and "次数已满" in page
    with app.app_context():
        first = _user("first@example.com")
        code = db.session.scalar(sa.select(InviteCode).where(InviteCode.code == "SPRING-2027"))
        assert first.zone_id == world.a.zone and first.invite_code_id == code.id
    # The limit is reached: a clear error, no account.
    r = _register(client, "SPRING-2027", "second@example.com")
    assert r.status_code == 200 and "使用次数已满" in r.text
    # A code expired now cannot be used either; the zone's standing code still works.
    admin.post_form("/zone/invites", {"code": "AUTUMN-2027"})
    with app.app_context():
        code_id = db.session.scalar(sa.select(InviteCode.id).where(InviteCode.code == "AUTUMN-2027"))
    assert admin.post_form(f"/zone/invites/{code_id}/expire", {}, page="/zone/invites").status_code == 302
    r = _register(client, "AUTUMN-2027", "third@example.com")
    assert r.status_code == 200 and "邀请码已过期" in r.text
    assert _register(client, world.a.invite, "fourth@example.com").status_code == 302
    with app.app_context():
        assert _user("second@example.com") is None and _user("third@example.com") is None
        assert _user("fourth@example.com").invite_code_id is None
    actions = _actions(app)
    assert actions.count("invite_created") == 2 and "invite_expired" in actions and "register_refused" in actions
    # Zone B's staff neither see nor expire zone A's codes.
    other = client().login(world.b.zone_admin)
    assert "SPRING-2027" not in other.get("/zone/invites").text
    assert other.post_form(f"/zone/invites/{code_id}/expire", {}, page="/zone/invites").status_code == 404
    # Hostile input gets a clear refusal.
    for bad in ({"code": "x"}, {"code": "OK-CODE-1", "max_uses": "99999999999999999999"},
                {"code": "OK-CODE-2", "expires_on": "2001-01-01"}, {"code": "SPRING-2027"}):
        r = admin.post_form("/zone/invites", bad)
        assert r.status_code == 302
        assert "error" in admin.get("/zone/invites").text


def test_an_invited_consultant_sets_a_password_and_logs_in(app, world, client, smtp, worker):  # noqa: F811
    admin = client().login(world.a.zone_admin)
    r = admin.post_form("/zone/people", {"name": "新顾问", "email": "new.consultant@example.com", "role": "consultant",
                                         "lang": "zh"})
    assert r.status_code == 302
    for _ in range(100):  # bounded wait for the worker
        if smtp.messages:
            break
        time.sleep(0.1)
    assert len(smtp.messages) == 1 and smtp.messages[0]["To"] == "new.consultant@example.com"
    link = re.search(r"http://127\.0\.0\.1:8000(/auth/invite/\S+)", _body(smtp.messages[0])).group(1)
    # No password works before the invitee sets one.
    assert client().post_form("/auth/login", {"email": "new.consultant@example.com", "password": "!invited:"}).status_code == 200
    assert "已邀请，尚未设置密码" in admin.get("/zone/people").text
    c = client()
    page = c.get(link)
    assert page.status_code == 200
    r = c.c.post(link, data={"password": NEW, "confirm": NEW, "csrf_token": csrf_from(page.text)})
    assert r.status_code == 302
    consultant = client().login("new.consultant@example.com", NEW)
    assert consultant.get("/workspace/").status_code == 200
    with app.app_context():
        u = _user("new.consultant@example.com")
        assert u.role == "consultant" and u.zone_id == world.a.zone
    assert client().get(link).status_code == 400  # the link works once
    assert {"user_invited", "invite_accepted"} <= set(_actions(app))


def test_staff_invite_nobody_above_themselves_and_manage_only_their_area(app, world, client):
    admin = client().login(world.a.zone_admin)
    for role in ("enterprise", "root", "zone_admin' OR 1=1"):
        admin.post_form("/zone/people", {"name": "x", "email": f"{len(role)}@example.com", "role": role})
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.name == "x")) == 0
        b_firm = _user(world.b.enterprise).id
        a_firm = _user(world.a.enterprise).id
        me = _user(world.a.zone_admin).id
    assert world.b.enterprise not in admin.get("/zone/people").text
    token = csrf_from(admin.get("/zone/people").text)
    assert admin.c.post(f"/zone/people/{b_firm}/deactivate", data={"csrf_token": token}).status_code == 404
    assert admin.c.post(f"/zone/people/{me}/deactivate", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert _user(world.b.enterprise).active and _user(world.a.zone_admin).active
    firm = client().login(world.a.enterprise)
    assert firm.c.post(f"/zone/people/{a_firm}/deactivate", data={"csrf_token": csrf_from(firm.get("/home").text)}
                       ).status_code == 403


def test_a_deactivated_user_can_neither_log_in_nor_use_a_token_until_reactivated(app, world, client):
    with app.app_context():
        user = _user(world.a.consultant)
        token = issue(user, "sync")
        uid = user.id
        db.session.commit()
    api = app.test_client()
    assert api.get("/api/v1/companies", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    session = client().login(world.a.consultant)
    admin = client().login(world.a.zone_admin)
    assert admin.post_form(f"/zone/people/{uid}/deactivate", {}, page="/zone/people").status_code == 302
    assert "已停用" in admin.get("/zone/people").text
    assert session.get("/workspace/").status_code == 302  # the open session ended
    assert client().post_form("/auth/login", {"email": world.a.consultant, "password": PASSWORD}).status_code == 200
    assert api.get("/api/v1/companies", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert admin.post_form(f"/zone/people/{uid}/reactivate", {}, page="/zone/people").status_code == 302
    client().login(world.a.consultant)
    actions = _actions(app)
    assert "deactivated" in actions and "reactivated" in actions


def test_people_page_shows_the_area_only_and_finds_and_pages(app, client, cities):  # noqa: F811
    """Who each staff member sees is decided in the query (a zone of thousands of accounts is paged,
    not cut at a fixed number): city X sees zones A and B and the sub-zone's staff, not city Y's; the
    sub-zone's staff see consultants of zone A and only the firm users of their sub-zone."""
    from diagnosis.people import service
    world, staff, _ids = cities

    def emails(email, **kw):
        with app.app_context():
            found = service.people(_user(email), **kw)
            return found, {u.email for u in found.people}

    _f, x = emails(staff["x"])
    assert {world.a.enterprise, world.b.enterprise, world.a.consultant, world.b.zone_admin, staff["east"]} <= x
    assert staff["y"] not in x and staff["p"] not in x
    _f, east = emails(staff["east"])
    assert east == {world.a.enterprise, world.a.consultant, staff["east"]}
    _f, zone_a = emails(world.a.zone_admin)
    assert world.b.enterprise not in zone_a and staff["east"] in zone_a and staff["x"] not in zone_a
    # Search: part of a name, of an email, or of a firm's name; LIKE wildcards are plain characters.
    assert emails(staff["x"], q="号电子")[1] == {world.a.other_enterprise, world.b.other_enterprise}
    assert emails(staff["x"], q="CONSULTANT-A")[1] == {world.a.consultant}
    assert emails(staff["x"], q="%")[1] == set()
    # Paging: 120 more firm users in zone A give three pages of 50, none seen twice, none lost.
    with app.app_context():
        for i in range(120):
            db.session.add(User(email=f"bulk-{i:03}@example.com", name=f"批量{i:03}", role="enterprise",
                                zone_id=world.a.zone, company_id=world.a.other, password_hash="!unusable"))
        db.session.commit()
    seen = []
    for page in (1, 2, 3):
        found, got = emails(world.a.zone_admin, role="enterprise", page=page)
        seen += [e for e in got if e.startswith("bulk-")]
    assert found.total == 122 and found.pages == 3 and len(seen) == len(set(seen)) == 120
    beyond, got = emails(world.a.zone_admin, role="enterprise", page=4)
    assert beyond.page == 3 and got == {u.email for u in found.people}  # past the end: the last page
    admin = client().login(world.a.zone_admin)
    page = admin.get("/zone/people?role=enterprise&page=2&q=bulk").text
    assert "2 / 3" in page and "共 120 个账号" in page and 'href="/zone/people?role=enterprise&amp;q=bulk&amp;page=3"' in page
    assert admin.get("/zone/people?page=x&q=%ED%A0%80").status_code == 200
