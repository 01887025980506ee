"""A zone administrator runs a programme in the browser: imports a roster, launches it, sees the
invitations in the outbox, sets a target, and watches a roster firm's status move as it answers."""
from __future__ import annotations

import re
from datetime import date, timedelta

from diagnosis.demo import demo_uscc

from ..conftest import Client
from ..helpers import extreme_answers, sme
from ..test_programmes import roster_rows, xlsx
from .conftest import DESKTOP, login, shot


def _status(page, uscc: str) -> str:
    return page.locator(f"tr[data-uscc='{uscc}'] td.status").inner_text().strip()


def test_zone_admin_runs_a_programme(app, world, new_page, tmp_path):
    roster = tmp_path / "名单.xlsx"
    roster.write_bytes(xlsx(roster_rows(3) + [[demo_uscc(1), "A号精密机械有限公司", "34", "小型", "是", "王经理",
                                                "13800000001", "firm-a@example.com", "东区"]]))
    page = new_page(DESKTOP)
    login(page, world.a.zone_admin)
    page.click("nav >> text=项目与企业")  # staff pages sit in groups of the navigation bar
    page.click("nav >> text=诊断项目")
    page.fill("#name", "2026年规上企业诊断")
    page.fill("#starts_on", (date.today() - timedelta(days=1)).isoformat())
    page.fill("#ends_on", (date.today() + timedelta(days=90)).isoformat())
    page.select_option("#instrument", "sme-digital")
    page.fill("#quotas", "东区=2; 西区=1")
    page.click("text=建立项目")
    page.wait_for_url(re.compile(r"/programmes/\d+$"))
    url = page.url
    page.set_input_files("#file", str(roster))
    page.click("text=检查并导入")
    page.wait_for_url(url)
    assert "已导入 4 家企业，其中 1 家已在平台注册" in page.inner_text("main")
    assert _status(page, demo_uscc(1)) == "未邀请"
    page.click("#launch")
    page.wait_for_url(url)
    assert "发出 4 封邀请" in page.inner_text("main")
    assert _status(page, demo_uscc(1)) == "已邀请"
    # The invitations are in the outbox (held: no mail server in this test), each with its personal link.
    page.goto("/zone/outbox")
    assert page.locator("summary", has_text="邀请参加2026年规上企业诊断").count() == 4
    body = page.locator("details", has_text="firm-a@example.com").locator("pre").text_content()
    link = re.search(r"(/programmes/join/\S+)", body).group(1)
    # A target, as the plan states it.
    page.goto(url)
    page.click("summary:has-text('设定目标')")
    page.fill("#t-name", "名单企业诊断覆盖")
    page.select_option("#t-indicator", "coverage")
    page.fill("#t-base-year", "2025")
    page.fill("#t-base-value", "0")
    page.fill("#t-target-year", "2026")
    page.fill("#t-target-value", "100")
    page.select_option("#t-nature", "binding")
    page.fill("#t-source", "园区2026年工作要点")
    page.click("text=保存目标")
    page.wait_for_url(url)
    row = page.locator("tr[data-target]", has_text="名单企业诊断覆盖")
    assert row.locator("td.current").inner_text().startswith("0")
    # The firm follows its link in its own browser: straight into the programme's assessment.
    firm = new_page(DESKTOP)
    login(firm, world.a.enterprise)
    firm.goto(link)
    firm.wait_for_url(re.compile(r"/assessments/\d+/page/1"))
    aid = int(re.search(r"/assessments/(\d+)/", firm.url).group(1))
    page.reload()
    assert _status(page, demo_uscc(1)) == "已开始"
    # It answers and submits; the roster shows it, and the target moves to one firm in four.
    answers = Client(app).login(world.a.enterprise)
    saved = answers.autosave(aid, extreme_answers(sme(), True))
    assert saved.status_code == 200, saved.text[:500]
    assert answers.post_form(f"/assessments/{aid}/review", {"pledge": "yes"}).status_code == 302
    page.reload()
    assert _status(page, demo_uscc(1)) == "已提交"
    assert page.locator("tr[data-target]", has_text="名单企业诊断覆盖").locator("td.current").inner_text().startswith("25")
    shot(page, "programme-1280")
    assert not page.errors, page.errors
