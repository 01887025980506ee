"""A firm on a phone (375 px) re-assesses from last year's answers: the new round starts prefilled, it changes
two answers, confirms the rest page by page (the buttons work as plain form posts), reviews what changed,
submits, and sees what moved since the last assessment and which plan items were done."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

import questionnaires
from diagnosis.assessments import service
from diagnosis.extensions import db
from diagnosis.models import Assessment, PlanItem

from ..helpers import extreme_answers, sme
from .conftest import PHONE, axe_violations, login, shot
from .test_journeys import wait_saved


def test_a_firm_reassesses_from_last_years_answers_on_a_phone(app, world, new_page):
    inst = sme()
    with app.test_request_context():
        t0 = service.start(world.a.firm, "sme-digital", None)
        service.save_answers(t0, extreme_answers(inst, best=False), None)
        db.session.flush()
        service.submit(t0)
        t0.submitted_at = t0.submitted_at - timedelta(days=365)
        db.session.add(PlanItem(company_id=world.a.firm, assessment_id=t0.id, title={"zh": "上线ERP系统", "en": "Go live with ERP"},
                                indicators=[], status="done", done_at=t0.submitted_at + timedelta(days=100)))
        # A smart-manufacturing self-assessment at its top level: the result names the programmes it opens.
        sm = service.start(world.a.firm, "smart-manufacturing", None)
        service.save_answers(sm, extreme_answers(questionnaires.get("smart-manufacturing"), best=True), None)
        db.session.flush()
        service.submit(sm)
        db.session.commit()
        t0_id = t0.id

    page = new_page(PHONE, bypass_csp=True)
    login(page, world.a.enterprise)
    form = page.locator("form", has=page.locator("input[name=instrument][value=sme-digital]"))
    assert form.locator("input[name=prefill]").is_checked()
    form.get_by_role("button").click()
    page.wait_for_url("**/page/**")
    page.goto(page.url.split("/page/")[0] + "/page/1")
    assert page.locator(".carried").count() > 0 and page.locator("#carried-summary").is_visible()
    shot(page, "reassess-carried-375-zh")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1, "the page scrolls sideways at 375 px"
    assert axe_violations(page) == []

    # Change two answers: their marks go as soon as they are saved.
    q = page.locator(".question[data-type=single]:visible").first
    radios = q.locator("input[type=radio]")
    radios.nth(radios.count() - 1).check()
    wait_saved(page)
    number = page.locator(".question[data-type=number]:visible").first
    number.locator("input").fill("55")
    number.locator("input").dispatch_event("change")
    page.locator("#save-status[data-state=saving]").wait_for(state="detached", timeout=10000)
    wait_saved(page)
    changed = [q.get_attribute("data-qid"), number.get_attribute("data-qid")]
    for qid in changed:
        page.locator(f"#q-{qid} .carried").wait_for(state="hidden")

    # Confirm the rest, page by page.
    pages = len(inst.dimensions)
    aid = int(page.url.split("/assessments/")[1].split("/")[0])
    for n in range(1, pages + 1):
        page.goto(f"/assessments/{aid}/page/{n}")
        if page.locator("#carried-summary").count():
            page.get_by_role("button", name="确认本页全部沿用的答案").click()
            page.wait_for_load_state()
            assert page.locator(".carried:visible").count() == 0

    page.goto(f"/assessments/{aid}/review")
    review = page.locator("#carried-review")
    assert review.locator("tbody tr").count() == 2
    shot(page, "reassess-review-375-zh")
    page.check("input[name=pledge]")
    page.get_by_role("button", name="提交评估").click()
    page.wait_for_url(f"**/assessments/{aid}/result")
    moved = page.locator(".plan-done")
    assert "上线ERP系统" in moved.inner_text()
    assert page.get_by_text("与上次评估相比").count() >= 1
    eligible = page.locator("#eligible").inner_text()
    assert "卓越级智能工厂" in eligible and "江苏省先进级智能工厂" in eligible
    shot(page, "reassess-result-375-zh")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    with app.app_context():
        a = db.session.get(Assessment, aid)
        assert a.status == "submitted" and a.carried_from_id == t0_id
        assert sorted(q for q, _was, _now in service.carried_review(a).changed) == sorted(changed)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanItem)) == 1
