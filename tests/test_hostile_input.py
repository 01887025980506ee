"""Hostile input gets a 4xx naming what is wrong, never a 500, and stores nothing
(issue 15, findings 3 and 8): the lone surrogate on every write path, numbers in
other scripts' digits, huge integers, deep JSON, a read-only database."""
from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from diagnosis.api.tokens import issue
from diagnosis.extensions import db
from diagnosis.models import Answer, AnswerChange, User

from .conftest import csrf_from
from .helpers import extreme_answers, sme

SURROGATE = "a\ud800b"
RAW_SURROGATE_BODY = '{"answers": {"systems_list": "a\\ud800b"}}'  # exactly as an attacker sends it


@pytest.fixture
def firm(app, world, client):
    c = client().login(world.a.enterprise)
    aid = c.start()
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == world.a.enterprise))
        token = issue(user, "t")
        db.session.commit()
    return c, aid, {"Authorization": f"Bearer {token}"}


def _stored(app, aid):
    with app.app_context():
        return {a.question_id: a.value for a in db.session.scalars(sa.select(Answer).where(Answer.assessment_id == aid))}


def test_a_lone_surrogate_is_refused_by_the_api_and_the_autosave_naming_the_field(app, firm):
    c, aid, auth = firm
    api = app.test_client()
    r = api.patch(f"/api/v1/assessments/{aid}/answers", data=RAW_SURROGATE_BODY, content_type="application/json",
                  headers=auth)
    assert r.status_code == 422 and r.is_json
    assert r.json["error"]["code"] == "unstorable_text"
    assert r.json["error"]["details"] == [{"field": "answers.systems_list"}]
    token = csrf_from(c.get(f"/assessments/{aid}/page/1").text)
    r = c.c.post(f"/assessments/{aid}/answers", data=RAW_SURROGATE_BODY, content_type="application/json",
                 headers={"X-CSRFToken": token})
    assert r.status_code == 422 and r.json["field"] == "answers.systems_list"
    assert _stored(app, aid) == {}
    # Nothing broke: the firm's reads still answer.
    assert api.get(f"/api/v1/assessments/{aid}", headers=auth).status_code == 200
    assert c.get(f"/assessments/{aid}/changes").status_code == 200
    # A surrogate in a key is named too (escaped, as it cannot be printed).
    r = api.patch(f"/api/v1/assessments/{aid}/answers", data='{"answers": {"x\\udc00": 1}}',
                  content_type="application/json", headers=auth)
    assert r.status_code == 422 and r.json["error"]["code"] == "unstorable_text"


def test_forms_cannot_carry_a_surrogate_and_the_pages_stay_readable(app, world, firm, client):
    """A form is decoded from bytes: the surrogate's encoding cannot become a lone surrogate on the way in."""
    c, aid, auth = firm
    token = csrf_from(c.get(f"/assessments/{aid}/page/1").text)
    body = f"csrf_token={token}&systems_list=a%ED%A0%80b&go=stay"  # the surrogate's UTF-8-like bytes
    r = c.c.post(f"/assessments/{aid}/page/1", input_stream=__import__("io").BytesIO(body.encode()),
                 content_type="application/x-www-form-urlencoded", content_length=len(body))
    assert r.status_code in (200, 302)
    value = _stored(app, aid).get("systems_list")
    assert value is not None and value.encode("utf-8")  # arrives as storable text, whatever it became
    assert c.get(f"/assessments/{aid}/changes").status_code == 200
    assert app.test_client().get(f"/api/v1/assessments/{aid}", headers=auth).status_code == 200


def test_the_flush_guard_stops_unstorable_text_on_any_path(app, world):
    """The last gate: whatever code writes a row (import, CLI, a future view), the surrogate is refused."""
    from diagnosis.assessments import service
    from diagnosis.inputs import BadInput
    from diagnosis.models import Company
    with app.app_context():
        company = db.session.scalar(sa.select(Company).where(Company.zone_id == world.a.zone))
        a = service.start(company.id, "sme-digital", None)
        db.session.commit()
        service.save_answers(a, {"systems_list": SURROGATE}, None, via="import")
        with pytest.raises(BadInput) as e:
            db.session.commit()
        assert e.value.status == 422 and e.value.field.startswith(("answers.value", "answer_changes."))
        db.session.rollback()
        company.name = "坏" + SURROGATE
        with pytest.raises(BadInput) as e:
            db.session.flush()
        assert e.value.field == "companies.name"
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AnswerChange)) == 0


