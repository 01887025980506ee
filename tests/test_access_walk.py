"""Walk every route as each role of another tenant: no foreign data, no change, never a 500."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from diagnosis.extensions import db
from diagnosis.models import (
    Answer,
    AnswerChange,
    Assessment,
    Assignment,
    Evidence,
    Provider,
    ProviderFirm,
    ReportBatch,
    SampleCheck,
    User,
)

from .conftest import csrf_from
from .helpers import extreme_answers, sme

SECRET = "A号精密机械有限公司"
PROVIDER = "甲诊断服务有限公司"  # zone A's provider
VALUES = {"instrument_id": "sme-digital", "part": "levels", "fmt": "csv", "filename": "report.css", "code": "zh", "n": 1,
          "token": "not-a-token", "action": "approve", "question_id": "quality", "draw_id": 1, "provider_id": 1,
          "rule_id": "excellent-smart-factory",
          "op": "in-the-path"}  # op: a route default (deactivate or reactivate), not a part of the URL


def _state(app, company_id: int):
    """Tenant A's firm: its assessments, answers, change log and assignments."""
    with app.app_context():
        mine = sa.select(Assessment.id).where(Assessment.company_id == company_id)
        from diagnosis.models import PlanItem
        return (
            tuple(db.session.execute(sa.select(PlanItem.id, PlanItem.status, PlanItem.owner, PlanItem.updated_at)
                                     .where(PlanItem.company_id == company_id)).all()),
            db.session.scalar(sa.select(sa.func.count()).select_from(Answer).where(Answer.assessment_id.in_(mine))),
            db.session.scalar(sa.select(sa.func.count()).select_from(AnswerChange).where(AnswerChange.assessment_id.in_(mine))),
            db.session.scalar(sa.select(sa.func.count()).select_from(Assignment).where(Assignment.company_id == company_id)),
            tuple(db.session.execute(sa.select(Assessment.id, Assessment.status, Assessment.comments, Assessment.finalised_at,
                                               Assessment.review_state, Assessment.pledged_at)
                                     .where(Assessment.company_id == company_id).order_by(Assessment.id)).all()),
            # ... its users, its closure request and its zone's invitation codes (zone staff manage those)
            tuple(db.session.execute(sa.select(User.email, User.active, User.session_version)
                                     .where(User.company_id == company_id).order_by(User.id)).all()),
            tuple(db.session.execute(sa.text("SELECT status FROM closure_requests WHERE company_id = :c ORDER BY id"),
                                     {"c": company_id}).scalars()),
            tuple(db.session.execute(sa.text("SELECT code, expires_at FROM invite_codes WHERE zone_id = "
                                             "(SELECT zone_id FROM companies WHERE id = :c) ORDER BY id"),
                                     {"c": company_id}).all()),
            # its provider (and whether that is active, who its consultants are) and the sample's checks
            tuple(db.session.execute(sa.select(ProviderFirm.provider_id, Provider.active, Provider.name)
                                     .join(Provider, Provider.id == ProviderFirm.provider_id)
                                     .where(ProviderFirm.company_id == company_id)).all()),
            tuple(db.session.execute(sa.select(User.id, User.provider_id, User.provider_lead)
                                     .where(User.provider_id.is_not(None)).order_by(User.id)).all()),
            tuple(db.session.execute(sa.select(SampleCheck.id, SampleCheck.outcome).order_by(SampleCheck.id)).all()),
        )


