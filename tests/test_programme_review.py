"""Programmes meet the review (issues 17 and 18): a programme's roster slice goes to a provider in one step,
a sample can be drawn from one programme (and one stratum), and a roster firm whose submission the area's
staff approved or rejected is "reviewed" on the programme page, in the 台账 and in the status counts."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from diagnosis.assessments import review
from diagnosis.demo import demo_uscc
from diagnosis.extensions import db
from diagnosis.models import Assessment, Assignment, AuditEvent, Company, ProviderFirm, User
from diagnosis.programmes import service as programmes
from diagnosis.providers import service as providers
from diagnosis.zone import sampling

from .conftest import Client
from .helpers import extreme_answers, sme
from .test_programmes import _create, _upload, roster_rows, xlsx
from .test_providers_review import firms  # noqa: F401  (the fixture)


def _u(email):
    return db.session.scalar(sa.select(User).where(User.email == email))


@pytest.fixture
def programme(app, world, client):
    """Zone A's programme: firm A (东区) and the other firm (西区) registered, two roster firms not registered."""
    admin = client().login(world.a.zone_admin)
    pid = _create(admin)
    rows = [[demo_uscc(1), "A号精密机械有限公司", "34", "小型", "是", "", "", "", "东区"],
            [demo_uscc(11), "A号电子有限公司", "39", "小型", "否", "", "", "", "西区"]] + roster_rows(2)
    assert _upload(admin, pid, xlsx(rows)).status_code == 302
    return pid


def test_a_roster_slice_goes_to_a_provider_in_one_step(app, world, firms, programme):  # noqa: F811
    web = Client(app).login(world.a.zone_admin)
    page = web.get(f"/providers/{firms.p2}").text
    assert 'id="programme-slice"' in page and "东区" in page
    # The 东区 slice: firm A (registered) and one unregistered roster firm.
    r = web.post_form(f"/providers/{firms.p2}", {"op": "programme", "programme": str(programme), "sub_zone": "东区",
                                                 "status": ""})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(ProviderFirm, world.a.firm).provider_id == firms.p2  # moved from P1
        assert db.session.get(ProviderFirm, world.a.other).provider_id == firms.p2  # untouched: already P2's
        # P1's consultant lost the firm with the move.
        c1 = _u("c1@example.com")
        assert db.session.get(Assignment, (c1.id, world.a.firm)) is None
        ev = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "provider_firms")
                                .order_by(AuditEvent.id.desc())).first()
        assert ev.detail["programme"] == programme and ev.detail["sub_zone"] == "东区" and ev.detail["roster"] == 2
        assert ev.detail["companies"] == [world.a.firm]
    flashes = web.get(f"/providers/{firms.p2}").text
    assert "1 家企业尚未在本园区注册" in flashes
    with app.test_request_context():
        admin = _u(world.a.zone_admin)
        # The whole roster to P1, filtered by status: only the firms not yet started (all of them here).
        out = providers.assign_programme(admin, firms.p1, programme, None, "not_invited")
        assert (out.added, len(out.unknown)) == (2, 2)
        with pytest.raises(Exception) as e:
            providers.assign_programme(admin, firms.p1, programme, None, "finished")
        assert e.value.status == 422
        with pytest.raises(Exception) as e:
            providers.assign_programme(admin, firms.p1, programme, "区" * 101, None)
        assert e.value.status == 422
        with pytest.raises(Exception) as e:
            providers.assign_programme(admin, firms.p1, 999999, None, None)
        assert e.value.status == 404
        # Another zone's staff cannot give zone A's roster (the programme is invisible, the provider too).
        with pytest.raises(Exception) as e:
            providers.assign_programme(_u(world.b.zone_admin), firms.p1, programme, None, None)
        assert e.value.status == 404


