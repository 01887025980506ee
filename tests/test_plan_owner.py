"""A plan item's owner chosen from the firm's users: its reminder goes to that user alone, through the notifications
and the outbox; an item without an owner account (a supplier named in free text) reminds every user of the firm
as before. The owner must be an active user of the same firm: another firm's user, staff, a deactivated user,
other scripts' digits and huge numbers are refused with a 4xx on the web form and the API, and nothing changes."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from diagnosis.extensions import db
from diagnosis.models import Notification, OutboxMessage, PlanItem, User
from diagnosis.plans import service as plans

from .conftest import PASSWORD
from .test_api import api  # noqa: F401  (the fixture)
from .test_hostile_new_paths import SURROGATE_BYTES, _raw_post

TODAY = date(2026, 11, 23)


def _ids(app, *emails) -> list[int]:
    with app.app_context():
        return [db.session.scalar(sa.select(User.id).where(User.email == e)) for e in emails]


def _second_user(app, world) -> int:
    """A second user of firm A, 王工, who wants mail."""
    with app.app_context():
        u = User(email="wang-a@example.com", name="王工", role="enterprise", zone_id=world.a.zone,
                 company_id=world.a.firm, notify_by_mail=True)
        u.set_password(PASSWORD)
        db.session.add(u)
        db.session.commit()
        return u.id


def _recipients(app, kind="plan_due") -> tuple[list[str], list[int]]:
    with app.app_context():
        mails = sorted(db.session.scalars(sa.select(OutboxMessage.to_address).where(OutboxMessage.kind == kind)))
        bells = sorted(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == kind)))
        db.session.execute(sa.delete(OutboxMessage))
        db.session.execute(sa.delete(Notification))
        db.session.commit()
        return mails, bells


def test_a_reminder_goes_to_the_owner_account_alone_else_to_the_whole_firm(app, world):
    wang = _second_user(app, world)
    firm_user, = _ids(app, world.a.enterprise)
    with app.app_context():
        owned = PlanItem(company_id=world.a.firm, title={"zh": "上线MES", "en": "MES"}, indicators=[], status="planned",
                         owner_user_id=wang, due_date=TODAY + timedelta(days=5))
        db.session.add(owned)
        db.session.commit()
        assert plans.send_due_reminders(TODAY) == 1
    mails, bells = _recipients(app)
    assert mails == ["wang-a@example.com"] and bells == [wang]

    # A supplier named in free text (no account): every active user of the firm, as before.
    with app.app_context():
        db.session.add(PlanItem(company_id=world.a.firm, title={"zh": "能源监测", "en": "Energy"}, indicators=[],
                                status="in_progress", owner="某软件公司", due_date=TODAY + timedelta(days=6)))
        db.session.commit()
        assert plans.send_due_reminders(TODAY) == 1
    mails, bells = _recipients(app)
    assert mails == sorted([world.a.enterprise, "wang-a@example.com"]) and bells == sorted([firm_user, wang])

    # The owner account deactivated since: the reminder falls back to the firm's active users.
    with app.app_context():
        db.session.get(User, wang).active = False
        item = db.session.scalar(sa.select(PlanItem).where(PlanItem.owner_user_id == wang))
        item.due_date, item.reminded_for = TODAY + timedelta(days=4), None
        db.session.commit()
        assert plans.send_due_reminders(TODAY) == 1
    mails, bells = _recipients(app)
    assert mails == [world.a.enterprise] and bells == [firm_user]


def test_the_owner_is_chosen_on_the_web_form_and_named_in_the_reminder(app, world, client):
    wang = _second_user(app, world)
    c = client().login(world.a.enterprise)
    page = c.get(f"/plans/{world.a.firm}").text
    assert f'<option value="{wang}">王工</option>' in page and "A号电子" not in page
    r = c.post_form(f"/plans/{world.a.firm}/items", {"title": "设备联网", "owner_user_id": str(wang), "owner": "",
                                                      "due_date": (TODAY + timedelta(days=3)).isoformat(),
                                                      "budget_band": ""}, page=f"/plans/{world.a.firm}")
    assert r.status_code == 302
    with app.app_context():
        item = db.session.scalar(sa.select(PlanItem))
        assert (item.owner_user_id, item.owner, item.owner_name) == (wang, None, "王工")
        item_id = item.id
        assert plans.send_due_reminders(TODAY) == 1
        mail = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.kind == "plan_due"))
        assert mail.to_address == "wang-a@example.com" and "设备联网" in mail.body and "负责人：王工" in mail.body
    assert "负责人：王工" in c.get(f"/plans/{world.a.firm}").text
    # A name instead (no account): the account is cleared, and the item has one owner.
    r = c.post_form(f"/plans/items/{item_id}", {"owner_user_id": "", "owner": "某软件公司", "status": "planned"},
                    page=f"/plans/{world.a.firm}")
    assert r.status_code == 302
    with app.app_context():
        item = db.session.get(PlanItem, item_id)
        assert (item.owner_user_id, item.owner_name) == (None, "某软件公司")


def test_an_owner_from_another_firm_or_hostile_input_is_refused(app, world, client):
    wang = _second_user(app, world)
    other_firm_user, other_zone_user, staff, consultant = _ids(
        app, world.a.other_enterprise, world.b.enterprise, world.a.zone_admin, world.a.consultant)
    c = client().login(world.a.enterprise)
    plan = f"/plans/{world.a.firm}"
    c.post_form(f"{plan}/items", {"title": "质量追溯", "owner_user_id": str(wang)}, page=plan)
    with app.app_context():
        item_id = db.session.scalar(sa.select(PlanItem.id))
    bad = [str(other_firm_user), str(other_zone_user), str(staff), str(consultant), "１２", "9" * 40, "-1", "0", "abc"]
    for value in bad:
        r = c.post_form(f"{plan}/items", {"title": f"坏负责人{value}", "owner_user_id": value}, page=plan)
        assert r.status_code in (302, 400, 422), (value, r.status_code)
        assert "负责人账号应为本企业的用户" in c.get(plan).text, value
        r = c.post_form(f"/plans/items/{item_id}", {"owner_user_id": value, "owner": "", "status": "planned"}, page=plan)
        assert r.status_code in (302, 400, 422), (value, r.status_code)
    r = _raw_post(c, f"/plans/items/{item_id}", plan, f"owner_user_id={SURROGATE_BYTES}&status=planned&company={world.a.firm}")
    assert r.status_code < 500
    with app.app_context():
        items = db.session.scalars(sa.select(PlanItem)).all()
        assert [(i.id, i.owner_user_id) for i in items] == [(item_id, wang)], "a refused owner changed or added an item"
    # Deactivated: no longer a choice, and refused.
    with app.app_context():
        db.session.get(User, wang).active = False
        db.session.commit()
    assert f'value="{wang}"' not in c.get(plan).text
    c.post_form(f"{plan}/items", {"title": "停用的负责人", "owner_user_id": str(wang)}, page=plan)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanItem)) == 1


def test_the_owner_through_the_api(app, world, api):  # noqa: F811
    wang = _second_user(app, world)
    other_firm_user, = _ids(app, world.a.other_enterprise)
    firm = api(world.a.enterprise)
    r = firm.call("POST", f"/companies/{world.a.firm}/plan/items", "/companies/{company_id}/plan/items",
                  json={"title": "能源监测", "owner_user_id": wang})
    assert r.status_code == 201 and (r.get_json()["owner_user_id"], r.get_json()["owner_user_name"]) == (wang, "王工")
    iid = r.get_json()["id"]
    for value in (other_firm_user, True, "１２", 2**40, -3, [wang], {"id": wang}, 1.5):
        r = firm.call("PATCH", f"/plan-items/{iid}", "/plan-items/{item_id}", json={"owner_user_id": value})
        assert r.status_code == 422 and r.get_json()["error"]["code"] == "bad_owner", value
    r = firm.call("POST", f"/companies/{world.a.firm}/plan/items", "/companies/{company_id}/plan/items",
                  json={"title": "别家的负责人", "owner_user_id": other_firm_user})
    assert r.status_code == 422
    r = firm.call("PATCH", f"/plan-items/{iid}", "/plan-items/{item_id}", json={"owner": "某供应商"})
    assert r.status_code == 200 and (r.get_json()["owner_user_id"], r.get_json()["owner"]) == (None, "某供应商")
    r = firm.call("PATCH", f"/plan-items/{iid}", "/plan-items/{item_id}", json={"owner_user_id": wang})
    assert r.status_code == 200 and (r.get_json()["owner_user_id"], r.get_json()["owner"]) == (wang, None)
    # Another firm's user cannot set an owner on firm A's item at all.
    stranger = api(world.a.other_enterprise)
    r = stranger.call("PATCH", f"/plan-items/{iid}", "/plan-items/{item_id}", json={"owner_user_id": other_firm_user})
    assert r.status_code == 404
    with app.app_context():
        assert db.session.get(PlanItem, iid).owner_user_id == wang