@pytest.fixture
def tenant_a(app, world, client):
    firm = client().login(world.a.enterprise)
    submitted = firm.submit(extreme_answers(sme(), best=True))
    draft = firm.start("cloud-adoption")
    consultant = client().login(world.a.consultant)
    consultant.post_form(f"/assessments/{submitted}/comments", {"comments": "内部意见", "save": "1"})
    # Tenant A's evidence file, which no other tenant may fetch.
    from .test_providers_review import png_bytes
    r = firm.c.post(f"/assessments/{submitted}/evidence", data={
        "question": "quality", "file": (io.BytesIO(png_bytes()), "A.png"),
        "csrf_token": csrf_from(firm.get(f"/assessments/{submitted}/verification").text)}, content_type="multipart/form-data")
    assert r.status_code == 302
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.email == world.a.zone_admin))
        batch = ReportBatch(created_by_id=admin.id, zone_id=admin.zone_id, filters={"instrument": "sme-digital"}, status="done")
        db.session.add(batch)
        # A running programme of zone A with its firm on the roster, and the firm's personal link.
        from datetime import date

        from diagnosis import areas
        from diagnosis.models import Company, Programme, RosterEntry
        from diagnosis.programmes.links import token, token_hash
        firm_a = db.session.get(Company, world.a.firm)
        p = Programme(area_id=areas.of_zone(world.a.zone).id, zone_id=world.a.zone, name="A 项目", instrument_id="sme-digital",
                      starts_on=date(2020, 1, 1), ends_on=date(2099, 1, 1), reminder_days=7, reminder_cap=3, quotas={},
                      status="running", created_by_id=admin.id)
        db.session.add(p)
        db.session.flush()
        db.session.add(RosterEntry(programme_id=p.id, uscc=firm_a.uscc, name=firm_a.name, industry_division="34",
                                   size_class="small", above_scale=True, company_id=firm_a.id,
                                   token_hash=token_hash(p.id, firm_a.uscc), reminders_sent=0))
        # Tenant A's improvement plan item, which no other tenant may read or change.
        from diagnosis.models import PlanItem
        item = PlanItem(company_id=firm_a.id, assessment_id=submitted, title={"zh": "建设MES", "en": "MES"}, indicators=[],
                        owner="甲", status="planned")
        db.session.add(item)
        # Zone A's invitation code, firm A's closure request, and firm A's user: zone A's staff manage them.
        from diagnosis.models import ClosureRequest, InviteCode
        code = InviteCode(zone_id=world.a.zone, code="A-ONLY-CODE", created_by_id=admin.id)
        firm_user = db.session.scalar(sa.select(User).where(User.email == world.a.enterprise))
        closure = ClosureRequest(zone_id=world.a.zone, company_id=firm_a.id, requested_by_id=firm_user.id, status="pending")
        db.session.add_all([code, closure])
        db.session.commit()
        # Zone A's provider (with the firm) and an on-site sample that drew the firm's assessment.
        from diagnosis.demo import demo_uscc
        from diagnosis.providers import service as providers
        from diagnosis.zone import sampling
        provider = providers.create(admin, PROVIDER, demo_uscc(950))
        providers.assign_firms(admin, provider.id, [firm_a.uscc])
        draw = sampling.draw(admin, {"instrument": "sme-digital", "share": "1"}, seed=1)
        assert draw.drawn == [submitted]
        evidence_id = db.session.scalar(sa.select(Evidence.id))
        return {"assessment_id": submitted, "draft": draft, "company_id": world.a.firm, "batch_id": batch.id,
                "programme_id": p.id, "token": token(p.id, firm_a.uscc), "evidence_id": evidence_id,
                "invite_id": code.id, "closure_id": closure.id, "user_id": firm_user.id,
                "provider_id": provider.id, "draw_id": draw.id, "item_id": item.id}


def _urls(app, ids: dict) -> list[tuple[str, str, set[str]]]:
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith("api."):
            continue
        params = {}
        for arg in rule.arguments:
            params[arg] = ids.get(arg, VALUES.get(arg))
        if any(v is None for v in params.values()):
            raise AssertionError(f"no test value for {rule.rule} {rule.arguments}")
        url = rule.rule
        for arg, value in params.items():
            url = re.sub(rf"<(?:[a-z]+:)?{arg}>", str(value), url)
        out.append((rule.endpoint, url, set(rule.methods) - {"HEAD", "OPTIONS"}))
        if "assessment_id" in params:  # the draft too
            out.append((rule.endpoint, url.replace(f"/{ids['assessment_id']}/", f"/{ids['draft']}/").replace(
                f"/{ids['assessment_id']}", f"/{ids['draft']}"), set(rule.methods) - {"HEAD", "OPTIONS"}))
    return out


def _other_city_staff(app, world) -> str:
    """Staff of city Y (which holds zone B) while zone A lies in city X of the same province."""
    from diagnosis import areas

    from .conftest import PASSWORD
    with app.app_context():
        province = areas.create("province", "P省")
        x, y = areas.create("city", "X市", province), areas.create("city", "Y市", province)
        areas.place(areas.of_zone(world.a.zone), x)
        areas.place(areas.of_zone(world.b.zone), y)
        u = User(email="staff-y@example.com", name="Y市管理员", role="zone_admin", zone_id=None, area_id=y.id)
        u.set_password(PASSWORD)
        db.session.add(u)
        db.session.commit()
        return u.email


@pytest.mark.parametrize("who", ["b.enterprise", "b.consultant", "b.zone_admin", "a.other_enterprise", "y.city"])
def test_every_route_as_another_tenant(app, world, client, tenant_a, who):
    zone, role = who.split(".")
    c = client().login(_other_city_staff(app, world) if who == "y.city" else getattr(getattr(world, zone), role))
    token = csrf_from(c.get("/auth/tokens").text)
    before = _state(app, tenant_a["company_id"])
    checked = 0
    for endpoint, url, methods in _urls(app, tenant_a):
        for method in sorted(methods):
            if endpoint == "auth.logout":
                continue
            if method == "GET":
                r = c.get(url)
            else:
                r = c.c.open(url, method=method, data={"csrf_token": token, "comments": "x", "finalise": "1",
                                                        "instrument": "sme-digital", "company": tenant_a["company_id"],
                                                        "codes": "", "consultant": 1, "confirmed": "yes",
                                                        "confirm": "yes", "reason": "x", "role": "consultant",
                                                        "email": "walker@example.com", "name": "x"},
                             headers={"X-CSRFToken": token})
            checked += 1
            assert r.status_code < 500, (who, method, url, r.status_code)
            body = r.get_data(as_text=True) if r.mimetype.startswith(("text/", "application/json")) else ""
            assert SECRET not in body and "内部意见" not in body and PROVIDER not in body, (who, method, url)
            if re.search(r"/(assessments|company|reports/batches|plans|plans/items|plans/from|eligibility/company)/\d", url):
                assert r.status_code in (302, 400, 403, 404, 405, 409), (who, method, url, r.status_code)
    assert checked > 40
    assert _state(app, tenant_a["company_id"]) == before, "a foreign request changed tenant A's data"
