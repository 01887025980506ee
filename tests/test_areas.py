"""Areas: staff of a city see its zones' aggregates and firms, none of another city's; a zone's
staff do not see a sibling zone; a sub-zone's staff see their sub-zone only."""
from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from diagnosis import areas
from diagnosis.access import ensure_area_visible, staff_scope, visible_company_ids
from diagnosis.errors import Refused
from diagnosis.extensions import db
from diagnosis.models import Area, Company, User, Zone, utcnow

from .conftest import PASSWORD


@pytest.fixture
def cities(app, world):
    """Province P; city X holds zones A and B (world), city Y holds zone C. One staff member each
    for X and Y, and one for sub-zone 东区 of zone A. Every firm assessed once."""
    from diagnosis.demo import demo_uscc, submit_synthetic
    with app.app_context():
        province = areas.create("province", "P省")
        x = areas.create("city", "X市", province)
        y = areas.create("city", "Y市", province)
        zone_c = Zone(name="Zone C", invite_code="INVITE-C")
        db.session.add(zone_c)
        db.session.flush()
        db.session.add(Company(zone_id=zone_c.id, name="C号机械有限公司", uscc=demo_uscc(3), industry_section="C",
                               industry_division="34", employees=50, revenue=1000.0, size_class="small"))
        for zone_id, city in ((world.a.zone, x), (world.b.zone, x), (zone_c.id, y)):
            areas.place(areas.of_zone(zone_id), city)
        firm_a = db.session.get(Company, world.a.firm)
        firm_a.sub_zone = "东区"
        east = areas.create("sub_zone", "东区", areas.of_zone(world.a.zone))
        staff = {}
        for tag, area in (("x", x), ("y", y), ("east", east), ("p", province)):
            u = User(email=f"staff-{tag}@example.com", name="区域管理员", role="zone_admin", zone_id=None, area_id=area.id)
            u.set_password(PASSWORD)
            db.session.add(u)
            staff[tag] = u.email
        firms = db.session.scalars(sa.select(Company).order_by(Company.id)).all()
        submit_synthetic("sme-digital", firms, np.full(len(firms), 0.5), np.random.default_rng(3), utcnow(), days=(10, 11))
        db.session.commit()
        ids = {"x": x.id, "y": y.id, "east": east.id, "province": province.id, "zone_c": zone_c.id}
    return world, staff, ids


def _names(app, email):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        return sorted(db.session.scalars(sa.select(Company.name).where(Company.id.in_(visible_company_ids(user)))))


def test_existing_zones_are_areas_and_paths_follow_a_move(app, cities):
    world, _staff, ids = cities
    with app.app_context():
        zone_a = areas.of_zone(world.a.zone)
        assert zone_a.path.startswith(f"/{ids['province']}/{ids['x']}/")
        east = db.session.get(Area, ids["east"])
        assert east.path == f"{zone_a.path}{east.id}/"  # moved with its zone
        assert [a.kind for a in areas.chain(east)] == ["province", "city", "zone", "sub_zone"]
        with pytest.raises(ValueError):
            areas.create("city", "bad", east)


def test_city_staff_see_their_zones_and_not_another_city(app, cities, client):
    world, staff, _ids = cities
    assert _names(app, staff["x"]) == sorted(["A号精密机械有限公司", "A号电子有限公司", "B号精密机械有限公司", "B号电子有限公司"])
    assert _names(app, staff["y"]) == ["C号机械有限公司"]
    assert len(_names(app, staff["p"])) == 5
    c = client().login(staff["x"])
    overview = c.get("/zone/data/overview.json").get_json()
    assert overview["registered"] == 4 and overview["assessed"] == 4
    page = c.get("/zone/firms").text
    assert "A号精密机械有限公司" in page and "B号电子有限公司" in page and "C号" not in page
    y = client().login(staff["y"])
    assert y.get("/zone/data/overview.json").get_json()["registered"] == 1
    assert "A号" not in y.get("/zone/firms").text


def test_zone_staff_do_not_see_a_sibling_zone(app, cities, client):
    world, _staff, _ids = cities
    assert _names(app, world.a.zone_admin) == ["A号电子有限公司", "A号精密机械有限公司"]
    c = client().login(world.a.zone_admin)
    assert c.get("/zone/data/overview.json").get_json()["registered"] == 2
    assert "B号" not in c.get("/zone/firms").text