def _submitted_with_review(app, world, decide: dict[str, str]) -> dict[str, int]:
    """Both registered roster firms submit; the consultant verifies; staff decide as asked."""
    ids = {}
    for who in ("enterprise", "other_enterprise"):
        ids[who] = Client(app).login(getattr(world.a, who)).submit(extreme_answers(sme(), best=who == "enterprise"))
    with app.test_request_context():
        consultant, admin = _u(world.a.consultant), _u(world.a.zone_admin)
        db.session.add(Assignment(consultant_id=consultant.id, company_id=world.a.other))
        db.session.commit()
        for who, decision in decide.items():
            aid = ids[who]
            review.start_verification(consultant, aid)
            review.verify(consultant, aid, "quality", "confirmed")
            review.send_for_review(consultant, aid)
            review.decide(admin, aid, decision, "材料不全" if decision == "reject" else None)
    return ids


def test_a_reviewed_roster_firm_shows_on_the_page_the_ledger_and_the_counts(app, world, programme):
    _submitted_with_review(app, world, {"enterprise": "approve"})
    admin = Client(app).login(world.a.zone_admin)
    with app.test_request_context():
        p = programmes.get(_u(world.a.zone_admin), programme)
        counts = programmes.status_counts(p)
        assert counts["total"]["reviewed"] == 1 and counts["total"]["submitted"] == 1
        east = next(s for s in counts["sub_zones"] if s["sub_zone"] == "东区")
        assert east["counts"]["reviewed"] == 1 and east["done"] == 1 and east["quota_share"] == 50.0  # quota 东区=2
        rows = {r["entry"].uscc: (r["status"], r["decision"]) for r in programmes.rows(p)}
        assert rows[demo_uscc(1)] == ("reviewed", "approved") and rows[demo_uscc(11)] == ("submitted", None)
    page = admin.get(f"/programmes/{programme}").text
    assert "已审核" in page and "已审核 · 通过" in page
    assert 'data-status="reviewed"' in page
    filtered = admin.get(f"/programmes/{programme}?status=reviewed").text
    assert "A号精密机械有限公司" in filtered and "A号电子有限公司" not in filtered
    wb = load_workbook(io.BytesIO(admin.get(f"/programmes/{programme}/ledger.xlsx").data))
    listed = {row[0]: row for row in ([c.value for c in r] for r in wb["企业台账"].iter_rows(min_row=4))}
    assert wb["企业台账"]["H3"].value == "审核结果"
    assert (listed[demo_uscc(1)][6], listed[demo_uscc(1)][7]) == ("已审核", "通过")
    assert (listed[demo_uscc(11)][6], listed[demo_uscc(11)][7]) == ("已提交", None)
    summary = [[c.value for c in r] for r in wb["汇总"].iter_rows(min_row=4)]
    east_row = next(r for r in summary if r[0] and "东区" in r[0])
    assert east_row[4] == 1  # submitted or reviewed: it counts towards the quota


def test_a_rejection_is_reviewed_too_and_a_resubmission_is_submitted_again(app, world, programme):
    ids = _submitted_with_review(app, world, {"other_enterprise": "reject"})
    with app.test_request_context():
        p = programmes.get(_u(world.a.zone_admin), programme)
        rows = {r["entry"].uscc: (r["status"], r["decision"]) for r in programmes.rows(p)}
        assert rows[demo_uscc(11)] == ("reviewed", "rejected")
    # The firm submits a new assessment: its latest submission is not reviewed yet.
    Client(app).login(world.a.other_enterprise).submit(extreme_answers(sme(), best=True))
    with app.test_request_context():
        p = programmes.get(_u(world.a.zone_admin), programme)
        rows = {r["entry"].uscc: (r["status"], r["decision"]) for r in programmes.rows(p)}
        assert rows[demo_uscc(11)] == ("submitted", None)
        assert db.session.get(Assessment, ids["other_enterprise"]).review_state == "rejected"


