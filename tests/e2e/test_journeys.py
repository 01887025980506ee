"""The whole journey in a real browser, on a phone-sized screen and on a desktop."""
from __future__ import annotations

import re

import numpy as np
import sqlalchemy as sa
from playwright.sync_api import expect
from pypdf import PdfReader

from diagnosis.demo import demo_uscc
from diagnosis.extensions import db
from diagnosis.models import Assessment, Company

from .conftest import DESKTOP, PHONE, axe_violations, login, shot


def answer_visible_questions(page) -> int:
    """Give the most mature answer to every question shown on the page; returns how many."""
    n = 0
    for q in page.locator(".question:visible").all():
        kind = q.get_attribute("data-type")
        if kind == "multi":
            boxes = q.locator("input[type=checkbox]")
            boxes.nth(boxes.count() - 1).check()
        elif kind in ("single", "level", "yesno"):
            radios = q.locator("input[type=radio]")
            target = radios.nth(0) if kind == "yesno" else radios.nth(radios.count() - 1)
            target.check()
        elif kind == "number":
            field = q.locator("input")
            field.fill(field.get_attribute("max") or "60")
            field.dispatch_event("change")
        else:
            q.locator("textarea, input").first.fill("ERP、MES、PLM")
            q.locator("textarea, input").first.dispatch_event("change")
        n += 1
    return n


def wait_saved(page):
    page.locator("#save-status[data-state=saved]", has_text="已保存").wait_for(timeout=10000)


def test_enterprise_journey_on_a_phone(app, world, new_page, tmp_path):
    page = new_page(PHONE)
    # Register with the zone's invitation code.
    page.goto("/auth/register")
    shot(page, "register-375")
    page.fill("input[name=invite_code]", world.a.invite)
    page.fill("input[name=name]", "陈经理")
    page.fill("input[name=email]", "chen@example.com")
    page.fill("input[name=password]", "Factory-2026-ok")
    page.fill("input[name=confirm]", "Factory-2026-ok")
    page.check("input[name=privacy]")
    page.click("main button[type=submit]")
    # Registration answers alike for a new and a taken address (nothing to probe): then one logs in.
    page.wait_for_url("**/auth/login")
    page.fill("input[name=email]", "chen@example.com")
    page.fill("input[name=password]", "Factory-2026-ok")
    page.click("main button[type=submit]")
    page.wait_for_url("**/home")
    page.goto("/company/profile")
    # The profile: a wrong credit code is explained, a right one accepted.
    page.fill("input[name=name]", "常州新锐五金有限公司")
    page.fill("input[name=uscc]", "91320214MA1XXXXX0X")
    page.select_option("select[name=industry_division]", "33")
    page.fill("input[name=employees]", "85")
    page.fill("input[name=revenue]", "6200")
    page.click("main button[type=submit]")
    # Wait for the answer to the submit (is_visible does not wait; first in a cold run the page is slow).
    page.locator(".error, .errors").first.wait_for(state="visible", timeout=10000)
    assert page.locator(".error, .errors").first.is_visible()
    page.fill("input[name=uscc]", demo_uscc(4242))
    page.click("main button[type=submit]")
    page.wait_for_url("**/home")
    shot(page, "home-375")

    # Start the SME instrument and answer part of it.
    page.locator("form:has(input[value=sme-digital]) button").click()
    page.wait_for_url(re.compile(r"/assessments/\d+/page/1"))
    aid = int(re.search(r"/assessments/(\d+)/", page.url).group(1))
    assert page.locator("#progress-bar").is_visible()
    # show_if: the list of systems appears only when the firm has some.
    listed = page.locator("#q-systems_list")
    page.locator("#q-systems_coverage input[value=none]").check()
    assert listed.is_hidden()
    page.locator("#q-systems_coverage input[type=radio]").last.check()
    assert listed.is_visible()
    wait_saved(page)  # the visible "saved" state
    answer_visible_questions(page)
    wait_saved(page)
    shot(page, "questionnaire-375")
    violations = axe_violations_in(page)
    assert not violations, violations
    page.locator("button[value=next]").click()
    page.wait_for_url(re.compile(r"/page/2"))
    first = page.locator(".question:visible").first
    first_id = first.get_attribute("data-qid")
    first.locator("input").first.check()
    wait_saved(page)
    # Close the tab midway and come back in a new browser session.
    page.context.close()
    page = new_page(PHONE)
    login(page, "chen@example.com", "Factory-2026-ok")
    page.goto(f"/assessments/{aid}")
    page.wait_for_url(re.compile(r"/page/2"))
    assert page.locator(f"#q-{first_id} input").first.is_checked()

    # Finish every page, review and submit.
    while True:
        answer_visible_questions(page)
        if page.locator("button[value=next]").count():
            page.locator("button[value=next]").click()
            page.wait_for_load_state()
            continue
        page.locator("button[value=review]").click()
        break
    page.wait_for_url(re.compile(r"/review"))
    shot(page, "review-375")
    page.locator("form button.primary").click()  # refused by the form itself: the pledge is not ticked
    assert "/review" in page.url
    page.locator("input[name=pledge]").check()
    page.locator("form button.primary").click()
    page.wait_for_url(re.compile(r"/result"))
    assert "诊断结果" in page.content()
    shot(page, "result-375")
    assert not axe_violations_in(page)
    with page.expect_download() as dl:
        page.locator("a[href$='report.pdf']").click()
    pdf = PdfReader(dl.value.path())
    assert "常州新锐五金有限公司" in "".join(p.extract_text() for p in pdf.pages[:2])
    assert not page.errors, page.errors
    with app.app_context():
        assert db.session.get(Assessment, aid).status == "submitted"