def test_sub_zone_staff_see_only_their_sub_zone_whatever_they_ask(app, cities, client):
    _world, staff, _ids = cities
    assert _names(app, staff["east"]) == ["A号精密机械有限公司"]
    c = client().login(staff["east"])
    assert c.get("/zone/data/overview.json?sub_zone=西区").get_json()["registered"] == 1


def test_areas_above_or_beside_are_refused(app, cities):
    world, staff, ids = cities
    with app.test_request_context():
        x_staff = db.session.scalar(sa.select(User).where(User.email == staff["x"]))
        assert ensure_area_visible(x_staff, ids["east"]).id == ids["east"]
        for other in (ids["y"], ids["province"]):
            with pytest.raises(Refused):
                ensure_area_visible(x_staff, other)
        zone_admin = db.session.scalar(sa.select(User).where(User.email == world.a.zone_admin))
        assert staff_scope(zone_admin).zone_ids == (world.a.zone,)
        with pytest.raises(Refused):
            ensure_area_visible(zone_admin, ids["x"])


def test_the_peer_population_knows_each_firms_city_and_province(app, cities):
    """Peer benchmarks use the hierarchy: the population carries each firm's city and province, and a
    firm's benchmark states its group (same industry in the same city when that is the narrowest large one)."""
    from diagnosis import peers
    world, _staff, ids = cities
    with app.test_request_context():
        pop, companies = peers._columns("sme-digital", peers._rows("sme-digital", sa.true()))
        zone_of = dict(db.session.execute(sa.select(Company.id, Company.zone_id)).all())
        for company_id, city, province in zip(companies, pop.city, pop.province):
            assert province == ids["province"]
            assert city == (ids["y"] if zone_of[int(company_id)] == ids["zone_c"] else ids["x"])
        app.config["BENCHMARK_MIN_PEERS"] = 1
        try:
            from diagnosis.models import Assessment
            a = db.session.scalar(sa.select(Assessment).where(Assessment.company_id == world.a.firm))
            bench = peers.benchmark_assessment(a)
        finally:
            app.config["BENCHMARK_MIN_PEERS"] = 30
        # A号精密机械 (34, small, zone A, city X): no other such firm in zone A; in city X, B号精密机械 (34)
        assert (bench["group"], bench["n"]) == ("industry_city", 1)


def test_city_staff_get_each_zone_report_and_batches_for_their_zones_only(app, cities, client):
    """The zone PDF and report batches are per zone: city staff choose one of their zones; a zone of
    another city answers 404 and nothing is made."""
    from diagnosis.models import ReportBatch

    from .conftest import csrf_from
    world, staff, ids = cities
    c = client().login(staff["x"])
    page = c.get("/zone/").text
    assert f"/zone/report.pdf?zone={world.a.zone}" in page and f"zone={ids['zone_c']}" not in page
    r = c.get(f"/zone/report.pdf?zone={world.b.zone}")
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    assert c.get(f"/zone/report.pdf?zone={ids['zone_c']}").status_code == 404
    assert c.get("/zone/report.pdf").status_code == 404
    form = c.get("/reports/batches/").text
    assert f'<option value="{world.a.zone}"' in form and f'<option value="{ids["zone_c"]}"' not in form
    post = {"csrf_token": csrf_from(form), "instrument": "sme-digital", "industry": "", "size": "", "level": ""}
    assert c.c.post("/reports/batches/", data={**post, "zone": str(ids["zone_c"])}).status_code == 404
    r = c.c.post("/reports/batches/", data={**post, "zone": str(world.a.zone)})
    assert r.status_code == 302
    with app.app_context():
        batch = db.session.scalar(sa.select(ReportBatch))
        assert batch.zone_id == world.a.zone and batch.total == 2  # zone A's two firms, not zone B's
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportBatch)) == 1
    assert c.get(f"/reports/batches/{batch.id}").status_code == 200
    assert client().login(staff["y"]).get(f"/reports/batches/{batch.id}").status_code == 404
