"""Every page and every report, in Chinese and in English, for every role: no error, and no
full-width punctuation in English text (user data aside).

The firm has two assessments of each instrument (history), a second firm gives it peers, and the
consultant has written comments (finalised on one, a draft on another), so every part of a
result and a report is drawn: peers, progress, path, comments, references.
"""
from __future__ import annotations

import html as htmllib
import io
import json
import re

import numpy as np
import pypdf
import pytest
import sqlalchemy as sa

import questionnaires
from diagnosis.extensions import db
from diagnosis.models import Assessment, ReportBatch, User
from questionnaires.synthetic import answer_sets

from .helpers import extreme_answers

INSTRUMENTS = ("sme-digital", "smart-manufacturing", "cloud-adoption")
# CJK symbols and punctuation (、。《》「」【】) and full-width forms (，：；（）！？％).
FULL_WIDTH = re.compile(r"[\u3000-\u303f\uff00-\uffef]")
COMMENTS = "第一段：刀具寿命管理值得先做。\r\n\r\n第二段：数据采集要跟上，先做二号车间。"
# An official document number is a proper name and keeps its brackets in any language: 工信厅企业〔2024〕56号.
DOCUMENT_NUMBER = re.compile(r"[\u4e00-\u9fff]*〔\d{4}〕\s*\d+\s*号")
USER_TEXT = (COMMENTS, "第一段：刀具寿命管理值得先做。", "第二段：数据采集要跟上，先做二号车间。")


@pytest.fixture
def history(app, world, client):
    """Two assessments per instrument for firm A, one for a peer, comments on two results. Zone A's
    users read mail and notifications in English, so those stored messages are checked too."""
    with app.app_context():
        db.session.execute(sa.update(User).where(User.zone_id == world.a.zone).values(lang="en"))
        db.session.commit()
    firm, peer, consultant = (client().login(world.a.enterprise), client().login(world.a.other_enterprise),
                              client().login(world.a.consultant))
    ids = {}
    for k, inst_id in enumerate(INSTRUMENTS):
        inst = questionnaires.get(inst_id)
        peer.submit(answer_sets(inst, 1, np.random.default_rng(21 + k))[0], inst_id)  # first, to be a peer
        firm.submit(extreme_answers(inst, best=False), inst_id)
        ids[inst_id] = firm.submit(answer_sets(inst, 1, np.random.default_rng(11 + k))[0], inst_id)
    consultant.post_form(f"/assessments/{ids['sme-digital']}/comments",
                         {"comments": COMMENTS, "finalise": "1", "confirm": "yes"})
    consultant.post_form(f"/assessments/{ids['cloud-adoption']}/comments", {"comments": COMMENTS, "save": "1"})
    draft = firm.start("sme-digital")
    review_ids = _review(app, world, ids["sme-digital"])
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.email == world.a.zone_admin))
        batch = ReportBatch(created_by_id=admin.id, zone_id=admin.zone_id, filters={"instrument": "sme-digital"},
                            status="done")
        db.session.add(batch)
        # A running programme with firm A on its roster and a target, so its pages are walked too.
        from datetime import date

        from diagnosis import areas
        from diagnosis.models import Company, Programme, RosterEntry, Target
        from diagnosis.programmes.links import token, token_hash
        firm_a = db.session.get(Company, world.a.firm)
        area = areas.of_zone(world.a.zone)
        programme = Programme(area_id=area.id, zone_id=world.a.zone, name="2026年规上企业诊断", instrument_id="sme-digital",
                              starts_on=date(2020, 1, 1), ends_on=date(2099, 1, 1), reminder_days=7, reminder_cap=3,
                              quotas={"东区": 2}, status="running", created_by_id=admin.id)
        db.session.add(programme)
        db.session.flush()
        db.session.add(RosterEntry(programme_id=programme.id, uscc=firm_a.uscc, name=firm_a.name, industry_division="34",
                                   size_class="small", above_scale=True, company_id=firm_a.id, sub_zone="东区",
                                   token_hash=token_hash(programme.id, firm_a.uscc), reminders_sent=0))
        for indicator, level in (("coverage", None), ("share_at_level", 2)):
            db.session.add(Target(area_id=area.id, programme_id=programme.id, name="名单企业诊断覆盖", indicator=indicator,
                                  instrument_id="sme-digital", min_level=level, above_scale_only=False, base_year=2025,
                                  base_value=0, target_year=2027, target_value=90, nature="binding",
                                  source="园区2026年工作要点", is_demo=indicator == "coverage"))
        # Plan items in every state, one from a recommendation (bilingual), so the plan pages and the report's
        # plan table are drawn.
        from diagnosis.models import PlanItem
        for k, status in enumerate(("planned", "in_progress", "done", "dropped")):
            db.session.add(PlanItem(company_id=world.a.firm, assessment_id=ids["sme-digital"], instrument_id="sme-digital",
                                    title={"zh": "建设MES系统", "en": "Build an MES"}, indicators=["quality"],
                                    owner="企业用户", due_date=date(2026, 1 + k, 1), budget_band="10-50", status=status,
                                    drop_reason="预算调整" if status == "dropped" else None,
                                    project_name="MES一期" if status == "done" else None))
        db.session.commit()
        assessments = db.session.scalars(sa.select(Assessment.id).where(Assessment.company_id == world.a.firm)).all()
        return {"results": ids, "assessments": assessments, "draft": draft, "batch": batch.id,
                "programme_id": programme.id, "token": token(programme.id, firm_a.uscc), **review_ids}


