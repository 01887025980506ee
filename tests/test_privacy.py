"""A firm's rights over its data: the export ZIP, and account closure as the zone's setting says."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
import sqlalchemy as sa

from diagnosis.extensions import db
from diagnosis.models import (
    Assessment,
    AuditEvent,
    ClosureRequest,
    Company,
    Notification,
    OutboxMessage,
    Result,
    User,
    Zone,
)
from diagnosis.zone import stats
from diagnosis.zone.stats import Filters

from .conftest import PASSWORD, csrf_from
from .helpers import extreme_answers, sme


def _firm_with_history(app, world, client):
    """Firm A: a submitted assessment with a free-text answer naming the firm, a finalised comment and a note."""
    firm = client().login(world.a.enterprise)
    answers = extreme_answers(sme(), best=True)
    aid = firm.submit(answers)
    consultant = client().login(world.a.consultant)
    consultant.post_form(f"/assessments/{aid}/comments", {"comments": "A号精密机械有限公司的设备联网做得好", "finalise": "1", "confirm": "yes"})
    other = client().login(world.a.other_enterprise)
    other_aid = other.submit(extreme_answers(sme(), best=False))
    return firm, aid, other_aid


def test_the_export_holds_the_firms_data_and_nothing_of_another_firm(app, world, client):
    firm, aid, other_aid = _firm_with_history(app, world, client)
    from datetime import date

    from diagnosis.models import PlanItem
    with app.app_context():  # a plan item of this firm (due date and all) and one of the other firm
        owner_id = db.session.scalar(sa.select(User.id).where(User.email == world.a.enterprise))
        db.session.add_all([PlanItem(company_id=world.a.firm, title={"zh": "上线MES"}, indicators=[], owner="王经理",
                                     owner_user_id=owner_id, due_date=date(2027, 3, 31), status="planned"),
                            PlanItem(company_id=world.a.other, title={"zh": "别家的计划"}, indicators=[], status="done")])
        db.session.commit()
    r = firm.get("/company/export.zip")
    assert r.status_code == 200 and r.mimetype == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(r.data))
    data = json.loads(z.read("data.json"))
    pdfs = [n for n in z.namelist() if n.endswith(".pdf")]
    with app.app_context():
        company = db.session.get(Company, world.a.firm)
        a = db.session.get(Assessment, aid)
        assert data["company"]["name"] == company.name and data["company"]["uscc"] == company.uscc
        assert [u["email"] for u in data["users"]] == [world.a.enterprise]
        assert all("password" not in key for u in data["users"] for key in u)
        assert [x["id"] for x in data["assessments"]] == [aid]
        exported = data["assessments"][0]
        assert exported["answers"] == json.loads(json.dumps(a.answer_dict()))
        assert exported["result"]["level"] == a.result.level and exported["result"]["total"] == a.result.total
        assert a.finalised_at is not None and exported["comments"] == a.comments
        assert len(pdfs) == 1 and z.read(pdfs[0]).startswith(b"%PDF")
        assert [(i["title"]["zh"], i["due_date"]) for i in data["plan_items"]] == [("上线MES", "2027-03-31")]
        # the item's owner account is named by id, one of the users the export lists
        assert data["plan_items"][0]["owner_user_id"] == owner_id == data["users"][0]["id"]
        others = db.session.scalars(sa.select(Company).where(Company.id != world.a.firm)).all()
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "data_export")).all()
        assert len(events) == 1 and events[0].target == f"company:{world.a.firm}"
    everything = b"".join(z.read(n) for n in z.namelist() if n.endswith(".json")).decode()
    for other in others:  # the second firm of zone A and both of zone B
        assert other.name not in everything and other.uscc not in everything
    assert world.a.other_enterprise not in everything

    def assessment_ids(node):  # every id the export gives an assessment, wherever it is named
        if isinstance(node, dict):
            yield from (v for k, v in node.items() if k in ("assessment_id", "carried_from_id", "revision_of_id"))
            for v in node.values():
                yield from assessment_ids(v)
        elif isinstance(node, list):
            for v in node:
                yield from assessment_ids(v)
    named = {x["id"] for x in data["assessments"]} | set(assessment_ids(data))
    assert other_aid not in named and aid in named
    assert client().login(world.a.consultant).get("/company/export.zip").status_code == 403


def _roster(app, world):
    """Zone A's running programme with both of its firms on the roster, contacts and all."""
    from datetime import date

    from diagnosis import areas
    from diagnosis.models import Programme, RosterEntry
    from diagnosis.programmes.links import token_hash
    with app.app_context():
        p = Programme(area_id=areas.of_zone(world.a.zone).id, zone_id=world.a.zone, name="A 项目",
                      instrument_id="sme-digital", starts_on=date(2020, 1, 1), ends_on=date(2099, 1, 1), reminder_days=7,
                      reminder_cap=3, quotas={}, status="running")
        db.session.add(p)
        db.session.flush()
        for cid, email in ((world.a.firm, world.a.enterprise), (world.a.other, world.a.other_enterprise)):
            c = db.session.get(Company, cid)
            db.session.add(RosterEntry(programme_id=p.id, uscc=c.uscc, name=c.name, industry_division="34",
                                       size_class="small", contact="陈联系人", mobile="13800000000", email=email,
                                       company_id=cid, token_hash=token_hash(p.id, c.uscc), reminders_sent=0))
        db.session.commit()


