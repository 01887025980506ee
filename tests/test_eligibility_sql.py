"""Eligibility at province scale: the per-rule counts and the ready-to-apply lists come from SQL (a rule's
conditions as joins and a WHERE), and they must equal the rule evaluated firm by firm (`evaluate`, which also
names what blocks on the firm's own page), on a mixed set of firms at, below and above each threshold, with
missing results, superseded results and another zone's firms. The staff's lists are in the API too, with the
pages' permissions: staff see their area and below, firms and providers get 403."""
from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa

from diagnosis import areas
from diagnosis.assessments import service as assessments
from diagnosis.demo import demo_uscc
from diagnosis.eligibility import service
from diagnosis.extensions import db
from diagnosis.models import Company, Result, User
from questionnaires import eligibility as el

from .test_api import api  # noqa: F401  (the fixture)

SM, CLOUD = "smart-manufacturing", "cloud-adoption"
# A synthetic rule with two conditions, so that the join of a second instrument is tested too.
TWO = el.Rule.model_validate({
    "id": "test-two-conditions", "programme": {"zh": "测试：两个条件", "en": "Test: two conditions"},
    "document": {"zh": "测试文件", "en": "Test document"}, "year": 2025, "source": "https://example.com/rule",
    "conditions": [{"instrument": SM, "min_level": 2}, {"instrument": CLOUD, "min_level": 4}],
    "not_checked": [{"zh": "无", "en": "none"}]})


def _result(company_id: int, instrument_id: str, level: int, latest: bool = True) -> None:
    a = assessments.start(company_id, instrument_id, None)
    a.status, a.review_state = "submitted", "submitted"
    db.session.add(Result(assessment_id=a.id, company_id=company_id, instrument_id=instrument_id, period="2026Q4",
                          is_latest=latest, latest_in_period=latest, method="x", total=0.0, level=level,
                          dimensions={}, details={}))
    db.session.flush()


@pytest.fixture
def mixed(app, world, monkeypatch):
    """Zone A: one firm per combination of smart-manufacturing level (none, 0-5) and cloud level (none, 2-5),
    42 firms, each also with a superseded result at the top level; zone B: firms that would all qualify.
    Returns each zone-A firm's latest levels, as `evaluate` takes them."""
    shipped = el.rules()
    monkeypatch.setattr(el, "rules", lambda directory=None: (*shipped, TWO))
    levels = {}
    with app.app_context():
        n = 100
        for sm, cloud in itertools.product([None, 0, 1, 2, 3, 4, 5], [None, 2, 3, 4, 5]):
            for zone in (world.a.zone, world.b.zone):
                n += 1
                c = Company(zone_id=zone, name=f"混合{n:03d}号有限公司", uscc=demo_uscc(n), industry_section="C",
                            industry_division="34", employees=50, revenue=1000.0, size_class="small")
                db.session.add(c)
                db.session.flush()
                if zone == world.b.zone:
                    _result(c.id, SM, 5)
                    _result(c.id, CLOUD, 5)
                    continue
                for inst, lv in ((SM, sm), (CLOUD, cloud)):
                    _result(c.id, inst, 5, latest=False)   # an older result at the top: never counted
                    if lv is not None:
                        _result(c.id, inst, lv)
                levels[c.id] = {k: v for k, v in ((SM, sm), (CLOUD, cloud)) if v is not None}
        db.session.commit()
    return levels


