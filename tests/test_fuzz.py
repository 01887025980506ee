"""Property-based fuzzing of the API and autosave with hypothesis: any input, never a 500,
and a rejected request leaves the stored answers as they were. The budget is bounded."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnosis.api.tokens import issue
from diagnosis.extensions import db
from diagnosis.models import Answer, User

from .conftest import csrf_from
from .helpers import sme

QIDS = [q.id for q in sme().questions]
OPTION_IDS = [o.id for q in sme().questions for o in q.options]
# Unicode edge cases: combining marks, right-to-left, emoji, zero-width and surrogate-adjacent characters, NUL.
WEIRD = st.sampled_from(["\u0000", "\u202e", "é", "👩‍🏭", "\u200b", "\ufeff", "𠀀", "'; DROP TABLE answers; --", "=1+1", "<svg onload=1>"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**20, max_value=10**20),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=50), WEIRD, st.sampled_from(OPTION_IDS),
                    st.text(min_size=4000, max_size=6000))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=5), inner, max_size=3)), max_leaves=8)
ANSWERS = st.dictionaries(st.one_of(st.sampled_from(QIDS), st.text(max_size=70), WEIRD), VALUES, max_size=6)
BODIES = st.one_of(st.builds(lambda a: {"answers": a}, ANSWERS),
                   st.builds(lambda a, b: {"answers": a, "base": b}, ANSWERS, st.dictionaries(st.sampled_from(QIDS), VALUES, max_size=3)),
                   VALUES)
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture
def setup(app, world, client):
    c = client().login(world.a.enterprise)
    aid = c.start()
    q = next(q for q in sme().questions if q.type == "single")
    assert c.autosave(aid, {q.id: q.options[0].id}).status_code == 200
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == world.a.enterprise))
        token = issue(user, "fuzz")
        db.session.commit()
    return c, aid, token


def _answers(app, aid):
    with app.app_context():
        return {a.question_id: a.value for a in db.session.scalars(sa.select(Answer).where(Answer.assessment_id == aid))}


def _send(client, method, url, body, headers):
    try:
        data = json.dumps(body, allow_nan=True)
    except (TypeError, ValueError):
        data = str(body)
    return client.open(url, method=method, data=data, content_type="application/json", headers=headers)


@FUZZ
@given(body=BODIES)
def test_api_answers_never_500_and_rejections_change_nothing(app, setup, body):
    c, aid, token = setup
    before = _answers(app, aid)
    r = _send(app.test_client(), "PATCH", f"/api/v1/assessments/{aid}/answers", body, {"Authorization": f"Bearer {token}"})
    assert r.status_code < 500, (body, r.get_data(as_text=True)[:300])
    assert r.is_json and "error" in r.get_json() or r.status_code == 200
    if r.status_code != 200:
        assert _answers(app, aid) == before


@FUZZ
@given(body=BODIES)
def test_autosave_never_500(app, setup, body):
    c, aid, token = setup
    csrf = csrf_from(c.get(f"/assessments/{aid}/page/1").text)
    r = _send(c.c, "POST", f"/assessments/{aid}/answers", body, {"X-CSRFToken": csrf})
    assert r.status_code < 500, (body, r.get_data(as_text=True)[:300])


@FUZZ
@given(path=st.sampled_from(["/api/v1/assessments", "/api/v1/companies", "/api/v1/zone/aggregates", "/api/v1/instruments/{}",
                             "/api/v1/assessments/{}", "/api/v1/assessments/{}/result", "/api/v1/companies/{}",
                             "/zone/data/levels.json", "/zone/firms", "/assessments/{}/result", "/company/{}/history"]),
       params=st.dictionaries(st.sampled_from(["page", "company_id", "status", "instrument", "industry", "size", "period",
                                               "sub_zone", "level", "lang", "dimension"]),
                              st.one_of(st.text(max_size=30), WEIRD, st.integers().map(str)), max_size=4),
       ident=st.one_of(st.text(max_size=20), st.integers(min_value=-5, max_value=10**15).map(str)))
def test_query_strings_and_ids_never_500(app, setup, path, params, ident):
    c, aid, token = setup
    url = path.format(ident.replace("/", "").replace("?", "").replace("#", "") or "x")
    r = app.test_client().get(url, query_string=params, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code < 500, (url, params)
    r = c.get(url if not url.startswith("/api") else "/zone/firms", query_string=params)  # a logged-in browser too
    assert r.status_code < 500, (url, params)


def test_nul_characters_in_forms_are_refused(app, world, client):
    c = client().login(world.a.enterprise)
    r = c.post_form("/company/profile", {"name": "坏\x00名字", "uscc": "x", "industry_division": "34", "employees": "1", "revenue": "1"})
    assert r.status_code == 400
    assert c.get("/zone/firms?industry=3\x004").status_code == 400


def test_ids_beyond_the_database_range_are_not_found(app, world, client, setup):
    """Found by the fuzzer on PostgreSQL: an id past 2^31 reached the database as an error."""
    c, aid, token = setup
    for url in ("/assessments/99999999999/result", "/company/99999999999/history", "/assessments/2147483648/page/1"):
        assert c.get(url).status_code == 404, url
    api = app.test_client()
    assert api.get("/api/v1/assessments/99999999999", headers={"Authorization": f"Bearer {token}"}).status_code == 404
    assert api.get("/api/v1/assessments?company_id=99999999999", headers={"Authorization": f"Bearer {token}"}).status_code == 400
    admin = client().login(world.a.zone_admin)
    assert admin.get("/zone/firms?level=99999999999").status_code == 400
    assert admin.get("/zone/firms?page=99999999999999999999").status_code == 200


# --- The attack run's inputs as explicit strategies (issue 15) ---------------------------------------------
SURROGATE_TEXT = st.builds(lambda a, s, b: a + s + b, st.text(max_size=5), st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
                           st.text(max_size=5))
NON_ASCII_DIGITS = st.text(st.characters(categories=["Nd", "No"]).filter(lambda c: not c.isascii()), min_size=1, max_size=6)
HUGE_INTS = st.one_of(st.integers(min_value=2**53, max_value=10**400), st.integers(min_value=-10**400, max_value=-2**53))
DEPTHS = st.integers(min_value=33, max_value=3000)
FUZZ_HOSTILE = settings(FUZZ, max_examples=40)
HOSTILE = st.one_of(SURROGATE_TEXT, HUGE_INTS)
NUMBER_IDS = [q.id for q in sme().questions if q.type == "number"]
# Other scripts' digits are fine text, but never a number: sent to number questions only.
NOT_NUMBERS = st.one_of(NON_ASCII_DIGITS, st.builds(lambda n: "9" * n, st.integers(300, 5000)))


def _deep(n: int, inner: str = "1") -> str:
    return "[" * n + inner + "]" * n


HOSTILE_BODIES = st.one_of(
    st.builds(lambda q, v: json.dumps({"answers": {q: v}}), st.sampled_from(QIDS), HOSTILE),
    st.builds(lambda q, v: json.dumps({"answers": {q: v}}), st.sampled_from(NUMBER_IDS), NOT_NUMBERS),
    st.builds(lambda k: json.dumps({"answers": {k: "x"}}), SURROGATE_TEXT),
    st.builds(lambda q, n: f'{{"answers": {{"{q}": {_deep(n)}}}}}', st.sampled_from(QIDS), DEPTHS),
    st.builds(lambda n: _deep(n, '{"answers": {}}'), DEPTHS),
    st.builds(lambda q, v: json.dumps({"answers": {q: 1}, "base": {q: v}}), st.sampled_from(QIDS), HUGE_INTS),
)


def _refused_cleanly(r, app, aid, before):
    assert 400 <= r.status_code < 500, (r.status_code, r.get_data(as_text=True)[:300])
    assert _answers(app, aid) == before


@FUZZ_HOSTILE
@given(body=HOSTILE_BODIES)
def test_hostile_api_bodies_are_4xx_json_and_store_nothing(app, setup, body):
    c, aid, token = setup
    before = _answers(app, aid)
    r = app.test_client().patch(f"/api/v1/assessments/{aid}/answers", data=body, content_type="application/json",
                                headers={"Authorization": f"Bearer {token}"})
    _refused_cleanly(r, app, aid, before)
    assert r.is_json and "error" in r.get_json()


@FUZZ_HOSTILE
@given(body=HOSTILE_BODIES)
def test_hostile_autosave_bodies_are_4xx_and_store_nothing(app, setup, body):
    c, aid, token = setup
    before = _answers(app, aid)
    csrf = csrf_from(c.get(f"/assessments/{aid}/page/1").text)
    r = c.c.post(f"/assessments/{aid}/answers", data=body, content_type="application/json", headers={"X-CSRFToken": csrf})
    _refused_cleanly(r, app, aid, before)


NUMBER_QS = [q.id for q in sme().dimensions[0].questions if q.type == "number"]


@FUZZ_HOSTILE
@given(number=st.one_of(NON_ASCII_DIGITS, HUGE_INTS.map(str), st.builds(lambda n: "9" * n, st.integers(300, 5000))),
       text=st.one_of(SURROGATE_TEXT.map(lambda s: s.encode("utf-8", "surrogatepass").decode("latin-1")), NON_ASCII_DIGITS),
       depth=DEPTHS)
def test_hostile_web_forms_never_500(app, setup, number, text, depth):
    """The page form (numbers, free text, the versions JSON), the company profile and the query strings."""
    c, aid, token = setup
    before = _answers(app, aid)
    csrf = csrf_from(c.get(f"/assessments/{aid}/page/1").text)
    data = {"csrf_token": csrf, "go": "stay", "versions": _deep(depth, "{}"), "systems_list": text,
            **{q: number for q in NUMBER_QS}}
    r = c.c.post(f"/assessments/{aid}/page/1", data=data)
    assert r.status_code < 500, r.get_data(as_text=True)[:300]
    after = _answers(app, aid)
    assert all(after.get(q) == before.get(q) for q in NUMBER_QS)  # a number like that is never stored
    assert all(isinstance(v, str) and v.encode("utf-8") or not isinstance(v, str) for v in after.values())
    r = c.post_form("/company/profile", {"name": text, "uscc": number, "industry_division": "34", "employees": number,
                                         "revenue": number})
    assert r.status_code < 500
    for url in ("/api/v1/assessments", "/api/v1/companies"):
        r = app.test_client().get(url, query_string={"page": number}, headers={"Authorization": f"Bearer {token}"})
        assert 400 <= r.status_code < 500 and r.is_json
    assert c.get("/assessments/", query_string={"page": number}).status_code < 500