def _request_and_confirm(app, world, client, mode):
    with app.app_context():
        zone = db.session.get(Zone, world.a.zone)
        zone.closure_mode = mode
        db.session.commit()
    _roster(app, world)
    firm, aid, _other = _firm_with_history(app, world, client)
    with app.app_context():
        company = db.session.get(Company, world.a.firm)
        old = (company.name, company.uscc, world.a.enterprise)
    r = firm.post_form("/company/closure", {"reason": "不再经营"})
    assert r.status_code == 302
    admin = client().login(world.a.zone_admin)
    page = admin.get("/zone/closures").text
    assert old[0] in page and "不再经营" in page
    with app.app_context():
        rid = db.session.scalar(sa.select(ClosureRequest.id))
        assert db.session.scalar(sa.select(Notification).where(Notification.kind == "closure_requested")) is not None
    # Zone B's staff cannot decide it; unticked, nothing happens.
    other = client().login(world.b.zone_admin)
    assert other.post_form(f"/zone/closures/{rid}/confirm", {"confirmed": "yes"}, page="/zone/closures").status_code == 404
    admin.post_form(f"/zone/closures/{rid}/confirm", {}, page="/zone/closures")
    with app.app_context():
        assert db.session.get(ClosureRequest, rid).status == "pending"
    assert admin.post_form(f"/zone/closures/{rid}/confirm", {"confirmed": "yes"}, page="/zone/closures").status_code == 302
    assert firm.get("/home").status_code == 302  # the firm's session ended
    return old, aid


def _all_text(app) -> str:
    """Every text and JSON value in the database, as stored and as decoded."""
    out = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            cols = [c for c in table.columns if isinstance(c.type, (sa.String, sa.Text, sa.JSON))]
            if not cols:
                continue
            for row in db.session.execute(sa.select(*cols)):
                for v in row:
                    if v is not None:
                        out.append(v if isinstance(v, str) else json.dumps(v) + json.dumps(v, ensure_ascii=False))
    return "\n".join(out)


@pytest.mark.parametrize("mode", ["anonymise", "delete"])
def test_closure_as_the_zone_says(app, world, client, mode):
    (name, uscc, email), aid = _request_and_confirm(app, world, client, mode)
    text = _all_text(app)
    for secret in (name, uscc, email):
        assert secret not in text, (mode, secret)
        assert json.dumps(secret)[1:-1] not in text, (mode, secret)
    # (checked after the scan: a failed login records the address tried)
    assert client().post_form("/auth/login", {"email": email, "password": PASSWORD}).status_code == 200
    with app.app_context():
        req = db.session.scalar(sa.select(ClosureRequest))
        assert req.status == "confirmed" and req.mode == mode
        assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "closure_confirmed")) is not None
        mail = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.kind == "closure_done"))
        assert mail is not None and "申请注销" in mail.body
        company = db.session.get(Company, world.a.firm)
        if mode == "anonymise":
            assert company is not None and company.zone_id == world.a.zone
            user = db.session.scalar(sa.select(User).where(User.company_id == world.a.firm))
            assert not user.active and user.email.endswith(".invalid")
            # The assessment still counts in the zone's statistics.
            assert db.session.scalar(sa.select(Result.level).where(Result.assessment_id == aid)) is not None
        else:
            assert company is None and db.session.get(Assessment, aid) is None
            assert db.session.scalar(sa.select(User).where(User.company_id == world.a.firm)) is None
        # The other firm of the zone is untouched, and so is its roster line.
        assert db.session.get(Company, world.a.other).name == "A号电子有限公司"
        from diagnosis.models import RosterEntry
        lines = db.session.scalars(sa.select(RosterEntry).order_by(RosterEntry.id)).all()
        assert len(lines) == 2 and lines[0].contact is None and lines[0].mobile is None and lines[0].email is None
        assert lines[1].name == "A号电子有限公司" and lines[1].email == world.a.other_enterprise
    with app.app_context():
        f = Filters(zone_id=world.a.zone, instrument_id="sme-digital")
        kept = 2 if mode == "anonymise" else 1  # firm A's assessment and the other firm's
        assert stats.overview(f)["assessed"] == kept and stats.level_distribution(f)["total"] == kept
        assert stats.overview(f)["registered"] == kept
    # A second firm of the same programme closes too: their anonymous roster lines do not clash.
    other = client().login(world.a.other_enterprise)
    assert other.post_form("/company/closure", {}).status_code == 302
    with app.app_context():
        rid = db.session.scalar(sa.select(ClosureRequest.id).where(ClosureRequest.status == "pending"))
    admin = client().login(world.a.zone_admin)
    assert admin.post_form(f"/zone/closures/{rid}/confirm", {"confirmed": "yes"}, page="/zone/closures").status_code == 302
    text = _all_text(app)
    assert "A号电子有限公司" not in text and world.a.other_enterprise not in text


