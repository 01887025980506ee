"""Providers and the review (issue 18): cross-provider scoping on the web, the API and evidence downloads;
the full path draft -> pledge -> verification with a correction and evidence -> review -> returned with a
question comment -> answered -> approved; refused transitions answer 403 and change nothing; evidence
files are typed by content and always served as downloads."""
from __future__ import annotations

import io
import struct
import zlib
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from diagnosis.api.tokens import issue
from diagnosis.extensions import db
from diagnosis.models import Assessment, Assignment, Evidence, Notification, ReviewEvent, SampleCheck, User
from diagnosis.providers import service as providers

from .conftest import PASSWORD, Client
from .helpers import extreme_answers, sme
from .test_api import Api

LOW_QUESTIONS = ["systems_coverage", "product_design", "process_design", "marketing", "after_sales", "scheduling",
                 "production_control", "quality"]  # worst options on these take the best answers from level 4 to 3


def png_bytes() -> bytes:
    """A real 1x1 PNG."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def worst(qid: str):
    q = sme().question(qid)
    return sorted(q.options, key=lambda o: (o.points, o.level or 0))[0].id


@pytest.fixture
def firms(app, world):
    """Zone A: provider P1 (lead, consultant c1) has the firm; provider P2 (consultant c2) has the other firm."""
    with app.test_request_context():
        admin = db.session.scalar(sa.select(User).where(User.email == world.a.zone_admin))
        people = {}
        for tag in ("lead1", "c1", "c2"):
            u = User(email=f"{tag}@example.com", name=tag, role="consultant", zone_id=world.a.zone)
            u.set_password(PASSWORD)
            db.session.add(u)
            people[tag] = u
        db.session.commit()
        codes = _codes(2)
        p1 = providers.create(admin, "甲诊断服务有限公司", codes[0], "张三 0512-0000")
        p2 = providers.create(admin, "乙咨询有限公司", codes[1])
        providers.add_member(admin, p1.id, "lead1@example.com", lead=True)
        providers.add_member(admin, p1.id, "c1@example.com")
        providers.add_member(admin, p2.id, "c2@example.com")
        firm_code = db.session.execute(sa.text("SELECT uscc FROM companies WHERE id = :i"), {"i": world.a.firm}).scalar()
        other_code = db.session.execute(sa.text("SELECT uscc FROM companies WHERE id = :i"), {"i": world.a.other}).scalar()
        assert providers.assign_firms(admin, p1.id, [firm_code]).added == 1
        assert providers.assign_firms(admin, p2.id, [other_code]).added == 1
        lead = db.session.scalar(sa.select(User).where(User.email == "lead1@example.com"))
        providers.assign_consultant(lead, p1.id, people["c1"].id, world.a.firm)
        c2 = db.session.scalar(sa.select(User).where(User.email == "c2@example.com"))
        db.session.add(Assignment(consultant_id=c2.id, company_id=world.a.other))
        # c2 is also (wrongly, by a stale row) assigned to the firm: the provider rule still hides it.
        db.session.add(Assignment(consultant_id=c2.id, company_id=world.a.firm))
        db.session.commit()
        return SimpleNamespace(p1=p1.id, p2=p2.id, firm=world.a.firm, other=world.a.other)


def _codes(n):
    from diagnosis.demo import demo_uscc
    return [demo_uscc(900 + i) for i in range(n)]


def token(app, email):
    with app.app_context():
        t = issue(db.session.scalar(sa.select(User).where(User.email == email)), "t")
        db.session.commit()
    return Api(app, t)


def submitted(app, world) -> int:
    firm = Client(app).login(world.a.enterprise)
    return firm.submit(extreme_answers(sme(), best=True))


def state(app, aid) -> tuple[str, int]:
    with app.app_context():
        a = db.session.get(Assessment, aid)
        n = db.session.scalar(sa.select(sa.func.count()).select_from(ReviewEvent).where(ReviewEvent.assessment_id == aid))
        return a.review_state, n


def post(client: Client, aid: int, action: str, data: dict | None = None):
    return client.post_form(f"/assessments/{aid}/verification/{action}", data or {},
                            page=f"/assessments/{aid}/verification")


def test_a_provider_sees_only_its_own_firms_on_the_web_the_api_and_evidence(app, world, firms):
    aid = submitted(app, world)
    firm = Client(app).login(world.a.enterprise)
    r = firm.c.post(f"/assessments/{aid}/evidence", data={
        "question": "quality", "file": (io.BytesIO(png_bytes()), "现场.png"),
        "csrf_token": _csrf(firm, aid)}, content_type="multipart/form-data")
    assert r.status_code == 302
    with app.app_context():
        eid = db.session.scalar(sa.select(Evidence.id))
    c1, lead, c2 = (Client(app).login(f"{u}@example.com") for u in ("c1", "lead1", "c2"))
    for who in (c1, lead):
        assert who.get(f"/assessments/{aid}/verification").status_code == 200
        assert who.get(f"/assessments/{aid}/evidence/{eid}").status_code == 200
    assert c2.get(f"/assessments/{aid}/verification").status_code == 404
    assert c2.get(f"/assessments/{aid}/result").status_code == 404
    assert c2.get(f"/assessments/{aid}/evidence/{eid}").status_code == 404
    assert c2.get(f"/providers/{firms.p1}").status_code == 404
    assert c1.get(f"/providers/{firms.p2}").status_code == 404
    api_c2, api_c1 = token(app, "c2@example.com"), token(app, "c1@example.com")
    assert api_c2.call("GET", f"/assessments/{aid}/review", "/assessments/{assessment_id}/review").status_code == 404
    assert api_c2.call("GET", f"/assessments/{aid}/evidence/{eid}",
                       "/assessments/{assessment_id}/evidence/{evidence_id}").status_code == 404
    assert api_c2.call("GET", f"/companies/{firms.firm}", "/companies/{company_id}").status_code == 404
    ids = {c["id"] for c in api_c2.call("GET", "/companies").get_json()["items"]}
    assert ids == {firms.other}
    assert {c["id"] for c in api_c1.call("GET", "/companies").get_json()["items"]} == {firms.firm}
    assert api_c1.call("GET", f"/assessments/{aid}/review", "/assessments/{assessment_id}/review").status_code == 200
    # Only the provider's lead assigns its consultants, and only to its own firms.
    with app.test_request_context():
        c1u = db.session.scalar(sa.select(User).where(User.email == "c1@example.com"))
        leadu = db.session.scalar(sa.select(User).where(User.email == "lead1@example.com"))
        with pytest.raises(Exception) as e:
            providers.assign_consultant(c1u, firms.p1, c1u.id, firms.firm)
        assert e.value.status == 403
        with pytest.raises(Exception) as e:
            providers.assign_consultant(leadu, firms.p1, c1u.id, firms.other)
        assert e.value.status == 422


def _csrf(client: Client, aid: int) -> str:
    from .conftest import csrf_from
    return csrf_from(client.get(f"/assessments/{aid}/verification").text)


def test_the_full_path_with_a_correction_evidence_a_returned_comment_and_approval(app, world, firms):
    aid = submitted(app, world)
    firm, c1, admin = (Client(app).login(e) for e in (world.a.enterprise, "c1@example.com", world.a.zone_admin))
    assert state(app, aid) == ("submitted", 1)  # the firm signed the pledge with its submission
    assert post(c1, aid, "start").status_code == 302
    assert state(app, aid)[0] == "verifying"
    # Confirm one answer; correct the others with a reason and, on one, a photo.
    r = c1.c.post(f"/assessments/{aid}/verification/question/finance", data={
        "verdict": "confirmed", "csrf_token": _csrf(c1, aid)})
    assert r.status_code == 302
    for qid in LOW_QUESTIONS:
        data = {"verdict": "corrected", "value": worst(qid), "reason": "现场未见系统运行", "csrf_token": _csrf(c1, aid)}
        if qid == "quality":
            data["file"] = (io.BytesIO(png_bytes()), "IMG_0001.png")
        assert c1.c.post(f"/assessments/{aid}/verification/question/{qid}", data=data,
                         content_type="multipart/form-data").status_code == 302
    assert post(c1, aid, "send").status_code == 302
    with app.app_context():
        a = db.session.get(Assessment, aid)
        assert (a.review_state, a.result.level, a.result.verified_level) == ("in_review", 4, 3)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
            Notification.kind == "for_review")) == 1
    page = c1.get(f"/assessments/{aid}/verification").text
    assert "现场未见系统运行" in page and "IMG_0001.png" in page
    # Staff return it with a comment on one question; the consultant answers; staff approve.
    assert post(admin, aid, "return", {"text": "请补充质量环节的佐证", "comment_question": "quality",
                                      "comment_text": "质量检测是否有记录？"}).status_code == 302
    assert state(app, aid)[0] == "returned"
    assert post(admin, aid, "approve").status_code == 303 and state(app, aid)[0] == "returned"  # wrong state
    with app.app_context():
        comments = db.session.scalars(sa.select(ReviewEvent.id).where(ReviewEvent.assessment_id == aid,
                                                                      ReviewEvent.action.in_(["return", "comment"]))).all()
    assert post(c1, aid, "send").status_code == 303 and state(app, aid)[0] == "returned"  # comments unanswered
    for ev in comments:
        assert post(c1, aid, "reply", {"event": str(ev), "text": "已补充检测记录照片"}).status_code == 302
    assert post(c1, aid, "send").status_code == 302
    assert post(admin, aid, "approve").status_code == 302
    st, n = state(app, aid)
    assert st == "approved"
    with app.app_context():
        kinds = [e.action for e in db.session.scalars(sa.select(ReviewEvent).where(ReviewEvent.assessment_id == aid)
                                                      .order_by(ReviewEvent.id))]
    assert kinds[:3] == ["pledge", "start_verification", "confirm"]
    assert kinds[-4:] == ["reply", "reply", "send_for_review", "approve"]
    assert "return" in kinds and "comment" in kinds and kinds.count("correct") == len(LOW_QUESTIONS)
    # Both levels show in the result and the report.
    for url in (f"/assessments/{aid}/result", f"/assessments/{aid}/report"):
        text = firm.get(url).text
        assert "核实等级" in text and "自评等级" in text, url
    # The PDF's evidence annex lists the photo with a thumbnail (an image in the PDF).
    import pypdf
    pdf = pypdf.PdfReader(io.BytesIO(firm.get(f"/assessments/{aid}/report.pdf").data))
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "附件：佐证材料" in text and "IMG_0001.png" in text and "三级" in text
    assert sum(len(page.images) for page in pdf.pages) >= 1


def test_steps_a_role_may_not_take_answer_403_and_change_nothing(app, world, firms):
    aid = submitted(app, world)
    firm, c1, admin = (Client(app).login(e) for e in (world.a.enterprise, "c1@example.com", world.a.zone_admin))
    post(firm, aid, "pledge", {"pledge": "yes"})
    before = state(app, aid)
    assert post(admin, aid, "start").status_code == 403
    assert post(firm, aid, "start").status_code == 403
    assert post(firm, aid, "approve").status_code == 403
    assert post(c1, aid, "approve").status_code == 403
    assert post(admin, aid, "pledge", {"pledge": "yes"}).status_code == 403
    assert state(app, aid) == before
    api_firm = token(app, world.a.enterprise)
    r = api_firm.call("POST", f"/assessments/{aid}/approve", "/assessments/{assessment_id}/approve", json={})
    assert r.status_code == 403
    r = api_firm.call("PUT", f"/assessments/{aid}/verifications/quality", "/assessments/{assessment_id}/verifications/{question_id}",
                      json={"verdict": "confirmed"})
    assert r.status_code == 403
    assert state(app, aid) == before


def test_the_review_through_the_api_matches_the_document(app, world, firms):
    aid = submitted(app, world)
    firm, c1, admin = (token(app, e) for e in (world.a.enterprise, "c1@example.com", world.a.zone_admin))
    t = "/assessments/{assessment_id}"
    assert firm.call("POST", f"/assessments/{aid}/pledge", t + "/pledge", json={"pledge": False}).status_code == 422
    assert firm.call("POST", f"/assessments/{aid}/pledge", t + "/pledge", json={"pledge": True}).status_code == 200
    assert c1.call("POST", f"/assessments/{aid}/verification", t + "/verification").status_code == 200
    r = c1.call("PUT", f"/assessments/{aid}/verifications/quality", t + "/verifications/{question_id}",
                json={"verdict": "corrected", "value": worst("quality")})
    assert r.status_code == 422  # a correction needs a reason
    for qid in LOW_QUESTIONS:
        r = c1.call("PUT", f"/assessments/{aid}/verifications/{qid}", t + "/verifications/{question_id}",
                    json={"verdict": "corrected", "value": worst(qid), "reason": "以现场为准"})
        assert r.status_code == 200
    body = r.get_json()
    q = next(v for v in body["verifications"] if v["question"] == "quality")
    assert q["firm_value"] != q["value"] and q["reason"] == "以现场为准"
    assert c1.call("POST", f"/assessments/{aid}/send-for-review", t + "/send-for-review").status_code == 200
    r = admin.call("POST", f"/assessments/{aid}/return", t + "/return",
                   json={"comments": [{"question": "quality", "text": "证据？"}]})
    assert r.status_code == 200 and r.get_json()["state"] == "returned"
    ev = next(h["id"] for h in r.get_json()["history"] if h["action"] == "comment")
    assert firm.call("POST", f"/assessments/{aid}/replies", t + "/replies", json={"event": ev, "text": "有记录"}).status_code == 201
    assert c1.call("POST", f"/assessments/{aid}/send-for-review", t + "/send-for-review").status_code == 200
    r = admin.call("POST", f"/assessments/{aid}/approve", t + "/approve", json={})
    body = r.get_json()
    assert (body["state"], body["self_level"], body["verified_level"]) == ("approved", 4, 3)
    r = firm.call("GET", f"/assessments/{aid}/result", t + "/result")
    assert (r.get_json()["level"], r.get_json()["verified_level"]) == (4, 3)
    # The dashboard's "verified only" counts the approved firm at its verified level.
    levels = lambda q: {x["level"]: x["count"] for x in admin.call("GET", "/zone/aggregates" + q, "/zone/aggregates")  # noqa: E731
                        .get_json()["levels"]["levels"] if x["count"]}
    assert levels("") == {4: 1} and levels("?verified=1") == {3: 1}
    web = Client(app).login(world.a.zone_admin)
    csv = web.get("/zone/firms.csv?verified=1").data.decode("utf-8-sig")
    assert "核实等级" in csv.splitlines()[0] and len(csv.splitlines()) == 2


HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def test_html_and_svg_are_refused_and_files_are_always_downloads(app, world, firms):
    aid = submitted(app, world)
    firm = Client(app).login(world.a.enterprise)
    api = token(app, world.a.enterprise)
    tmpl = "/assessments/{assessment_id}/evidence"
    for data, name in ((HTML, "report.pdf"), (SVG, "photo.svg"), (HTML, "x.html"), (b"%PDX", "a.pdf")):
        r = api.call("POST", f"/assessments/{aid}/evidence", tmpl,
                     data={"question": "quality", "file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
        assert r.status_code == 415, name
    r = api.call("POST", f"/assessments/{aid}/evidence", tmpl, data={"question": "quality", "file": (
        io.BytesIO(png_bytes()), '../../<img src=x onerror=alert(1)>.html')}, content_type="multipart/form-data")
    assert r.status_code == 201
    e = r.get_json()
    assert e["media_type"] == "image/png" and e["filename"].endswith(".png") and "/" not in e["filename"]
    assert "<" not in e["filename"]
    r = firm.get(f"/assessments/{aid}/evidence/{e['id']}")
    assert r.status_code == 200 and r.data == png_bytes()
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in r.headers["Content-Security-Policy"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 1
    big = png_bytes() + b"\0" * (app.config.get("EVIDENCE_MAX_BYTES", 5 * 1024 * 1024))
    r = api.call("POST", f"/assessments/{aid}/evidence", tmpl, data={"question": "quality", "file": (
        io.BytesIO(big), "big.png")}, content_type="multipart/form-data")
    assert r.status_code == 413


def test_backup_and_restore_carry_the_evidence_files(tmp_path):
    from diagnosis import create_app
    from diagnosis.cli import main
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'live.sqlite'}", "SECRET_KEY": "x",
                      "EVIDENCE_DIR": str(tmp_path / "evidence")})
    runner = app.test_cli_runner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    (tmp_path / "evidence").mkdir()
    (tmp_path / "evidence" / "abc.png").write_bytes(png_bytes())
    assert runner.invoke(main, ["backup", "--out", str(tmp_path / "copy.sqlite")]).exit_code == 0
    assert (tmp_path / "copy.sqlite.evidence" / "abc.png").read_bytes() == png_bytes()
    (tmp_path / "evidence" / "abc.png").unlink()
    r = runner.invoke(main, ["restore", str(tmp_path / "copy.sqlite"), "--yes"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "evidence" / "abc.png").read_bytes() == png_bytes()


def _user(email):
    return db.session.scalar(sa.select(User).where(User.email == email))


def _firm_with_submission(zone_id: int, n: int, size: str, best: bool = True) -> int:
    """A firm of the zone with a submitted assessment; returns the assessment id."""
    from diagnosis.assessments import service
    from diagnosis.demo import demo_uscc
    from diagnosis.models import Company
    c = Company(zone_id=zone_id, name=f"抽样企业{n}", uscc=demo_uscc(500 + n), industry_section="C",
                industry_division="34", employees=50, revenue=1000.0, size_class=size)
    db.session.add(c)
    db.session.flush()
    a = service.start(c.id, "sme-digital", None)
    service.save_answers(a, extreme_answers(sme(), best=best), None)
    service.submit(a)
    db.session.commit()
    return a.id


def test_a_sample_draw_is_reproducible_from_its_seed_and_a_mismatch_reopens(app, world, firms):
    from diagnosis.zone import sampling
    with app.test_request_context():
        ids = [_firm_with_submission(world.a.zone, n, "small" if n % 3 else "medium") for n in range(12)]
        admin = _user(world.a.zone_admin)
        rule = {"instrument": "sme-digital", "stratum": "size", "share": "0.25"}
        d1 = sampling.draw(admin, rule, seed="20261123")
        d2 = sampling.draw(admin, rule, seed=20261123)
        assert d1.drawn == d2.drawn and set(d1.drawn) <= set(ids)
        # ceil(25%) of each stratum: 8 small -> 2, 4 medium -> 1
        assert len(d1.drawn) == 3 and sorted(len(v) for v in d1.population.values()) == [4, 8]
        assert sampling.redraw(d1.population, d1.rule, d1.seed) == d1.drawn
        assert sampling.draw(admin, {**rule, "share": None, "count": 2}, seed=1).drawn.__len__() == 4
        with pytest.raises(Exception) as e:
            sampling.draw(admin, {**rule, "share": "1.5"})
        assert e.value.status == 422
        checks = {c.assessment_id: c for c, _company in sampling.checks(d1)}
        first, second = d1.drawn[:2]
        with pytest.raises(Exception) as e:  # an over-long finding is refused whole, never cut
            sampling.record_outcome(admin, d1.id, checks[second].id, "mismatch", "现" * 2001)
        assert e.value.status == 422 and e.value.code == "bad_text"
        db.session.rollback()
        assert db.session.get(SampleCheck, checks[second].id).outcome == "pending"
        sampling.record_outcome(admin, d1.id, checks[first].id, "match", "")
        assert db.session.get(Assessment, first).review_state == "submitted"
        sampling.record_outcome(admin, d1.id, checks[second].id, "mismatch", "现场设备与填报不符")
        a = db.session.get(Assessment, second)
        assert a.review_state == "verifying"
        ev = db.session.scalars(sa.select(ReviewEvent).where(ReviewEvent.assessment_id == second)).all()
        assert [e.action for e in ev] == ["sample_mismatch"] and ev[0].text == "现场设备与填报不符"
        with pytest.raises(Exception) as e:
            sampling.record_outcome(admin, d1.id, checks[second].id, "match", "")
        assert e.value.status == 409
    web = Client(app).login(world.a.zone_admin)
    assert "用记录的种子和总体重新抽样，结果相同" in web.get(f"/zone/samples/{d1.id}").text
    assert Client(app).login("c1@example.com").get("/zone/samples").status_code == 403


def test_provider_scores_on_a_hand_computed_example(app, world, firms):
    from diagnosis.assessments import review
    from diagnosis.providers import scores
    from diagnosis.zone import sampling
    with app.test_request_context():
        admin, c1, lead = _user(world.a.zone_admin), _user("c1@example.com"), _user("lead1@example.com")
        firm_user = _user(world.a.enterprise)
        a1 = _firm_with_submission(world.a.zone, 1, "small")
        a2 = _firm_with_submission(world.a.zone, 2, "small")
        a3 = _firm_with_submission(world.a.zone, 3, "small")  # given to P1 but never sent for review
        codes = db.session.execute(sa.text("SELECT c.uscc FROM companies c JOIN assessments a ON a.company_id = c.id "
                                           "WHERE a.id IN (:x, :y, :z)"), {"x": a1, "y": a2, "z": a3}).scalars().all()
        providers.assign_firms(admin, firms.p1, codes)
        for aid in (a1, a2, a3):
            providers.assign_consultant(lead, firms.p1, c1.id, db.session.get(Assessment, aid).company_id)
            a = db.session.get(Assessment, aid)
            a.pledge_version, a.pledged_at = "2026-11", a.submitted_at
        db.session.commit()
        for aid in (a1, a2):
            review.start_verification(c1, aid)
            review.verify(c1, aid, "quality", "confirmed")
            review.send_for_review(c1, aid)
        review.review_return(admin, a1, "请补充")           # a1 returned once
        ev = review.unanswered(db.session.get(Assessment, a1))[0]
        review.reply(c1, a1, ev.id, "已补充")
        review.send_for_review(c1, a1)
        for aid in (a1, a2):
            review.decide(admin, aid, "approve")
        # Ratings 4 and 2 by the firms' users.
        for aid, stars in ((a1, 4), (a2, 2)):
            u = User(email=f"rater{aid}@example.com", name="r", role="enterprise", zone_id=world.a.zone,
                     company_id=db.session.get(Assessment, aid).company_id)
            u.set_password(PASSWORD)
            db.session.add(u)
            db.session.commit()
            scores.rate(u, aid, stars, "好")
        with pytest.raises(Exception) as e:
            scores.rate(firm_user, a1, 5, "")  # not this firm's assessment
        assert e.value.status == 404
        d = sampling.draw(admin, {"instrument": "sme-digital", "stratum": "", "share": "1", "states": ["approved"]}, seed=7)
        check = next(c for c, _company in sampling.checks(d) if c.assessment_id == a2)
        sampling.record_outcome(admin, d.id, check.id, "mismatch", "不符")
        p1 = db.session.get(__import__("diagnosis.models", fromlist=["Provider"]).Provider, firms.p1)
        withheld = scores.provider_scores(p1)  # n below the default smallest group of 30: values withheld
        assert withheld["return_rate"] == {"value": None, "n": 2, "small": True}
        assert withheld["served"]["value"] == 2
        app.config["BENCHMARK_MIN_PEERS"] = 1
        try:
            s = scores.provider_scores(p1)
        finally:
            app.config["BENCHMARK_MIN_PEERS"] = 30
        assert s["served"]["value"] == 2                              # a1, a2 sent for review; a3 not
        assert (s["return_rate"]["value"], s["return_rate"]["n"]) == (0.5, 2)
        assert (s["mean_rating"]["value"], s["mean_rating"]["n"]) == (3.0, 2)
        assert (s["mismatch_rate"]["value"], s["mismatch_rate"]["n"]) == (1.0, 1)
        assert s["level_change"] == {"value": None, "n": 0, "small": True}  # nobody re-assessed yet
        assert s["on_time"] == {"value": None, "n": 0, "small": True}  # on no programme: no deadline
    web = Client(app).login(world.a.zone_admin)
    csv = web.get("/providers/scores.csv").data.decode("utf-8-sig").splitlines()
    assert len(csv) == 3 and "退回率" in csv[0]


def test_reopening_makes_a_linked_revision_and_keeps_the_old_result(app, world, firms):
    aid = submitted(app, world)
    c1, firm = token(app, "c1@example.com"), token(app, world.a.enterprise)
    t = "/assessments/{assessment_id}/reopen"
    assert firm.call("POST", f"/assessments/{aid}/reopen", t, json={"text": "更正"}).status_code == 403
    assert c1.call("POST", f"/assessments/{aid}/reopen", t, json={}).status_code == 422
    r = c1.call("POST", f"/assessments/{aid}/reopen", t, json={"text": "企业填错了员工数"})
    assert r.status_code == 201
    new = r.get_json()
    assert new["revision_of"] == aid and new["status"] == "draft" and new["answers"]
    assert c1.call("POST", f"/assessments/{aid}/reopen", t, json={"text": "again"}).get_json()["id"] == new["id"]
    with app.app_context():
        old = db.session.get(Assessment, aid)
        assert old.result is not None and old.status == "submitted"
        assert db.session.get(Assessment, new["id"]).answer_dict() == old.answer_dict()
    page = Client(app).login("c1@example.com").get(f"/assessments/{aid}/verification").text
    assert f"#{new['id']}" in page


def test_the_demo_has_providers_every_review_state_evidence_a_sample_and_ratings(tmp_path):
    from diagnosis import create_app
    from diagnosis.cli import main
    from diagnosis.models import Provider, Rating, SampleDraw
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'demo.sqlite'}", "SECRET_KEY": "x",
                      "EVIDENCE_DIR": str(tmp_path / "evidence")})
    runner = app.test_cli_runner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    r = runner.invoke(main, ["demo", "--firms", "40"])
    assert r.exit_code == 0, r.output
    with app.app_context():
        states = set(db.session.scalars(sa.select(Assessment.review_state).distinct()))
        assert {"submitted", "verifying", "in_review", "returned", "approved", "rejected"} <= states
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Provider)) == 2
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) >= 10
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Rating)) >= 4
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SampleDraw)) == 1
    assert len(list((tmp_path / "evidence").iterdir())) >= 10


def test_notes_on_questions_by_the_firm_and_its_consultant_only(app, world, firms):
    aid = submitted(app, world)
    t = "/assessments/{assessment_id}/notes"
    firm, c1, c2, admin = (token(app, e) for e in (world.a.enterprise, "c1@example.com", "c2@example.com",
                                                   world.a.zone_admin))
    r = firm.call("POST", f"/assessments/{aid}/notes", t, json={"question": "quality", "text": "质检记录在纸质台账上"})
    assert r.status_code == 201 and r.get_json()["notes"][0]["text"] == "质检记录在纸质台账上"
    assert c1.call("POST", f"/assessments/{aid}/notes", t, json={"question": "quality", "text": "已看到台账"}).status_code == 201
    assert c2.call("POST", f"/assessments/{aid}/notes", t, json={"question": "quality", "text": "x"}).status_code == 404
    assert admin.call("POST", f"/assessments/{aid}/notes", t, json={"question": "quality", "text": "x"}).status_code == 403
    assert firm.call("POST", f"/assessments/{aid}/notes", t, json={"question": "nope", "text": "x"}).status_code == 422
    page = Client(app).login("c1@example.com").get(f"/assessments/{aid}/verification").text
    assert "质检记录在纸质台账上" in page and "已看到台账" in page
