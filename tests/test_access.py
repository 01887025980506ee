"""Each role sees only what is theirs: other tenants' records answer 404."""
from __future__ import annotations

import pytest

from .helpers import extreme_answers, sme


@pytest.fixture
def submitted(world, client):
    """A submitted assessment of firm A (zone A)."""
    return client().login(world.a.enterprise).submit(extreme_answers(sme(), best=True))


PAGES = ["/assessments/{id}", "/assessments/{id}/page/1", "/assessments/{id}/review",
         "/assessments/{id}/result", "/assessments/{id}/report.pdf"]


@pytest.mark.parametrize("who", ["other_enterprise", "consultant_b", "zone_admin_b", "enterprise_b"])
def test_outsiders_cannot_open_the_assessment_or_its_pdf(world, client, submitted, who):
    zone, role = (world.b, who.removesuffix("_b")) if who.endswith("_b") else (world.a, who)
    c = client().login(getattr(zone, role))
    for page in PAGES:
        assert c.get(page.format(id=submitted)).status_code == 404, page
    assert "A号精密机械" not in c.get("/assessments/").text


def test_unassigned_consultant_cannot_open_a_firm_of_their_own_zone(world, client):
    firm_b = client().login(world.a.other_enterprise)  # firm "A号电子", not assigned to consultant A
    aid = firm_b.start()
    c = client().login(world.a.consultant)
    assert c.get(f"/assessments/{aid}/page/1").status_code == 404


@pytest.mark.parametrize("who", ["enterprise", "consultant", "zone_admin"])
def test_insiders_can_open_it(world, client, submitted, who):
    c = client().login(getattr(world.a, who))
    assert c.get(f"/assessments/{submitted}/result").status_code == 200
    assert c.get(f"/assessments/{submitted}/report.pdf").status_code == 200


def test_other_enterprise_cannot_save_answers_into_a_foreign_draft(app, world, client):
    owner = client().login(world.a.enterprise)
    aid = owner.start()
    intruder = client().login(world.a.other_enterprise)
    own = intruder.start()
    from .conftest import csrf_from
    token = csrf_from(intruder.get(f"/assessments/{own}/page/1").text)
    r = intruder.c.post(f"/assessments/{aid}/answers", json={"answers": {"systems_coverage": "all"}},
                        headers={"X-CSRFToken": token})
    assert r.status_code == 404


def test_zone_admin_reads_but_cannot_edit_drafts(world, client):
    owner = client().login(world.a.enterprise)
    aid = owner.start()
    admin = client().login(world.a.zone_admin)
    page = admin.get(f"/assessments/{aid}/page/1")
    assert page.status_code == 200 and "只读" in page.text
    from .conftest import csrf_from
    r = admin.c.post(f"/assessments/{aid}/answers", json={"answers": {"systems_coverage": "all"}},
                     headers={"X-CSRFToken": csrf_from(page.text)})
    assert r.status_code == 409


def test_only_enterprise_users_start_assessments(world, client):
    c = client().login(world.a.zone_admin)
    r = c.post_form("/assessments/new", {"instrument": "sme-digital"}, page="/home")
    assert r.status_code == 403