def _admin(email: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


def test_sql_counts_and_lists_equal_the_per_firm_evaluation(app, world, mixed, monkeypatch):
    with app.app_context():
        admin = _admin(world.a.zone_admin)
        overview = {r["id"]: r for r in service.overview(admin, "zh")}
        assert set(overview) == {r.id for r in el.rules()} and "test-two-conditions" in overview
        for r in el.rules():
            expected = sorted(cid for cid, lv in mixed.items() if el.evaluate(r, lv).eligible)
            assessed = [cid for cid, lv in mixed.items() if all(c.instrument in lv for c in r.conditions)]
            assert (overview[r.id]["ready"], overview[r.id]["assessed"]) == (len(expected), len(assessed)), r.id
            # The same counted from the results (the path of multi-instrument rules and sub-zone staff), not the
            # zones' pre-aggregates that the overview reads for a one-instrument rule.
            q, met, _aliases = service.rule_query(r, [Company.zone_id == world.a.zone])
            counted = db.session.execute(q.with_only_columns(sa.func.count(), sa.func.sum(sa.case((met, 1), else_=0)))).one()
            assert tuple(counted) == (len(assessed), len(expected)), r.id
            _rule, found = service.ready_firms(admin, r.id, "zh", page=None)
            assert sorted(f["id"] for f in found["items"]) == expected and found["total"] == len(expected), r.id
            for f in found["items"]:   # the levels shown are the latest ones
                assert {k: v["level"] for k, v in f["levels"].items()} == {c.instrument: mixed[f["id"]][c.instrument]
                                                                           for c in r.conditions}
        # Hand-counted, at and around each threshold: 42 firms, 6 with each smart-manufacturing level or none.
        assert overview["excellent-smart-factory"]["ready"] == 3 * 5          # levels 3, 4, 5 (× 5 cloud states)
        assert overview["excellent-smart-factory"]["assessed"] == 6 * 5
        assert overview["js-advanced-smart-factory-2025"]["ready"] == 4 * 5   # levels 2-5
        assert overview["js-five-star-cloud-2024"]["ready"] == 7              # five stars, any smart level
        assert overview["test-two-conditions"]["ready"] == 4 * 2              # levels 2-5 and four or five stars
        assert overview["test-two-conditions"]["assessed"] == 6 * 4

        # Paged by name: pages of 4 make up the whole list, in order, without repeats.
        monkeypatch.setattr(service, "PAGE_SIZE", 4)
        _rule, whole = service.ready_firms(admin, "js-advanced-smart-factory-2025", "zh", page=None)
        pages = [service.ready_firms(admin, "js-advanced-smart-factory-2025", "zh", page=p)[1] for p in range(1, 7)]
        assert [len(p["items"]) for p in pages] == [4, 4, 4, 4, 4, 0] and {p["total"] for p in pages} == {20}
        assert [f["id"] for p in pages for f in p["items"]] == [f["id"] for f in whole["items"]]
        assert [f["name"] for f in whole["items"]] == sorted(f["name"] for f in whole["items"])

        # The firm's own page still names what blocks, from the same evaluation.
        firm_id = next(cid for cid, lv in mixed.items() if lv == {SM: 2, CLOUD: 3})
        firm_user = User(email="mixed@example.com", name="混合", role="enterprise", zone_id=world.a.zone,
                         company_id=firm_id)
        firm_user.set_password("mixed-password-2026")
        db.session.add(firm_user)
        db.session.commit()
        _company, verdicts = service.for_company(firm_user, firm_id, "zh")
        by_id = {v["id"]: v for v in verdicts}
        assert by_id["js-advanced-smart-factory-2025"]["eligible"]
        assert (by_id["excellent-smart-factory"]["blocking"]["min_level"], by_id["excellent-smart-factory"]["blocking"]["level"]) == (3, 2)
        assert (by_id["test-two-conditions"]["blocking"]["instrument"], by_id["test-two-conditions"]["blocking"]["level"]) == (CLOUD, 3)


def test_staff_of_a_city_see_their_zones_and_of_a_sub_zone_theirs(app, world, mixed):
    with app.app_context():
        province = areas.create("province", "P省")
        x, y = areas.create("city", "X市", province), areas.create("city", "Y市", province)
        areas.place(areas.of_zone(world.a.zone), x)
        areas.place(areas.of_zone(world.b.zone), y)
        top = db.session.scalar(sa.select(Company).where(Company.id.in_(list(mixed))).order_by(Company.id.desc()))
        top.sub_zone = "东区"                          # levels 5 and 5: ready under every rule
        east = areas.create("sub_zone", "东区", areas.of_zone(world.a.zone))
        staff = {}
        for tag, area in (("x", x), ("y", y), ("east", east), ("p", province)):
            staff[tag] = User(email=f"staff-{tag}@example.com", name="区域管理员", role="zone_admin", zone_id=None,
                              area_id=area.id)
            staff[tag].set_password("staff-password-2026")
            db.session.add(staff[tag])
        db.session.commit()
        ready = {tag: {r["id"]: r["ready"] for r in service.overview(u, "zh")} for tag, u in staff.items()}
        assert ready["x"]["excellent-smart-factory"] == 15 and ready["y"]["excellent-smart-factory"] == 35
        assert ready["p"]["excellent-smart-factory"] == 50
        assert ready["east"] == {r.id: 1 for r in el.rules()}
        _rule, found = service.ready_firms(staff["east"], "js-five-star-cloud-2024", "zh")
        assert [f["id"] for f in found["items"]] == [top.id]


@pytest.mark.parametrize("who", ["b.zone_admin", "b.enterprise", "b.consultant", "a.enterprise", "a.consultant"])
def test_the_api_lists_as_every_role_of_another_tenant(app, world, mixed, api, who):  # noqa: F811
    zone, role = who.split(".")
    c = api(getattr(getattr(world, zone), role))
    overview = c.call("GET", "/eligibility/rules?lang=en", "/eligibility/rules")
    ready = c.call("GET", "/eligibility/rules/excellent-smart-factory?page=1", "/eligibility/rules/{rule_id}")
    if role != "zone_admin":
        assert overview.status_code == 403 and ready.status_code == 403
        assert "混合" not in overview.text + ready.text
        return
    # Zone B's staff: zone B's firms only (all 35 qualify there), never zone A's.
    assert overview.status_code == 200 and ready.status_code == 200
    items = {r["id"]: r for r in overview.get_json()["items"]}
    assert items["excellent-smart-factory"]["ready"] == 35 and items["excellent-smart-factory"]["programme"].startswith("Excellent")
    body = ready.get_json()
    assert body["total"] == 35 and len(body["items"]) == 35 and body["rule"]["checks"][0]["min_level"] == 3
    with app.app_context():
        zone_b = set(db.session.scalars(sa.select(Company.id).where(Company.zone_id == world.b.zone)))
    assert {f["id"] for f in body["items"]} <= zone_b


def test_the_api_lists_for_zone_staff_and_refuses_bad_requests(app, world, mixed, api):  # noqa: F811
    c = api(world.a.zone_admin)
    r = c.call("GET", "/eligibility/rules/js-five-star-cloud-2024?lang=en", "/eligibility/rules/{rule_id}")
    body = r.get_json()
    assert r.status_code == 200 and body["total"] == 7 and body["page"] == 1 and body["per_page"] == 100
    assert {f["levels"]["cloud-adoption"]["level"] for f in body["items"]} == {5}
    assert c.call("GET", "/eligibility/rules/no-such-rule", "/eligibility/rules/{rule_id}").status_code == 404
    assert c.call("GET", "/eligibility/rules/excellent-smart-factory?page=0", "/eligibility/rules/{rule_id}").status_code == 400
    assert c.call("GET", "/eligibility/rules/excellent-smart-factory?page=%EF%BC%92",
                  "/eligibility/rules/{rule_id}").status_code == 400     # a full-width digit
    far = c.call("GET", "/eligibility/rules/excellent-smart-factory?page=99999", "/eligibility/rules/{rule_id}")
    assert far.status_code == 200 and far.get_json()["items"] == [] and far.get_json()["total"] == 15
    assert api(None).call("GET", "/eligibility/rules").status_code == 401


def test_the_ready_page_pages(app, world, mixed, client, monkeypatch):
    monkeypatch.setattr(service, "PAGE_SIZE", 8)
    admin = client().login(world.a.zone_admin)
    first = admin.get("/eligibility/rules/js-advanced-smart-factory-2025").text
    assert "满足条件的企业（20 家）" in first and "下一页" in first and "上一页" not in first
    last = admin.get("/eligibility/rules/js-advanced-smart-factory-2025?page=3").text
    assert "上一页" in last and "下一页" not in last and last.count('href="/eligibility/company/') == 4
    overview = admin.get("/eligibility/").text
    assert "15 / 30" in overview and "8 / 24" in overview
    assert admin.get("/eligibility/rules/js-advanced-smart-factory-2025?page=%EF%BC%92").status_code == 200
