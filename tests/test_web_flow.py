"""The enterprise user's journey through the web app, with CSRF on as in a browser."""
from __future__ import annotations

import io
import re

import pypdf
import pytest
import sqlalchemy as sa

import questionnaires
from diagnosis import create_app
from diagnosis.extensions import db
from diagnosis.models import Assessment, Company, Result, User

from .conftest import PLEDGE
from .helpers import extreme_answers, sme


def test_register_with_wrong_invitation_code_is_refused(app, world, client):
    c = client()
    r = c.post_form("/auth/register", {"invite_code": "NOT-A-CODE", "name": "王", "email": "new@example.com",
                                       "password": "longpassword1", "confirm": "longpassword1", "privacy": "y"})
    assert r.status_code == 200
    assert "邀请码无效" in r.text
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == "new@example.com")) is None


def test_register_with_code_then_profile(app, world, client):
    c = client()
    r = c.post_form("/auth/register", {"invite_code": world.a.invite, "name": "王", "email": "New@Example.com",
                                       "password": "longpassword1", "confirm": "longpassword1", "privacy": "y"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/auth/login")
    c.login("new@example.com", "longpassword1")  # the same answer for a taken address: the login tells them apart
    r = c.post_form("/company/profile", {"name": "新拓机械有限公司", "uscc": "91350100M000100Y4X",
                                         "industry_division": "34", "employees": "250", "revenue": "15000"})
    assert r.status_code == 200 and "校验位不正确" in r.text
    r = c.post_form("/company/profile", {"name": "新拓机械有限公司", "uscc": "91350100m000100y43",
                                         "industry_division": "34", "employees": "250", "revenue": "15000"})
    assert r.status_code == 302
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "new@example.com"))
        assert user.role == "enterprise" and user.zone_id == world.a.zone
        company = db.session.get(Company, user.company_id)
        assert company.uscc == "91350100M000100Y43"
        assert company.industry_section == "C" and company.size_class == "small"


def test_weak_password_and_mismatch_are_refused(world, client):
    c = client()
    r = c.post_form("/auth/register", {"invite_code": world.a.invite, "name": "王", "email": "x@example.com",
                                       "password": "onlyletters", "confirm": "onlyletters", "privacy": "y"})
    assert "字母和数字" in r.text
    r = c.post_form("/auth/register", {"invite_code": world.a.invite, "name": "王", "email": "x@example.com",
                                       "password": "longpassword1", "confirm": "longpassword2", "privacy": "y"})
    assert "不一致" in r.text


def test_login_and_wrong_password(world, client):
    c = client()
    r = c.post_form("/auth/login", {"email": world.a.enterprise, "password": "wrong-password-1"})
    assert r.status_code == 200 and "邮箱或密码不正确" in r.text
    assert c.get("/home").status_code == 302  # still anonymous
    c.login(world.a.enterprise)
    assert c.get("/home").status_code == 200


def test_login_does_not_redirect_off_site(world, client):
    c = client()
    html = c.get("/auth/login").text
    from .conftest import PASSWORD, csrf_from
    r = c.c.post("/auth/login?next=//evil.example/steal", data={"email": world.a.enterprise, "password": PASSWORD,
                                                              "csrf_token": csrf_from(html)})
    assert r.status_code == 302 and r.headers["Location"] == "/home"


def test_post_without_csrf_token_is_rejected(world, client):
    c = client().login(world.a.enterprise)
    aid = c.start()
    r = c.c.post(f"/assessments/{aid}/answers", json={"answers": {"systems_coverage": "one"}})
    assert r.status_code == 400
    r = c.c.post("/assessments/new", data={"instrument": "sme-digital"})
    assert r.status_code == 400


def test_autosave_then_resume_in_a_new_session_and_after_restart(app, world, client):
    c = client().login(world.a.enterprise)
    aid = c.start()
    r = c.autosave(aid, {"network": ["shopfloor", "fiveg"], "equipment_digital_rate": 35})
    assert r.status_code == 200, r.json
    assert r.json["saved"] == ["equipment_digital_rate", "network"]
    assert r.json["progress"]["answered"] == 2

    # The tab is closed; the user logs in again from another browser.
    again = client().login(world.a.enterprise)
    r = again.get(f"/assessments/{aid}")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/assessments/{aid}/page/1")
    page = again.get(f"/assessments/{aid}/page/1").text
    assert re.search(r'value="fiveg"[^>]*checked|checked[^>]*value="fiveg"', page)
    assert 'value="35.0"' in page or 'value="35"' in page

    # A new application process on the same database (a server restart) sees the same answers.
    restarted = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                            "SECRET_KEY": "test-secret"})
    with restarted.app_context():
        a = db.session.get(Assessment, aid)
        assert a.answer_dict() == {"network": ["shopfloor", "fiveg"], "equipment_digital_rate": 35.0}