def test_non_ascii_digits_and_huge_numbers_are_4xx(app, world, client, firm):
    c, aid, auth = firm
    api = app.test_client()
    for url in ("/api/v1/assessments?page=²", "/api/v1/companies?page=٣", "/api/v1/assessments?company_id=１"):
        r = api.get(url, headers=auth)
        assert r.status_code == 400 and r.is_json, url
    admin = client().login(world.a.zone_admin)
    assert admin.get("/zone/firms?level=²").status_code == 400
    assert admin.get("/zone/firms?period=٢٠٢٦Q3").status_code == 400
    r = admin.post_form("/reports/batches/", {"instrument": "sme-digital", "level": "²"})
    assert r.status_code == 200 and "等级应为数字" in r.text
    assert admin.post_form("/zone/assignments", {"consultant": "²", "codes": ""}).status_code == 400
    huge = {"answers": {"equipment_digital_rate": 10 ** 400}}
    r = api.patch(f"/api/v1/assessments/{aid}/answers", data=json.dumps(huge), content_type="application/json",
                  headers=auth)
    assert r.status_code == 422 and r.json["error"]["code"] == "number_too_large"
    assert r.json["error"]["details"] == [{"field": "answers.equipment_digital_rate"}]
    token = csrf_from(c.get(f"/assessments/{aid}/page/1").text)
    r = c.c.post(f"/assessments/{aid}/answers", data=json.dumps(huge), content_type="application/json",
                 headers={"X-CSRFToken": token})
    assert r.status_code == 422
    r = api.patch(f"/api/v1/assessments/{aid}/answers", data='{"answers": {"equipment_digital_rate": NaN}}',
                  content_type="application/json", headers=auth)
    assert r.status_code == 400 and r.is_json
    assert _stored(app, aid) == {}


def test_deeply_nested_json_is_refused_everywhere(app, firm):
    c, aid, auth = firm
    deep = '{"answers": ' + "[" * 100000 + "]" * 100000 + "}"
    r = app.test_client().patch(f"/api/v1/assessments/{aid}/answers", data=deep, content_type="application/json",
                                headers=auth)
    assert r.status_code == 400 and r.json["error"]["code"] == "too_deep"
    token = csrf_from(c.get(f"/assessments/{aid}/page/1").text)
    r = c.c.post(f"/assessments/{aid}/answers", data=deep, content_type="application/json", headers={"X-CSRFToken": token})
    assert r.status_code == 400 and r.is_json
    # The page form carries the answer versions as JSON in a hidden field.
    q = next(q for q in sme().dimensions[0].questions if q.type == "single")
    r = c.c.post(f"/assessments/{aid}/page/1", data={"csrf_token": token, q.id: q.options[0].id, "go": "stay",
                                                      "versions": "[" * 100000 + "]" * 100000})
    assert r.status_code in (200, 302)
    assert _stored(app, aid) == {q.id: q.options[0].id}


def test_unknown_api_routes_and_methods_answer_json(app, firm):
    c, aid, auth = firm
    api = app.test_client()
    for r in (api.get("/api/v1/nothing-here", headers=auth), api.delete(f"/api/v1/assessments/{aid}", headers=auth)):
        assert r.status_code in (404, 405) and r.is_json and "error" in r.json


def _read_only_url(url: str) -> str:
    if url.startswith("sqlite:///"):
        return f"sqlite:///file:{url[len('sqlite:///'):]}?mode=ro&uri=true"
    return url + ("&" if "?" in url else "?") + "options=-c%20default_transaction_read_only%3Don"