def test_a_sample_is_drawn_from_one_programme_and_one_stratum(app, world, programme):
    ids = _submitted_with_review(app, world, {})
    with app.test_request_context():
        admin = _u(world.a.zone_admin)
        # A firm of the zone that is not on the roster, with a submission: never in the programme's population.
        outsider = Company(zone_id=world.a.zone, name="名单外企业", uscc=demo_uscc(77), industry_section="C",
                           industry_division="34", employees=50, revenue=1000.0, size_class="small", sub_zone="东区")
        db.session.add(outsider)
        db.session.commit()
        from diagnosis.assessments import service
        a = service.start(outsider.id, "sme-digital", None)
        service.save_answers(a, extreme_answers(sme(), best=True), None)
        service.submit(a)
        db.session.commit()
        everyone = sampling.draw(admin, {"instrument": "sme-digital", "share": "1"}, seed=5)
        assert sorted(everyone.drawn) == sorted([*ids.values(), a.id])
        d = sampling.draw(admin, {"programme": programme, "stratum": "sub_zone", "share": "1"}, seed=5)
        assert d.rule["programme"] == programme and d.population == {"东区": [ids["enterprise"]],
                                                                      "西区": [ids["other_enterprise"]]}
        one = sampling.draw(admin, {"programme": programme, "stratum": "sub_zone", "only": "西区", "share": "1"}, seed=5)
        assert one.population == {"西区": [ids["other_enterprise"]]} and one.drawn == [ids["other_enterprise"]]
        assert sampling.redraw(one.population, one.rule, one.seed) == one.drawn
        for bad in ({"programme": 999999}, {"only": "东区"}, {"stratum": "size", "only": "x" * 101}):
            with pytest.raises(Exception) as e:
                sampling.draw(admin, {"share": "1", **bad}, seed=5)
            assert e.value.status == 422, bad
        with pytest.raises(Exception) as e:
            sampling.draw(_u(world.b.zone_admin), {"programme": programme, "share": "1"}, seed=5)
        assert e.value.status == 422
    web = Client(app).login(world.a.zone_admin)
    r = web.post_form("/zone/samples", {"programme": str(programme), "instrument": "sme-digital", "stratum": "sub_zone",
                                        "only": "东区", "share": "1", "states": "submitted", "seed": "9"})
    assert r.status_code == 302
    page = web.get(r.headers["Location"]).text
    assert "2026年规上企业诊断" in page and "只抽：东区" in page and "A号精密机械有限公司" in page
    assert "A号电子有限公司" not in page


def test_on_time_share_counts_sends_for_review_by_the_programme_deadline(app, world, firms, client):  # noqa: F811
    """Firm A is on a programme that ends in 90 days, the other firm on one that ended yesterday; the provider
    sends both for review today: one of two on time. A firm on no programme has no deadline."""
    from datetime import date, timedelta

    from diagnosis.providers import scores
    admin = client().login(world.a.zone_admin)
    today = date.today()
    running = _create(admin)
    ended = _create(admin, name="已截止项目", starts_on=(today - timedelta(days=30)).isoformat(),
                    ends_on=(today - timedelta(days=1)).isoformat())
    assert _upload(admin, running, xlsx([[demo_uscc(1), "A号精密机械有限公司", "34", "小型", "是", "", "", "", ""]])).status_code == 302
    assert _upload(admin, ended, xlsx([[demo_uscc(11), "A号电子有限公司", "39", "小型", "否", "", "", "", ""]])).status_code == 302
    ids = [Client(app).login(getattr(world.a, who)).submit(extreme_answers(sme(), best=True))
           for who in ("enterprise", "other_enterprise")]
    with app.test_request_context():
        lead, c1 = _u("lead1@example.com"), _u("c1@example.com")
        other_code = db.session.scalar(sa.select(Company.uscc).where(Company.id == world.a.other))
        providers.assign_firms(_u(world.a.zone_admin), firms.p1, [other_code])
        providers.assign_consultant(lead, firms.p1, c1.id, world.a.other)
        for aid in ids:
            review.start_verification(c1, aid)
            review.verify(c1, aid, "quality", "confirmed")
            review.send_for_review(c1, aid)
        from diagnosis.models import Provider
        p1 = db.session.get(Provider, firms.p1)
        assert scores.provider_scores(p1)["on_time"] == {"value": None, "n": 2, "small": True}  # below 30: withheld
        app.config["BENCHMARK_MIN_PEERS"] = 1
        try:
            assert scores.provider_scores(p1)["on_time"] == {"value": 0.5, "n": 2, "small": False}
        finally:
            app.config["BENCHMARK_MIN_PEERS"] = 30