def test_autosave_keeps_valid_answers_and_names_the_invalid(app, world, client):
    c = client().login(world.a.enterprise)
    aid = c.start()
    r = c.autosave(aid, {"systems_coverage": "several", "equipment_network_rate": 140, "no_such_question": 1,
                         "network": ["shopfloor", "teleporter"]})
    assert r.status_code == 400
    assert set(r.json["errors"]) == {"equipment_network_rate", "no_such_question", "network"}
    assert "0 到 100" in r.json["errors"]["equipment_network_rate"]
    assert r.json["saved"] == ["systems_coverage"]
    with app.app_context():
        assert db.session.get(Assessment, aid).answer_dict() == {"systems_coverage": "several"}


def test_autosave_rejects_malformed_body(world, client):
    c = client().login(world.a.enterprise)
    aid = c.start()
    from .conftest import csrf_from
    token = csrf_from(c.get(f"/assessments/{aid}/page/1").text)
    r = c.c.post(f"/assessments/{aid}/answers", data="{not json", content_type="application/json",
                 headers={"X-CSRFToken": token})
    assert r.status_code == 400 and "answers" in r.json["error"]


def test_page_form_post_saves_and_moves_on_without_javascript(app, world, client):
    c = client().login(world.a.enterprise)
    aid = c.start()
    r = c.post_form(f"/assessments/{aid}/page/1", {"systems_coverage": "most", "equipment_digital_rate": "12.5",
                                                   "network": ["shopfloor"], "go": "next"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/assessments/{aid}/page/2")
    r = c.post_form(f"/assessments/{aid}/page/1", {"equipment_network_rate": "abc", "go": "next"})
    assert r.status_code == 200 and "请输入数字" in r.text
    with app.app_context():
        assert db.session.get(Assessment, aid).answer_dict() == {
            "systems_coverage": "most", "equipment_digital_rate": 12.5, "network": ["shopfloor"]}


def test_a_blank_stale_page_does_not_wipe_saved_answers(app, world, client):
    first, second = client().login(world.a.enterprise), client().login(world.a.enterprise)
    aid = first.start()
    stale_page = second.get(f"/assessments/{aid}/page/1").text  # opened before any answer
    first.autosave(aid, {"systems_coverage": "all"})
    from .conftest import csrf_from
    second.c.post(f"/assessments/{aid}/page/1", data={"csrf_token": csrf_from(stale_page), "network": ["fiveg"], "go": "stay"})
    with app.app_context():
        assert db.session.get(Assessment, aid).answer_dict() == {"systems_coverage": "all", "network": ["fiveg"]}


def test_submit_requires_every_required_answer_then_scores(app, world, client):
    c = client().login(world.a.enterprise)
    aid = c.start()
    c.autosave(aid, {"systems_coverage": "one"})
    r = c.post_form(f"/assessments/{aid}/review", {})
    assert r.status_code == 200 and "尚未填写" in r.text
    assert "评估已提交" not in r.text

    c.autosave(aid, extreme_answers(sme(), best=True))
    r = c.post_form(f"/assessments/{aid}/review", PLEDGE)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/assessments/{aid}/result")
    page = c.get(f"/assessments/{aid}/result").text
    assert "四级" in page and "100" in page
    with app.app_context():
        res = db.session.scalar(sa.select(Result).where(Result.assessment_id == aid))
        assert res.level == 4 and res.total == 100.0
        assert res.dimensions["foundation"]["points"] == 50.0

    # Submitted answers are frozen.
    r = c.autosave(aid, {"systems_coverage": "none"})
    assert r.status_code == 409


def test_pdf_download_contains_company_name_and_level_as_text(world, client):
    c = client().login(world.a.enterprise)
    aid = c.submit(extreme_answers(sme(), best=False))
    r = c.get(f"/assessments/{aid}/report.pdf")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(r.data)).pages)
    assert "A号精密机械有限公司" in text
    assert "未达一级" in text and "执行摘要" in text and "改进建议与路线图" in text


