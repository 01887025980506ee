"""Improvement plans: items from a result's recommendations, status changes audited, reminders through the
notifications and the outbox, the firm's home, the report's plan table, and the API with the same permissions."""
from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa

from diagnosis.extensions import db
from diagnosis.models import Assessment, AuditEvent, Notification, OutboxMessage, PlanItem
from diagnosis.plans import service as plans
from diagnosis.reporting import report_html
from scoring.recommend import recommend

from .helpers import extreme_answers, sme
from .test_api import api  # noqa: F401  (the fixture)


def _submitted(client, world) -> tuple[object, int]:
    c = client().login(world.a.enterprise)
    return c, c.submit(extreme_answers(sme(), best=False))


def _item(app, item_id: int) -> PlanItem:
    with app.app_context():
        item = db.session.get(PlanItem, item_id)
        db.session.expunge(item)
        return item


def _only_item(app) -> int:
    with app.app_context():
        (item_id,) = db.session.scalars(sa.select(PlanItem.id)).all()
        return item_id


def test_a_firm_turns_recommendations_into_plan_items_and_status_changes_are_audited(app, world, client):
    c, aid = _submitted(client, world)
    page = c.get(f"/plans/from/{aid}").text
    assert "列入计划" in page
    r = c.post_form(f"/plans/from/{aid}", {"n": "2"})
    assert r.status_code == 302
    with app.app_context():
        a = db.session.get(Assessment, aid)
        from diagnosis.reporting import result_dict
        rec = recommend(sme(), result_dict(a), result_dict(a).get("benchmark"))[1]
        item = db.session.scalar(sa.select(PlanItem))
        assert item.title["zh"] == rec["action"]["zh"] and item.indicators == [rec["indicator"]]
        # Made by the firm's own user: owned by that account (its reminders go to them alone).
        assert item.owner_name == "企业用户" and item.owner is None and item.owner_user.email == world.a.enterprise
        assert item.status == "planned" and item.assessment_id == aid
        months = {"0-6": 6, "6-18": 18, "18-36": 36}[rec["months"]]
        start = a.submitted_at.date()
        assert (item.due_date.year * 12 + item.due_date.month) - (start.year * 12 + start.month) == months
        item_id = item.id
    # The same recommendation again is the same item; the page says it is planned.
    c.post_form(f"/plans/from/{aid}", {"n": "2"})
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanItem)) == 1
    assert "已列入计划" in c.get(f"/plans/from/{aid}").text

    plan_page = f"/plans/{world.a.firm}"
    r = c.post_form(f"/plans/items/{item_id}", {"status": "in_progress", "owner": "王工", "budget_band": "10-50",
                                                "project_name": "MES一期", "project_supplier": "某软件公司",
                                                "project_amount": "35.5", "project_start": "2026-01-05",
                                                "project_end": "2026-06-30"}, page=plan_page)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"#item-{item_id}")
    item = _item(app, item_id)
    assert (item.status, item.owner, item.budget_band, item.project_amount) == ("in_progress", "王工", "10-50", 35.5)
    # Dropping needs a reason: refused without one, nothing changes.
    r = c.post_form(f"/plans/items/{item_id}", {"status": "dropped", "drop_reason": ""}, page=plan_page)
    assert r.status_code == 302 and _item(app, item_id).status == "in_progress"
    assert "放弃一项计划需要写明原因" in c.get(plan_page).text
    c.post_form(f"/plans/items/{item_id}", {"status": "dropped", "drop_reason": "预算转给产线改造"}, page=plan_page)
    c.post_form(f"/plans/items/{item_id}", {"status": "done"}, page=plan_page)
    item = _item(app, item_id)
    assert item.status == "done" and item.done_at is not None and item.drop_reason is None
    with app.app_context():
        changes = [(e.detail["from"], e.detail["to"]) for e in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "plan_status").order_by(AuditEvent.id))]
        assert changes == [("planned", "in_progress"), ("in_progress", "dropped"), ("dropped", "done")]
        assert db.session.scalar(sa.select(AuditEvent.detail).where(AuditEvent.action == "plan_status")
                                 .order_by(AuditEvent.id.desc()).limit(1)) is not None
    # Bad input is refused with the reason, and nothing changes.
    for bad in ({"budget_band": "huge"}, {"project_amount": "1e99"}, {"due_date": "2026-13-01"},
                {"project_start": "2026-05-01", "project_end": "2026-04-01"}, {"owner": "甲" * 101}):
        c.post_form(f"/plans/items/{item_id}", bad, page=plan_page)
        assert _item(app, item_id).owner == "王工"
    # The firm writes an item of its own.
    r = c.post_form(f"/plans/{world.a.firm}/items", {"title": "培训班组长使用看板", "owner": "李工",
                                                      "due_date": "2026-09-30", "budget_band": "lt10"}, page=plan_page)
    assert r.status_code == 302
    page = c.get(plan_page).text
    assert "培训班组长使用看板" in page and "MES一期" in page and "已完成" in page