def axe_violations_in(page):
    """axe needs its script in the page; the app's CSP forbids that, so read the same URL in a CSP-less context."""
    ctx = page.context.browser.new_context(viewport=page.viewport_size, bypass_csp=True,
                                           storage_state=page.context.storage_state(), base_url=page.url)
    try:
        p = ctx.new_page()
        p.goto(page.url)
        return axe_violations(p)
    finally:
        ctx.close()


def _submitted_zone(app, world, n=30):
    """Zone A with firms that have results, for the dashboard."""
    from diagnosis.demo import submit_synthetic
    from diagnosis.models import utcnow
    with app.app_context():
        firms = [Company(zone_id=world.a.zone, name=f"示例{i}号机械有限公司", uscc=demo_uscc(5000 + i), industry_section="C",
                         industry_division=["34", "39", "33"][i % 3], employees=50 + i, revenue=3000.0,
                         size_class=["small", "medium", "micro"][i % 3], sub_zone=["东区", "西区"][i % 2]) for i in range(n)]
        db.session.add_all(firms)
        db.session.flush()
        rng = np.random.default_rng(3)
        submit_synthetic("sme-digital", firms, rng.uniform(0.1, 0.7, n), rng, utcnow(), days=(1, 400))
        firm = db.session.get(Company, world.a.firm)
        submit_synthetic("sme-digital", [firm], np.array([0.3]), rng, utcnow(), days=(1, 2))
        db.session.commit()
        return db.session.scalar(sa.select(Assessment.id).where(Assessment.company_id == world.a.firm))


def test_consultant_comments_and_finalises(app, world, new_page):
    aid = _submitted_zone(app, world, n=5)
    page = new_page(DESKTOP)
    login(page, world.a.consultant)
    page.goto("/workspace/")
    shot(page, "workspace-1280")
    page.locator(f"a[href='/assessments/{aid}/comments']").click()
    page.fill("textarea[name=comments]", "设备联网率偏低，建议先做数控机床联网。\n\n其次完善数据安全制度。")
    page.locator("input[name=save]").click()
    page.wait_for_url(re.compile(r"/comments"))
    page.goto(f"/assessments/{aid}/report")
    assert "草稿" in page.content()
    shot(page, "report-preview-1280")
    page.goto(f"/assessments/{aid}/comments")
    page.locator("input[name=finalise]").click()
    # 定稿 cannot be undone: the page asks once more and says so.
    assert "不能撤销" in page.locator("form.confirm").inner_text()
    shot(page, "finalise-confirm-1280")
    page.locator("form.confirm button[type=submit]").click()
    assert "已定稿" in page.content() or "定稿" in page.locator(".flash").first.inner_text()
    firm = new_page(PHONE)
    login(firm, world.a.enterprise)
    firm.goto(f"/assessments/{aid}/result")
    assert "数控机床联网" in firm.content()
    assert not page.errors and not firm.errors, (page.errors, firm.errors)


def test_zone_admin_filters_the_dashboard_and_exports(app, world, new_page):
    _submitted_zone(app, world)
    for viewport, name in ((DESKTOP, "1280"), (PHONE, "375")):
        page = new_page(viewport)
        login(page, world.a.zone_admin)
        page.goto("/zone/")
        page.select_option("select[name=industry]", "34")
        page.locator("form.filters button[type=submit]").click()
        page.wait_for_url(re.compile(r"industry=34"))
        page.wait_for_selector("#links-levels li a")
        page.wait_for_selector("#chart-heatmap svg")
        # The overview tile is filled by a request of its own: wait for it as for the charts (a busy machine lost the race).
        expect(page.locator(".tile-value[data-field=assessed]")).to_have_text(re.compile(r"^\s*\d+\s*$"), timeout=15000)
        shot(page, f"dashboard-{name}")
        assert not axe_violations_in(page)
        assert not page.errors, page.errors
    # Drill down from a level to its firms, then export what is shown.
    page.locator("#links-levels li a").first.click()
    page.wait_for_url(re.compile(r"/zone/firms\?.*level="))
    shot(page, "firms-375")
    with page.expect_download() as dl:
        page.locator("a[href*='firms.csv']").first.click()
    text = open(dl.value.path(), encoding="utf-8-sig").read()
    assert "企业名称" in text.splitlines()[0]


def test_keyboard_alone_can_answer_and_move_on(app, world, new_page):
    page = new_page(DESKTOP)
    login(page, world.a.enterprise)
    page.locator("form:has(input[value=cloud-adoption]) button").click()
    page.wait_for_url(re.compile(r"/page/1"))
    page.locator(".question input").first.focus()
    page.keyboard.press("Space")  # choose with the keyboard
    wait_saved(page)
    focusable = page.evaluate("""() => Array.from(document.querySelectorAll('a, button, input, select, textarea'))
        .filter(e => !e.disabled && e.offsetParent !== null && e.tabIndex >= 0).length""")
    assert focusable > 5
    # Every form control has a label or a fieldset legend that names it.
    unlabelled = page.evaluate("""() => Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name)""")
    assert not unlabelled, unlabelled
