"""The REST API: tokens, scoping like the web app, all-or-nothing saves, responses that match the OpenAPI document."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec

from diagnosis.api.openapi import spec
from diagnosis.api.tokens import issue
from diagnosis.extensions import db
from diagnosis.models import Answer, AnswerChange, Assessment, User

from .helpers import extreme_answers, sme


def test_openapi_document_is_valid(app):
    with app.test_client() as c:
        doc = c.get("/api/v1/openapi.json").get_json()
    validate_spec(doc)
    assert doc == spec()


class Api:
    """A client that sends a bearer token and checks each response against the OpenAPI document."""

    def __init__(self, app, token: str | None):
        self.c = app.test_client()
        self.token = token
        self.doc = spec()

    def call(self, method: str, path: str, template: str | None = None, **kw):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        r = self.c.open("/api/v1" + path, method=method, headers=headers, **kw)
        self.check(method, template or path.split("?")[0], r)
        return r

    def check(self, method: str, template: str, r):
        op = self.doc["paths"][template][method.lower()]
        assert str(r.status_code) in op["responses"], f"{method} {template} answered {r.status_code}, not documented"
        content = op["responses"][str(r.status_code)].get("content", {})
        if "application/json" in content:
            schema = {**content["application/json"]["schema"], "components": self.doc["components"]}
            Draft202012Validator(schema).validate(r.get_json())
        elif "application/pdf" in content:
            assert r.data.startswith(b"%PDF")


@pytest.fixture
def api(app, world):
    def make(email: str | None):
        if email is None:
            return Api(app, None)
        with app.app_context():
            user = db.session.scalar(sa.select(User).where(User.email == email))
            token = issue(user, "test")
            db.session.commit()
        return Api(app, token)
    return make


def test_a_firm_fills_in_and_submits_through_the_api(app, world, api):
    a = api(world.a.enterprise)
    assert len(a.call("GET", "/instruments").get_json()["items"]) == 3
    assert a.call("GET", "/instruments/sme-digital", "/instruments/{instrument_id}").get_json()["definition"]["id"] == "sme-digital"
    r = a.call("POST", "/assessments", json={"instrument": "sme-digital"})
    assert r.status_code == 201
    aid = r.get_json()["id"]
    # The open draft comes back rather than a second one.
    assert a.call("POST", "/assessments", json={"instrument": "sme-digital"}).get_json()["id"] == aid
    answers = extreme_answers(sme(), best=False)
    r = a.call("PATCH", f"/assessments/{aid}/answers", "/assessments/{assessment_id}/answers", json={"answers": answers})
    assert r.status_code == 200 and r.get_json()["progress"]["missing"] == []
    r = a.call("POST", f"/assessments/{aid}/submit", "/assessments/{assessment_id}/submit", json={"pledge": True})
    assert r.status_code == 200 and r.get_json()["level"] == 0
    assert a.call("GET", f"/assessments/{aid}/result", "/assessments/{assessment_id}/result").get_json()["total"] == r.get_json()["total"]
    assert a.call("GET", f"/assessments/{aid}/report.pdf", "/assessments/{assessment_id}/report.pdf").status_code == 200
    r = a.call("PATCH", f"/assessments/{aid}/answers", "/assessments/{assessment_id}/answers", json={"answers": {}})
    assert r.status_code == 409
    with app.app_context():
        assert {c.via for c in db.session.scalars(sa.select(AnswerChange).where(AnswerChange.assessment_id == aid))} == {"api"}


def test_one_bad_answer_saves_nothing_and_names_the_problem(app, world, api):
    a = api(world.a.enterprise)
    aid = a.call("POST", "/assessments", json={"instrument": "sme-digital"}).get_json()["id"]
    good = extreme_answers(sme(), best=True)
    first = next(iter(good))
    number = next(q for q in sme().questions if q.type == "number")
    bad = {first: good[first], number.id: 10 ** 9, "no_such_question": 1}
    r = a.call("PATCH", f"/assessments/{aid}/answers", "/assessments/{assessment_id}/answers", json={"answers": bad})
    assert r.status_code == 422
    problems = {d["question"]: d["code"] for d in r.get_json()["error"]["details"]}
    assert problems == {number.id: "out_of_range", "no_such_question": "unknown_question"}
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer).where(Answer.assessment_id == aid)) == 0
    for body in ("not json", '["list"]', '{"answers": [1]}'):
        r = a.call("PATCH", f"/assessments/{aid}/answers", "/assessments/{assessment_id}/answers", data=body,
                   content_type="application/json")
        assert r.status_code in (400, 422)


def test_tokens_are_required_and_revocable(app, world, api, client):
    assert api(None).call("GET", "/companies").status_code == 401
    bad = Api(app, "dg_not-a-real-token")
    assert bad.call("GET", "/companies").status_code == 401
    # A logged-in browser session is not an API credential.
    c = client().login(world.a.enterprise)
    assert c.get("/api/v1/companies").status_code == 401
    page = c.get("/auth/tokens").text
    from tests.conftest import csrf_from
    r = c.c.post("/auth/tokens", data={"name": "sync", "csrf_token": csrf_from(page)})
    token = r.text.split('<code class="token">')[1].split("</code>")[0]
    assert Api(app, token).call("GET", "/companies").status_code == 200
    with app.app_context():
        from diagnosis.models import ApiToken
        tid = db.session.scalar(sa.select(ApiToken.id).where(ApiToken.name == "sync"))
    c.c.post("/auth/tokens", data={"revoke": tid, "csrf_token": csrf_from(c.get("/auth/tokens").text)})
    assert Api(app, token).call("GET", "/companies").status_code == 401


def test_api_scoping_matches_the_web_app(app, world, api):
    """Every role of zone B, calling every endpoint about zone A's data, gets nothing."""
    owner = api(world.a.enterprise)
    aid = owner.call("POST", "/assessments", json={"instrument": "sme-digital"}).get_json()["id"]
    owner.call("PATCH", f"/assessments/{aid}/answers", "/assessments/{assessment_id}/answers",
               json={"answers": extreme_answers(sme(), best=True)})
    assert owner.call("POST", f"/assessments/{aid}/submit", "/assessments/{assessment_id}/submit",
                      json={"pledge": True}).status_code == 200
    for email in (world.b.enterprise, world.b.consultant, world.b.zone_admin, world.a.other_enterprise):
        x = api(email)
        companies = x.call("GET", "/companies").get_json()
        assert world.a.firm not in {c["id"] for c in companies["items"]}
        assert x.call("GET", f"/companies/{world.a.firm}", "/companies/{company_id}").status_code == 404
        assert aid not in {i["id"] for i in x.call("GET", "/assessments").get_json()["items"]}
        for path in (f"/assessments/{aid}", f"/assessments/{aid}/result", f"/assessments/{aid}/report.pdf"):
            template = path.replace(str(aid), "{assessment_id}")
            assert x.call("GET", path, template).status_code == 404, (email, path)
        assert x.call("PATCH", f"/assessments/{aid}/answers", "/assessments/{assessment_id}/answers",
                      json={"answers": {}}).status_code == 404
        r = x.call("POST", "/assessments", json={"instrument": "sme-digital", "company_id": world.a.firm})
        assert r.status_code in (403, 404)
    # Zone B's administrator sees zone B's aggregates only; zone A's sees the submission.
    b = api(world.b.zone_admin).call("GET", "/zone/aggregates").get_json()
    assert b["overview"]["assessed"] == 0
    a = api(world.a.zone_admin).call("GET", "/zone/aggregates").get_json()
    assert a["overview"]["assessed"] == 1
    assert api(world.a.consultant).call("GET", "/zone/aggregates").status_code == 403