def test_zone_staff_read_plans_but_do_not_change_them_and_other_tenants_see_nothing(app, world, client):
    c, aid = _submitted(client, world)
    c.post_form(f"/plans/from/{aid}", {"n": "1"})
    item_id = _only_item(app)
    admin = client().login(world.a.zone_admin)
    assert admin.get(f"/plans/{world.a.firm}").status_code == 200
    r = admin.post_form(f"/plans/items/{item_id}", {"status": "done"}, page=f"/plans/{world.a.firm}")
    assert r.status_code == 403 and _item(app, item_id).status == "planned"
    for who in (world.b.enterprise, world.b.consultant, world.b.zone_admin, world.a.other_enterprise):
        other = client().login(who)
        assert other.get(f"/plans/{world.a.firm}").status_code == 404
        assert other.post_form(f"/plans/items/{item_id}", {"status": "done"}, page="/home").status_code == 404
        assert other.post_form(f"/plans/from/{aid}", {"n": "1"}, page="/home").status_code == 404
    assert _item(app, item_id).status == "planned"
    # The assigned consultant helps the firm with its plan.
    consultant = client().login(world.a.consultant)
    r = consultant.post_form(f"/plans/items/{item_id}", {"status": "in_progress"}, page=f"/plans/{world.a.firm}")
    assert r.status_code == 302 and _item(app, item_id).status == "in_progress"


def test_owners_are_reminded_once_before_the_due_date_through_the_outbox_and_home_shows_what_is_due(app, world, client):
    c, aid = _submitted(client, world)
    today = date(2026, 11, 23)
    with app.app_context():
        for title, due, status in (("五天后到期", today + timedelta(days=5), "planned"),
                                   ("二十天后到期", today + timedelta(days=20), "in_progress"),
                                   ("已完成的事项", today + timedelta(days=3), "done"),
                                   ("已逾期的事项", today - timedelta(days=2), "planned")):
            db.session.add(PlanItem(company_id=world.a.firm, title={"zh": title, "en": title}, indicators=[],
                                    owner="王工", due_date=due, status=status))
        db.session.commit()
        assert plans.send_due_reminders(today) == 1
        assert plans.send_due_reminders(today) == 0  # once per due date
        mails = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "plan_due")).all()
        assert len(mails) == 1 and "五天后到期" in mails[0].body and "王工" in mails[0].body
        assert mails[0].to_address == world.a.enterprise and mails[0].status == "held"
        bell = db.session.scalar(sa.select(Notification).where(Notification.kind == "plan_due"))
        assert "五天后到期" in bell.message and bell.link.startswith(f"/plans/{world.a.firm}#item-")
        # Moving the due date gets a reminder for the new date when it comes near.
        item = db.session.scalar(sa.select(PlanItem).where(PlanItem.owner == "王工", PlanItem.due_date == today + timedelta(days=20)))
        item_id = item.id
    r = c.post_form(f"/plans/items/{item_id}", {"due_date": (today + timedelta(days=6)).isoformat()}, page=f"/plans/{world.a.firm}")
    assert r.status_code == 302
    with app.app_context():
        assert plans.send_due_reminders(today) == 1
    with app.app_context():
        now = date.today()  # the home page lists by the real date
        for title, due, status in (("本周到期", now + timedelta(days=3), "planned"), ("明年到期", now + timedelta(days=200), "planned"),
                                   ("本周完成", now + timedelta(days=2), "done")):
            db.session.add(PlanItem(company_id=world.a.firm, title={"zh": title, "en": title}, indicators=[],
                                    owner="李工", due_date=due, status=status))
        db.session.commit()
    home = c.get("/home").text
    section = home.split('id="due-title"', 1)[1].split("</section>", 1)[0]
    assert "本周到期" in section and "明年到期" not in section and "本周完成" not in section