def _review(app, world, aid: int) -> dict:
    """The consultant leads a provider that serves firm A, verifies one answer with a photo, the zone returns
    it with a comment on that question, the firm adds a note; a sample is drawn: the review pages, the
    provider pages and the report's verification part and evidence annex all have something to show."""
    from diagnosis.assessments import review
    from diagnosis.demo import demo_uscc
    from diagnosis.models import Company, Evidence
    from diagnosis.providers import service as providers
    from diagnosis.zone import sampling

    from .test_providers_review import png_bytes, worst
    with app.test_request_context():
        def user(email):
            return db.session.scalar(sa.select(User).where(User.email == email))
        admin, lead, firm_user = user(world.a.zone_admin), user(world.a.consultant), user(world.a.enterprise)
        p = providers.create(admin, "甲诊断服务有限公司", demo_uscc(950), "张三 0510")
        providers.add_member(admin, p.id, world.a.consultant, lead=True)
        providers.assign_firms(admin, p.id, list(db.session.scalars(sa.select(Company.uscc).where(
            Company.zone_id == world.a.zone))))
        review.pledge(firm_user, aid, True)
        review.start_verification(lead, aid)
        review.verify_with_evidence(lead, aid, "quality", "corrected", worst("quality"), "现场核实",
                                    ("现场照片.png", png_bytes()))
        review.send_for_review(lead, aid)
        review.review_return(admin, aid, "请补充", [{"question": "quality", "text": "依据是什么"}])
        review.add_note(firm_user, aid, "quality", "纸质台账")
        d = sampling.draw(admin, {"instrument": "sme-digital"}, seed=1)
        return {"provider_id": p.id, "draw_id": d.id, "evidence_id": db.session.scalar(sa.select(Evidence.id))}