def test_a_read_only_database_gives_json_errors_and_a_failing_health_check(app, world, client, firm):
    from diagnosis import create_app
    c, aid, auth = firm
    assert client().c.get("/healthz").json == {"status": "ok", "database": "ok", "queue": "ok"}
    ro = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": _read_only_url(app.config["SQLALCHEMY_DATABASE_URI"]),
                     "SECRET_KEY": app.config["SECRET_KEY"], "LOGIN_RATE_LIMIT": "100000 per minute",
                     "API_RATE_LIMIT": "100000 per minute", "PROPAGATE_EXCEPTIONS": False})
    ro.testing = False  # answer errors as production does, instead of raising them into the test
    api = ro.test_client()
    r = api.get("/healthz")
    assert r.status_code == 503 and r.json == {"status": "failing", "database": "read-only", "queue": "ok"}
    # Reads work: the token's last use is not worth failing a read for.
    assert api.get(f"/api/v1/assessments/{aid}", headers=auth).status_code == 200
    # A write fails, as JSON, under the API...
    q = next(q for q in sme().questions if q.type == "single")
    r = api.patch(f"/api/v1/assessments/{aid}/answers", json={"answers": {q.id: q.options[0].id}}, headers=auth)
    assert r.status_code == 500 and r.json["error"]["code"] == "server_error"
    # ... and as a page, not a crash, on the web (the session cookie of the normal app works here).
    web = ro.test_client()
    for cookie in c.c._cookies.values():
        web.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    page = web.get(f"/assessments/{aid}/page/1")
    assert page.status_code == 200
    token = csrf_from(page.text)
    r = web.post(f"/assessments/{aid}/page/1", data={"csrf_token": token, q.id: q.options[0].id, "go": "stay"})
    assert r.status_code == 500 and "服务器出错了" in r.text
    r = web.post(f"/assessments/{aid}/answers", json={"answers": {q.id: q.options[0].id}}, headers={"X-CSRFToken": token})
    assert r.status_code == 500 and r.is_json


def test_the_repair_migration_mends_stored_surrogates(tmp_path):
    """Rows written before the gate existed: the migration replaces each lone surrogate with U+FFFD."""
    from flask_migrate import upgrade

    from diagnosis import create_app
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    old = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    with old.app_context():
        upgrade(revision="112b9da83495")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO zones (id, name, invite_code, sub_zones, created_at) "
                                 "VALUES (1, 'z', 'Z', '[\"\\ud800\"]', '2026-01-01')"))
            conn.execute(sa.text("INSERT INTO answer_changes (id, assessment_id, question_id, old_value, new_value, via, at) "
                                 "VALUES (1, 1, 'systems_list', '\"a\\ud800b\"', '{\"k\\udfff\": [\"\\ud83d\"]}', 'api', "
                                 "'2026-01-01')"))
        upgrade()
        with db.engine.connect() as conn:
            row = conn.execute(sa.text("SELECT old_value, new_value FROM answer_changes")).one()
            zone = conn.execute(sa.text("SELECT sub_zones FROM zones")).scalar()
        values = [json.loads(v) for v in (*row, zone)]
        assert values == ["a\ufffdb", {"k\ufffd": ["\ufffd"]}, ["\ufffd"]]
        assert all(json.dumps(v, ensure_ascii=False).encode("utf-8") for v in values)


def test_an_import_cell_with_a_surrogate_is_refused_with_a_reason(app, world, client):
    """XML cannot carry a surrogate: a sheet that tries is not a readable XLSX."""
    from .test_import_bombs import xlsx
    admin = client().login(world.a.consultant)
    sheet = ('<row r="1"><c r="A1" t="inlineStr"><is><t>uscc</t></is></c><c r="B1" t="inlineStr"><is><t>systems_list</t>'
             '</is></c></row><row r="3"><c r="B3" t="inlineStr"><is><t>a&#xD800;b</t></is></c></row>')
    r = _upload(admin, xlsx(sheet))
    assert r.status_code == 400 and "不是可读取的 XLSX 文件" in r.text


def _upload(c, data: bytes):
    import io
    page = c.get("/imports/").text
    return c.c.post("/imports/", data={"csrf_token": csrf_from(page), "instrument": "sme-digital",
                                       "file": (io.BytesIO(data), "answers.xlsx")}, content_type="multipart/form-data")


def test_extreme_answers_still_save(app, firm):
    """The gate lets every honest answer through."""
    c, aid, auth = firm
    answers = extreme_answers(sme(), best=True) | {"systems_list": "ERP、MES 👩‍🏭 𠀀 é"}
    r = app.test_client().patch(f"/api/v1/assessments/{aid}/answers", json={"answers": answers}, headers=auth)
    assert r.status_code == 200, r.text
    assert re.search("MES", _stored(app, aid)["systems_list"])