def test_the_report_shows_the_plan_with_its_status(app, world, client):
    c, aid = _submitted(client, world)
    c.post_form(f"/plans/from/{aid}", {"n": "1"})
    c.post_form(f"/plans/items/{_only_item(app)}", {"status": "dropped", "drop_reason": "先做设备联网"},
                page=f"/plans/{world.a.firm}")
    with app.test_request_context():
        a = db.session.get(Assessment, aid)
        html = report_html(a, "zh", None)
        assert "改进计划执行情况（截至" in html and "已放弃" in html and "先做设备联网" in html
        en = report_html(a, "en", None)
        assert "Improvement plan" in en and "Dropped" in en
    pdf = c.get(f"/assessments/{aid}/report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_plans_through_the_api_with_the_same_permissions(app, world, client, api):  # noqa: F811
    _c, aid = _submitted(client, world)
    firm = api(world.a.enterprise)
    r = firm.call("POST", f"/assessments/{aid}/plan/items", "/assessments/{assessment_id}/plan/items",
                  json={"recommendation": 1})
    assert r.status_code == 201
    item = r.get_json()
    assert item["status"] == "planned" and item["assessment_id"] == aid
    r = firm.call("POST", f"/assessments/{aid}/plan/items", "/assessments/{assessment_id}/plan/items",
                  json={"recommendation": 999})
    assert r.status_code == 422
    iid = item["id"]
    r = firm.call("PATCH", f"/plan-items/{iid}", "/plan-items/{item_id}",
                  json={"status": "done", "project_name": "MES一期", "project_amount": 40, "indicators": ["quality"]})
    assert r.status_code == 200 and r.get_json()["project"]["amount"] == 40 and r.get_json()["done_at"]
    assert firm.call("PATCH", f"/plan-items/{iid}", "/plan-items/{item_id}", json={"status": "dropped"}).status_code == 422
    assert firm.call("PATCH", f"/plan-items/{iid}", "/plan-items/{item_id}", json={"colour": "red"}).status_code == 422
    r = firm.call("POST", f"/companies/{world.a.firm}/plan/items", "/companies/{company_id}/plan/items",
                  json={"title": "能源监测", "due_date": "2027-03-31", "budget_band": "50-200"})
    assert r.status_code == 201
    listed = firm.call("GET", f"/companies/{world.a.firm}/plan", "/companies/{company_id}/plan").get_json()["items"]
    assert [i["status"] for i in listed] == ["planned", "done"] or {i["id"] for i in listed} == {iid, r.get_json()["id"]}
    admin = api(world.a.zone_admin)
    assert admin.call("GET", f"/plan-items/{iid}", "/plan-items/{item_id}").status_code == 200
    assert admin.call("PATCH", f"/plan-items/{iid}", "/plan-items/{item_id}", json={"status": "planned"}).status_code == 403
    stranger = api(world.b.enterprise)
    assert stranger.call("GET", f"/plan-items/{iid}", "/plan-items/{item_id}").status_code == 404
    assert stranger.call("GET", f"/companies/{world.a.firm}/plan", "/companies/{company_id}/plan").status_code == 404
    assert stranger.call("PATCH", f"/plan-items/{iid}", "/plan-items/{item_id}", json={"status": "planned"}).status_code == 404
    with app.app_context():
        assert db.session.get(PlanItem, iid).status == "done"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", listed[0]["due_date"] or "2000-01-01")