def _urls(app, history, world) -> list[str]:
    values = {"company_id": world.a.firm, "batch_id": history["batch"], "n": 1, "instrument_id": "sme-digital",
              "fmt": "csv", "filename": "report.css", "code": "zh", "programme_id": history["programme_id"],
              "token": history["token"], "provider_id": history["provider_id"], "draw_id": history["draw_id"],
              "evidence_id": history["evidence_id"], "item_id": 1, "rule_id": "excellent-smart-factory"}
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static", "main.set_language") or rule.endpoint.startswith("api."):
            continue
        if rule.endpoint == "zone.data":
            urls += [f"/zone/data/{p}.json?instrument={i}" for p in ("overview", "levels", "dimensions", "heatmap",
                                                                    "trend", "closest", "stalled") for i in INSTRUMENTS]
            continue
        ids = history["assessments"] + [history["draft"]] if "assessment_id" in rule.arguments else [None]
        for aid in ids:
            url = rule.rule
            for arg in rule.arguments:
                value = aid if arg == "assessment_id" else values[arg]
                url = re.sub(rf"<(?:[a-z]+:)?{arg}>", str(value), url)
            urls.append(url)
    urls += ["/zone/assignments?unassigned=1&q=%E5%8F%B7"]  # the firm search, with its results
    urls += [f"/zone/{page}?instrument={i}" for i in INSTRUMENTS for page in ("", "conversion")] + [f"/zone/report.pdf?lang={lang}" for lang in ("zh", "en")]
    return urls


def _text(resp) -> str:
    kind = resp.headers.get("Content-Type", "")
    if kind.startswith("application/pdf"):
        return "".join(p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(resp.data)).pages)
    if kind.startswith("application/json"):
        return " ".join(_strings(json.loads(resp.data)))
    if kind.startswith("text/html"):
        body = re.sub(r"<(script|style)\b.*?</\1>", " ", resp.text, flags=re.S)
        return htmllib.unescape(re.sub(r"<[^>]+>", " ", body))
    if kind.startswith("text/csv"):
        return resp.text
    return ""


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            if k != "zh":  # a bilingual text carries its Chinese too; the page picks one
                yield from _strings(k)
                yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_every_page_and_report_renders_in_both_languages(app, world, client, history):
    problems = []
    urls = _urls(app, history, world)
    for role in ("enterprise", "consultant", "zone_admin"):
        c = client().login(getattr(world.a, role))
        for lang in ("zh", "en"):
            c.get(f"/lang/{lang}")
            for url in urls:
                r = c.get(url)
                if r.status_code >= 500:
                    problems.append(f"{role} {lang} {url}: {r.status_code}")
                    continue
                if r.status_code != 200 or lang != "en" or "lang=zh" in url:
                    continue
                text = _text(r)
                for user_text in USER_TEXT:
                    text = text.replace(user_text, "")
                text = DOCUMENT_NUMBER.sub("", text)
                # PDF text extraction drops line breaks; a line of user text never holds punctuation here.
                marks = sorted({m.group(0) for m in FULL_WIDTH.finditer(text)})
                if marks:
                    at = FULL_WIDTH.search(text).start()
                    problems.append(f"{role} en {url}: {''.join(marks)} in ...{text[max(0, at - 60):at + 20]!r}")
    assert not problems, "\n".join(problems)


def test_the_walk_covers_results_previews_pdfs_and_zone_reports(app, world, client, history):
    """The walk above is only worth something if it reaches the pages that matter, drawn whole:
    peers, progress against the previous assessment, the path to the next level, comments."""
    urls = _urls(app, history, world)
    consultant = client().login(world.a.consultant)
    for inst_id, aid in history["results"].items():
        page = consultant.get(f"/assessments/{aid}/result").text
        assert "同类前25%" in page and "与上次评估相比" in page, inst_id
        report = consultant.get(f"/assessments/{aid}/report").text
        assert "同类前25%" in report and "与上次评估相比" in report, inst_id
    assert "第二段" in consultant.get(f"/assessments/{history['results']['sme-digital']}/report").text
    for aid in history["results"].values():
        for suffix in ("result", "report", "report.pdf", "comments"):
            assert f"/assessments/{aid}/{suffix}" in urls
    assert "/zone/report.pdf?lang=en" in urls and "/zone/data/heatmap.json?instrument=cloud-adoption" in urls
    sme = history["results"]["sme-digital"]
    assert f"/assessments/{sme}/verification" in urls and f"/providers/{history['provider_id']}" in urls
    assert "附件：佐证材料" in consultant.get(f"/assessments/{sme}/report").text