def test_english_interface_and_report(world, client):
    c = client().login(world.a.enterprise)
    c.get("/lang/en")
    aid = c.start()
    assert "Every answer is saved as you go" in c.get(f"/assessments/{aid}/page/1").text
    c.autosave(aid, extreme_answers(sme(), best=True))
    c.post_form(f"/assessments/{aid}/review", PLEDGE)
    assert "Level 4" in c.get(f"/assessments/{aid}/result").text
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(c.get(f"/assessments/{aid}/report.pdf").data)).pages)
    assert "Recommendations and roadmap" in text and "Executive summary" in text


def test_company_name_with_markup_is_shown_as_text(app, world, client):
    hostile = '<img src="file:///etc/passwd">'
    with app.app_context():
        firm = db.session.get(Company, world.a.firm)
        firm.name = hostile
        db.session.commit()
    c = client().login(world.a.enterprise)
    aid = c.submit(extreme_answers(sme(), best=True))
    page = c.get(f"/assessments/{aid}/result").text
    assert hostile not in page and "&lt;img src=" in page
    pdf = c.get(f"/assessments/{aid}/report.pdf").data
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert '<img src="file:///etc/passwd">' in text.replace("\n", "")
    assert b"root:x:0:0" not in pdf


def test_security_headers_forbid_inline_script(world, client):
    r = client().get("/auth/login")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in r.text
    assert r.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("instrument_id", ["sme-digital", "smart-manufacturing", "cloud-adoption"])
def test_every_instrument_runs_end_to_end(world, client, instrument_id):
    inst = questionnaires.get(instrument_id)
    c = client().login(world.a.enterprise)
    aid = c.start(instrument_id)
    for n in range(1, len(inst.dimensions) + 1):
        assert c.get(f"/assessments/{aid}/page/{n}").status_code == 200
    assert c.autosave(aid, extreme_answers(inst, best=True)).status_code == 200
    r = c.post_form(f"/assessments/{aid}/review", PLEDGE)
    assert r.status_code == 302, r.text
    top = max(inst.levels, key=lambda lv: lv.id).name.zh
    assert top in c.get(f"/assessments/{aid}/result").text
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(c.get(f"/assessments/{aid}/report.pdf").data)).pages)
    assert top.split()[0] in text and inst.title.zh in text


def test_show_if_hides_questions_on_the_server_until_they_apply(world, client):
    c = client().login(world.a.enterprise)
    aid = c.start("cloud-adoption")
    page = c.get(f"/assessments/{aid}/page/3").text
    assert re.search(r'id="q-edge_processing"[^>]*\bhidden\b', page)
    assert re.search(r'data-show-if="[^"]*&#34;question&#34;: &#34;devices_connected&#34;', page)
    c.autosave(aid, {"devices_connected": "some"}, page=3)
    page = c.get(f"/assessments/{aid}/page/3").text
    assert not re.search(r'id="q-edge_processing"[^>]*\bhidden\b', page)
    # A hidden required question is not demanded at submission.
    answers = extreme_answers(questionnaires.get("cloud-adoption"), best=False)
    answers.pop("edge_processing")
    c.autosave(aid, answers)
    r = c.get(f"/assessments/{aid}/review")
    assert "是否在边缘侧" not in r.text


def test_registration_needs_the_privacy_notice_accepted_and_stores_its_version(app, world, client):
    from diagnosis.auth.service import PRIVACY_VERSION
    c = client()
    form = {"invite_code": world.a.invite, "name": "王", "email": "consent@example.com",
            "password": "longpassword1", "confirm": "longpassword1"}
    r = c.post_form("/auth/register", form)
    assert r.status_code == 200 and "个人信息保护说明" in r.text
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == "consent@example.com")) is None
    assert "版本 " + PRIVACY_VERSION in client().get("/auth/privacy").text
    assert client().get("/auth/privacy?lang=en").status_code == 200
    r = c.post_form("/auth/register", {**form, "privacy": "y"})
    assert r.status_code == 302
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "consent@example.com"))
        assert user.privacy_version == PRIVACY_VERSION and user.privacy_accepted_at is not None
