"""The web pages and the API run the same operations (diagnosis/assessments/service.py), so they
give the same answer to the same start, save, conflict and submit."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from diagnosis.api.tokens import issue
from diagnosis.extensions import db
from diagnosis.models import Answer, Assessment, User

from .conftest import csrf_from
from .helpers import sme
from .test_api import Api


@pytest.fixture
def api(app, world):
    def make(email: str) -> Api:
        with app.app_context():
            token = issue(db.session.scalar(sa.select(User).where(User.email == email)), "test")
            db.session.commit()
        return Api(app, token)
    return make


def _single():
    return next(q for q in sme().questions if q.type == "single" and not q.show_if)


def _web_save(c, aid, answers, base=None):
    token = csrf_from(c.get(f"/assessments/{aid}/page/1").text)
    body = {"answers": answers} if base is None else {"answers": answers, "base": base}
    return c.c.post(f"/assessments/{aid}/answers", json=body, headers={"X-CSRFToken": token})


def test_web_and_api_resume_the_same_draft(app, world, client, api):
    web = client().login(world.a.enterprise)
    aid = web.start("sme-digital")
    r = api(world.a.enterprise).call("POST", "/assessments", json={"instrument": "sme-digital"})
    assert r.status_code == 200 and r.get_json()["id"] == aid  # resumed, not created
    # And the other way round: a draft the API started is the one the page resumes.
    r = api(world.a.consultant).call("POST", "/assessments", json={"instrument": "cloud-adoption", "company_id": world.a.firm})
    assert r.status_code == 201
    cloud = r.get_json()["id"]
    consultant = client().login(world.a.consultant)
    r = consultant.post_form("/assessments/new", {"instrument": "cloud-adoption", "company": str(world.a.firm)}, page="/home")
    assert r.status_code == 302 and f"/assessments/{cloud}/page/" in r.headers["Location"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == 2


def test_web_and_api_refuse_the_same_starts(app, world, client, api):
    admin_web = client().login(world.a.zone_admin)
    r = admin_web.post_form("/assessments/new", {"instrument": "sme-digital", "company": str(world.a.firm)}, page="/home")
    assert r.status_code == 403
    r = api(world.a.zone_admin).call("POST", "/assessments", json={"instrument": "sme-digital", "company_id": world.a.firm})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    # A consultant and a firm it is not assigned to: not found, on both.
    r = client().login(world.a.consultant).post_form("/assessments/new", {"instrument": "sme-digital",
                                                                          "company": str(world.a.other)}, page="/home")
    assert r.status_code == 404
    r = api(world.a.consultant).call("POST", "/assessments", json={"instrument": "sme-digital", "company_id": world.a.other})
    assert r.status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == 0


def test_a_save_and_a_conflict_read_the_same_on_both(app, world, client, api):
    q = _single()
    web = client().login(world.a.enterprise)
    aid = web.start("sme-digital")
    r = _web_save(web, aid, {q.id: q.options[0].id}, base={q.id: 0})
    assert r.status_code == 200
    version = r.get_json()["versions"][q.id]
    a = api(world.a.consultant)
    # The consultant read the question before the firm answered it: a conflict, nothing saved.
    r = a.call("PATCH", f"/assessments/{aid}/answers", "/assessments/{assessment_id}/answers",
               json={"answers": {q.id: q.options[1].id}, "base": {q.id: 0}})
    assert r.status_code == 409
    api_conflict = r.get_json()["error"]["details"][0]
    r = _web_save(client().login(world.a.consultant), aid, {q.id: q.options[1].id}, base={q.id: 0})
    assert r.status_code == 409
    web_conflict = r.get_json()["conflicts"][q.id]
    assert (api_conflict["question"], api_conflict["version"], api_conflict["value"]) == \
        (q.id, web_conflict["version"], web_conflict["value"]) == (q.id, version, q.options[0].id)
    # With the version they read, both save; the API's save bumps the version the page then sees.
    r = a.call("PATCH", f"/assessments/{aid}/answers", "/assessments/{assessment_id}/answers",
               json={"answers": {q.id: q.options[1].id}, "base": {q.id: version}})
    assert r.status_code == 200 and r.get_json()["versions"][q.id] == version + 1
    with app.app_context():
        row = db.session.scalar(sa.select(Answer).where(Answer.assessment_id == aid, Answer.question_id == q.id))
        assert (row.value, row.version) == (q.options[1].id, version + 1)


@pytest.mark.parametrize("base", [{"x": True}, {"x": -1}, {"x": "1"}, {"x": 2**40}, ["x"], "1"])
def test_malformed_versions_are_refused_alike(app, world, client, api, base):
    """`true` is not a version (the API once took it as 1), nor a negative or huge number."""
    q = _single()
    web = client().login(world.a.enterprise)
    aid = web.start("sme-digital")
    body_base = {q.id: base["x"]} if isinstance(base, dict) else base
    r = _web_save(web, aid, {q.id: q.options[0].id}, base=body_base)
    assert r.status_code == 422
    r = api(world.a.enterprise).call("PATCH", f"/assessments/{aid}/answers", "/assessments/{assessment_id}/answers",
                                     json={"answers": {q.id: q.options[0].id}, "base": body_base})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "bad_base"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0


def test_submitting_an_incomplete_draft_is_refused_alike(app, world, client, api):
    web = client().login(world.a.enterprise)
    aid = web.start("sme-digital")
    r = web.post_form(f"/assessments/{aid}/review", {})
    assert r.status_code == 200 and "必答题未填写" in r.text
    r = api(world.a.enterprise).call("POST", f"/assessments/{aid}/submit", "/assessments/{assessment_id}/submit")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "incomplete"
    with app.app_context():
        assert db.session.get(Assessment, aid).status == "draft"