def test_a_consultant_works_for_an_assigned_firm_only(app, world, api):
    c = api(world.a.consultant)
    assert {x["id"] for x in c.call("GET", "/companies").get_json()["items"]} == {world.a.firm}
    r = c.call("POST", "/assessments", json={"instrument": "cloud-adoption", "company_id": world.a.firm})
    assert r.status_code == 201
    r = c.call("POST", "/assessments", json={"instrument": "cloud-adoption", "company_id": world.a.other})
    assert r.status_code == 404
    r = c.call("POST", "/assessments", json={"instrument": "nope", "company_id": world.a.firm})
    assert r.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == 1


def test_programme_endpoints_answer_as_the_pages_do_and_match_the_document(app, world, api, client):
    """Programmes, roster status and targets with progress: zone staff of the programme's zone see
    them; staff of the sibling zone get 404, a consultant 403, no token 401; every answer fits the document."""
    from .test_programmes import _create, _upload, roster_rows, xlsx
    admin = client().login(world.a.zone_admin)
    pid = _create(admin)
    assert _upload(admin, pid, xlsx(roster_rows(3))).status_code == 302
    admin.post_form(f"/programmes/{pid}/targets", {
        "name": "名单覆盖", "indicator": "coverage", "instrument": "sme-digital", "base_year": "2025", "base_value": "0",
        "target_year": "2026", "target_value": "100", "nature": "expected", "source": "测试用文件"}, page=f"/programmes/{pid}")
    a = api(world.a.zone_admin)
    listed = a.call("GET", "/programmes").get_json()["items"]
    assert [p["id"] for p in listed] == [pid] and listed[0]["quotas"] == {"东区": 2, "西区": 1}
    t = "/programmes/{programme_id}"
    status = a.call("GET", f"/programmes/{pid}", t).get_json()
    assert status["progress"]["firms"] == 3 and status["progress"]["total"]["not_invited"] == 3
    assert {s["sub_zone"]: s["quota"] for s in status["progress"]["sub_zones"]} == {"东区": 2, "西区": 1}
    roster = a.call("GET", f"/programmes/{pid}/roster?status=not_invited", t + "/roster").get_json()
    assert [r["name"] for r in roster["items"]] == ["名单企业0", "名单企业1", "名单企业2"]
    assert a.call("GET", f"/programmes/{pid}/roster?status=nonsense", t + "/roster").status_code == 400
    assert a.call("GET", f"/programmes/{pid}/roster?page=2", t + "/roster").get_json()["items"] == []
    targets = a.call("GET", f"/programmes/{pid}/targets", t + "/targets").get_json()["items"]
    assert [(x["name"], x["value"], x["denominator"]) for x in targets] == [("名单覆盖", 0.0, 3)]
    # the same permissions as the pages
    assert api(world.b.zone_admin).call("GET", f"/programmes/{pid}", t).status_code == 404
    assert api(world.b.zone_admin).call("GET", f"/programmes/{pid}/targets", t + "/targets").status_code == 404
    assert api(world.b.zone_admin).call("GET", "/programmes").get_json()["items"] == []
    assert api(world.a.consultant).call("GET", f"/programmes/{pid}/roster", t + "/roster").status_code == 403
    assert api(None).call("GET", "/programmes").status_code == 401