def test_a_refused_closure_tells_the_firm_why(app, world, client):
    firm = client().login(world.a.enterprise)
    firm.post_form("/company/profile", {})  # the firm has its company from the fixture
    assert firm.post_form("/company/closure", {"reason": ""}).status_code == 302
    assert firm.post_form("/company/closure", {"reason": "x"}).status_code == 409  # one at a time
    admin = client().login(world.a.zone_admin)
    with app.app_context():
        rid = db.session.scalar(sa.select(ClosureRequest.id))
    token = csrf_from(admin.get("/zone/closures").text)
    admin.c.post(f"/zone/closures/{rid}/refuse", data={"csrf_token": token, "reason": ""})
    with app.app_context():
        assert db.session.get(ClosureRequest, rid).status == "pending"  # a reason is required
    admin.c.post(f"/zone/closures/{rid}/refuse", data={"csrf_token": token, "reason": "尚有未完成的诊断项目"})
    with app.app_context():
        assert db.session.get(ClosureRequest, rid).status == "refused"
        note = db.session.scalar(sa.select(Notification).where(Notification.kind == "closure_refused"))
        assert note is not None and "尚有未完成的诊断项目" in note.message
    assert "尚有未完成的诊断项目" in firm.get("/company/closure").text
    assert "未同意" in firm.get("/company/closure").text


def test_the_zone_setting_is_kept_by_the_zones_own_staff(app, world, client):
    admin = client().login(world.a.zone_admin)
    assert admin.post_form("/zone/closures/mode", {"mode": "delete"}, page="/zone/closures").status_code == 302
    admin.post_form("/zone/closures/mode", {"mode": "drop table"}, page="/zone/closures")
    with app.app_context():
        assert db.session.get(Zone, world.a.zone).closure_mode == "delete"
        assert db.session.get(Zone, world.b.zone).closure_mode == "anonymise"
        assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "closure_setting")) is not None


def test_hostile_input_on_the_closure_forms_gets_a_clear_refusal(app, world, client):
    firm = client().login(world.a.enterprise)
    r = firm.post_form("/company/closure", {"reason": "长" * 1001})
    assert r.status_code == 422 and "1000" in r.text
    body = f"csrf_token={csrf_from(firm.get('/company/closure').text)}&reason=a%ED%A0%80b"
    r = firm.c.post("/company/closure", input_stream=io.BytesIO(body.encode()),
                    content_type="application/x-www-form-urlencoded", content_length=len(body))
    assert r.status_code < 500
    with app.app_context():
        for reason in db.session.scalars(sa.select(ClosureRequest.reason)):
            assert reason is None or reason.encode("utf-8")
        rid = db.session.scalar(sa.select(ClosureRequest.id))
    if rid is not None:  # refused with an overlong reason: nothing changes
        admin = client().login(world.a.zone_admin)
        admin.post_form(f"/zone/closures/{rid}/refuse", {"reason": "x" * 5000}, page="/zone/closures")
        with app.app_context():
            assert db.session.get(ClosureRequest, rid).status == "pending"
