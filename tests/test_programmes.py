"""Programmes: the roster import (all rows or none), invitations by mail through loopback SMTP into
the programme assessment, status per firm, capped reminders that stop on submission, targets
(progress and projection on a hand-computed example) and the 台账 export against the database."""
from __future__ import annotations

import io
import re
import time
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from diagnosis.demo import demo_uscc
from diagnosis.extensions import db
from diagnosis.models import Company, OutboxMessage, Programme, Result, RosterEntry, RosterEvent, User, utcnow
from diagnosis.programmes import targets as tg

from .conftest import PLEDGE, csrf_from
from .helpers import extreme_answers, sme
from .test_mail import _body, smtp, worker  # noqa: F401  (fixtures)

HEAD = ["统一社会信用代码", "企业名称", "行业代码", "企业规模", "规上企业", "联系人", "手机", "邮箱", "片区"]


def xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEAD)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def roster_rows(n: int, start: int = 100) -> list[list]:
    return [[demo_uscc(start + i), f"名单企业{i}", "34", "小型", "是" if i % 2 == 0 else "否", "张三", "13800000000",
             f"firm{i}@example.com", "东区" if i % 2 == 0 else "西区"] for i in range(n)]


def _create(admin, **extra) -> int:
    today = date.today()
    r = admin.post_form("/programmes/", {"name": "2026年规上企业诊断", "instrument": "sme-digital",
                                         "starts_on": (today - timedelta(days=1)).isoformat(),
                                         "ends_on": (today + timedelta(days=90)).isoformat(),
                                         "reminder_days": "7", "reminder_cap": "2", "quotas": "东区=2; 西区=1", **extra})
    assert r.status_code == 302, r.text
    return int(re.search(r"/programmes/(\d+)", r.headers["Location"]).group(1))


def _upload(admin, pid: int, data: bytes):
    page = admin.get(f"/programmes/{pid}").text
    return admin.c.post(f"/programmes/{pid}/roster", data={"file": (io.BytesIO(data), "roster.xlsx"),
                                                           "csrf_token": csrf_from(page)},
                        content_type="multipart/form-data")


def test_a_roster_with_one_bad_row_writes_nothing_and_names_the_row(app, world, client):
    admin = client().login(world.a.zone_admin)
    pid = _create(admin)
    rows = roster_rows(4)
    rows[2][0] = "91320214000000000X"  # wrong check character: spreadsheet row 4
    rows[3][3] = "巨型"                 # no such size: row 5
    r = _upload(admin, pid, xlsx(rows))
    assert r.status_code == 422
    assert "统一社会信用代码无效" in r.text and "企业规模应为" in r.text
    assert re.search(r"<td class=\"num\">4</td><td>uscc</td>", r.text) and re.search(r"<td class=\"num\">5</td><td>size</td>", r.text)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RosterEntry)) == 0
    # A firm of another zone cannot be put on the roster either.
    r = _upload(admin, pid, xlsx([[demo_uscc(2), "B号精密机械有限公司", "34", "小型", "否", "", "", "", ""]]))
    assert r.status_code == 422 and "其他地区" in r.text
    # Past 500 problems the page lists the first 500 and says that the rest follow.
    rows = roster_rows(600)
    for row in rows:
        row[3] = "巨型"
    r = _upload(admin, pid, xlsx(rows))
    assert r.status_code == 422 and "发现 600 处问题" in r.text and "下表列出前 500 处" in r.text
    assert r.text.count("<td>size</td>") == 500


def test_roster_matches_existing_firms_by_credit_code_and_rejects_a_second_import(app, world, client):
    admin = client().login(world.a.zone_admin)
    pid = _create(admin)
    rows = roster_rows(2) + [[demo_uscc(1), "A号精密机械有限公司", "34", "小型", "是", "", "", "", "东区"]]
    assert _upload(admin, pid, xlsx(rows)).status_code == 302
    with app.app_context():
        entries = db.session.scalars(sa.select(RosterEntry).order_by(RosterEntry.id)).all()
        assert len(entries) == 3 and entries[2].company_id == world.a.firm and entries[0].company_id is None
    r = _upload(admin, pid, xlsx(rows[:1]))
    assert r.status_code == 422 and "已在名单上" in r.text


def test_a_hostile_file_is_refused_before_parsing(app, world, client):
    admin = client().login(world.a.zone_admin)
    pid = _create(admin)
    r = _upload(admin, pid, b"not a spreadsheet at all")
    assert r.status_code == 422 and "XLSX" in r.text


def _wait(inbox, n):
    for _ in range(100):  # bounded wait for the worker
        if len(inbox.messages) >= n:
            return
        time.sleep(0.1)


def test_an_invited_firm_reaches_its_programme_assessment_through_the_mailed_link(app, world, client, smtp, worker):  # noqa: F811
    admin = client().login(world.a.zone_admin)
    pid = _create(admin)
    assert _upload(admin, pid, xlsx(roster_rows(2))).status_code == 302
    assert admin.post_form(f"/programmes/{pid}/launch", {}, page=f"/programmes/{pid}").status_code == 302
    _wait(smtp, 2)
    assert len(smtp.messages) == 2
    body = next(_body(m) for m in smtp.messages if m["To"] == "firm0@example.com")
    link = re.search(r"https?://\S+(/programmes/join/\S+)", body).group(1)
    assert "已邀请" in admin.get(f"/programmes/{pid}").text
    firm = client()
    page = firm.get(link)
    assert page.status_code == 200 and "名单企业0" in page.text
    weak = firm.c.post(link, data={"name": "张三", "email": "firm0@example.com", "employees": "80", "revenue": "5000",
                                   "password": "aaaaaaaaaaaa", "confirm": "aaaaaaaaaaaa", "csrf_token": csrf_from(page.text)})
    assert weak.status_code == 302 and weak.headers["Location"].endswith(link)  # back to the form, nobody registered
    with app.app_context():
        assert db.session.scalar(sa.select(User.id).where(User.email == "firm0@example.com")) is None
    unconsented = firm.c.post(link, data={"name": "张三", "email": "firm0@example.com", "employees": "80", "revenue": "5000",
                                          "password": "roster-firm-42", "confirm": "roster-firm-42",
                                          "csrf_token": csrf_from(page.text)})
    assert unconsented.status_code == 302 and unconsented.headers["Location"].endswith(link)
    r = firm.c.post(link, data={"name": "张三", "email": "firm0@example.com", "employees": "80", "revenue": "5000",
                                "password": "roster-firm-42", "confirm": "roster-firm-42", "privacy": "y",
                                "csrf_token": csrf_from(page.text)})
    # Registered, then asked to log in (as for an address that had an account); the link's next step
    # is the programme's assessment.
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"] and "next=" in r.headers["Location"]
    login_page = firm.get(r.headers["Location"])
    r = firm.c.post(r.headers["Location"], data={"email": "firm0@example.com", "password": "roster-firm-42",
                                                 "csrf_token": csrf_from(login_page.text)})
    assert r.status_code == 302 and r.headers["Location"].endswith(link)
    r = firm.c.get(link)
    assert r.status_code == 302 and re.search(r"/assessments/(\d+)/page/1", r.headers["Location"])
    aid = int(re.search(r"/assessments/(\d+)/", r.headers["Location"]).group(1))
    detail = admin.get(f"/programmes/{pid}?status=started").text
    assert demo_uscc(100) in detail
    assert firm.autosave(aid, extreme_answers(sme(), True)).status_code == 200
    assert firm.post_form(f"/assessments/{aid}/review", PLEDGE).status_code == 302
    assert demo_uscc(100) in admin.get(f"/programmes/{pid}?status=submitted").text
    # The same link later goes straight back to the firm's assessment, never to another firm's.
    assert firm.get(link).status_code == 302
    other = client().login(world.a.enterprise)
    assert other.get(link).status_code == 403
    with app.app_context():
        kinds = db.session.scalars(sa.select(RosterEvent.kind).order_by(RosterEvent.id)).all()
        assert kinds.count("invited") == 2 and "opened" in kinds


def test_reminders_follow_the_schedule_respect_the_cap_and_stop_when_the_firm_submits(app, world, client):
    from diagnosis.programmes.service import send_due_reminders
    admin = client().login(world.a.zone_admin)
    pid = _create(admin)  # every 7 days, at most 2
    rows = roster_rows(1) + [[demo_uscc(1), "A号精密机械有限公司", "34", "小型", "是", "", "", "firm-a@example.com", "东区"]]
    assert _upload(admin, pid, xlsx(rows)).status_code == 302
    admin.post_form(f"/programmes/{pid}/launch", {}, page=f"/programmes/{pid}")
    with app.app_context():
        now = utcnow()
        assert send_due_reminders(now) == 0  # invited just now: nothing due
        assert send_due_reminders(now + timedelta(days=7, minutes=1)) == 2
        assert send_due_reminders(now + timedelta(days=8)) == 0  # not yet 7 days since the reminder
    # Firm A (registered, in the roster by its code) submits its programme assessment.
    firm = client().login(world.a.enterprise)
    firm.submit(extreme_answers(sme(), False))
    with app.app_context():
        assert send_due_reminders(now + timedelta(days=15)) == 1  # only the firm that has not submitted
        assert send_due_reminders(now + timedelta(days=30)) == 0  # its cap (2) is reached
        entries = {e.uscc: e.reminders_sent for e in db.session.scalars(sa.select(RosterEntry))}
        assert entries == {demo_uscc(100): 2, demo_uscc(1): 1}
        reminders = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "programme_reminded")).all()
        assert len(reminders) == 3 and all("/programmes/join/" in m.body for m in reminders)


def test_projection_on_a_hand_computed_example():
    # 10, 20, 30 firms at the ends of 2025Q1-Q3: 10 a quarter; 2026Q4 is six quarters after 2025Q2 (mean 20).
    p = tg.project([("2025Q1", 10.0), ("2025Q2", 20.0), ("2025Q3", 30.0)], 2026)
    assert p == {"value": 80.0, "per_quarter": 10.0, "quarters": 3, "from": "2025Q1", "to": "2025Q3", "at": "2026Q4"}
    assert tg.project([("2025Q1", 10.0)], 2026) is None


def test_target_progress_counts_roster_firms_at_the_level(app, world, client):
    admin = client().login(world.a.zone_admin)
    pid = _create(admin)
    rows = [[demo_uscc(1), "A号精密机械有限公司", "34", "小型", "是", "", "", "", "东区"],
            [demo_uscc(11), "A号电子有限公司", "39", "小型", "否", "", "", "", "西区"]] + roster_rows(2)
    assert _upload(admin, pid, xlsx(rows)).status_code == 302
    client().login(world.a.enterprise).submit(extreme_answers(sme(), True))
    client().login(world.a.other_enterprise).submit(extreme_answers(sme(), False))
    with app.app_context():
        top = db.session.scalar(sa.select(Result.level).join(Company).where(Company.id == world.a.firm))
    r = admin.post_form(f"/programmes/{pid}/targets", {
        "name": "达到该等级的企业", "indicator": "share_at_level", "instrument": "sme-digital", "min_level": str(top),
        "base_year": "2025", "base_value": "0", "target_year": "2026", "target_value": "50", "nature": "binding",
        "source": "测试用文件"}, page=f"/programmes/{pid}")
    assert r.status_code == 302
    admin.post_form(f"/programmes/{pid}/targets", {
        "name": "名单覆盖", "indicator": "coverage", "instrument": "sme-digital", "base_year": "2025", "base_value": "0",
        "target_year": "2026", "target_value": "100", "nature": "expected", "source": "测试用文件"}, page=f"/programmes/{pid}")
    with app.test_request_context():
        user = db.session.scalar(sa.select(User).where(User.email == world.a.zone_admin))
        share, coverage = tg.of_programme(user, pid)
        # One of four roster firms at the level: 25%, half-way from 0 to the target of 50.
        assert (share["value"], share["counted"], share["denominator"], share["progress"]) == (25.0, 1, 4, 50.0)
        assert share["projection"] is None  # one quarter of data only
        assert (coverage["value"], coverage["counted"], coverage["progress"]) == (50.0, 2, 50.0)
        movers = tg.movers(coverage["target"])
        assert [m["uscc"] for m in movers] == [demo_uscc(100), demo_uscc(101)]
    # The dashboard and the zone report show both targets with their current values.
    dashboard = admin.get("/zone/").text
    assert "达到该等级的企业" in dashboard and "名单覆盖" in dashboard and "测试用文件" in dashboard
    from pypdf import PdfReader
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(admin.get("/zone/report.pdf").data)).pages)
    assert "目标进展" in text and "名单覆盖" in text


def test_the_ledger_rows_match_the_database(app, world, client):
    admin = client().login(world.a.zone_admin)
    pid = _create(admin)
    rows = roster_rows(3) + [[demo_uscc(1), "A号精密机械有限公司", "34", "小型", "是", "", "", "", "东区"]]
    assert _upload(admin, pid, xlsx(rows)).status_code == 302
    admin.post_form(f"/programmes/{pid}/launch", {}, page=f"/programmes/{pid}")
    client().login(world.a.enterprise).submit(extreme_answers(sme(), True))
    r = admin.get(f"/programmes/{pid}/ledger.xlsx")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["企业台账", "汇总"]
    ws = wb["企业台账"]
    assert ws.freeze_panes == "A4" and ws.auto_filter.ref == "A3:N7" and ws["A3"].font.bold
    assert ws["A1"].font.bold and ws["A1"].font.size == 13 and not ws["A4"].font.bold
    assert [ws.column_dimensions[c].width for c in "ABN"] == [22, 30, 14]
    assert wb["汇总"].freeze_panes == "A4" and wb["汇总"]["A3"].font.bold
    assert "导出日期" in ws["A2"].value
    listed = [[c.value for c in row] for row in ws.iter_rows(min_row=4)]
    with app.app_context():
        entries = db.session.scalars(sa.select(RosterEntry).where(RosterEntry.programme_id == pid)
                                     .order_by(RosterEntry.id)).all()
        level = db.session.scalar(sa.select(Result.level).where(Result.company_id == world.a.firm))
    assert [row[0] for row in listed] == [e.uscc for e in entries]
    assert [row[4] for row in listed] == ["是" if e.above_scale else "否" for e in entries]
    assert [row[6] for row in listed] == ["已邀请", "已邀请", "已邀请", "已提交"]
    names = {lv.id: lv.name.zh for lv in sme().levels}
    assert [row[7] for row in listed] == [None, None, None, None]  # nobody reviewed yet
    assert [row[12] for row in listed] == [None, None, None, names[level]]
    assert admin.get("/lang/en").status_code == 302
    wb = load_workbook(io.BytesIO(admin.get(f"/programmes/{pid}/ledger.xlsx").data))
    assert wb.sheetnames == ["Firm ledger", "Summary"]


def test_other_areas_and_roles_cannot_open_a_programme(app, world, client):
    admin = client().login(world.a.zone_admin)
    pid = _create(admin)
    assert client().login(world.b.zone_admin).get(f"/programmes/{pid}").status_code == 404
    assert client().login(world.a.consultant).get(f"/programmes/{pid}").status_code == 403
    assert client().get("/programmes/join/not-a-token").status_code == 404
    with app.app_context():
        assert db.session.get(Programme, pid).status == "draft"


@pytest.mark.parametrize("field, value", [("starts_on", "2026-13-01"), ("quotas", "东区 twenty"), ("reminder_cap", "99")])
def test_bad_programme_forms_are_refused(app, world, client, field, value):
    admin = client().login(world.a.zone_admin)
    r = admin.post_form("/programmes/", {"name": "x", "instrument": "sme-digital", "starts_on": "2026-01-01",
                                         "ends_on": "2026-12-31", field: value})
    assert r.status_code in (302, 422)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Programme)) == 0


def test_the_sheet_reader_keeps_row_numbers_and_reads_numbers_as_a_spreadsheet_shows_them():
    from diagnosis.programmes import roster
    wb = Workbook()
    ws = wb.active
    ws.append(HEAD)
    ws.append([demo_uscc(1), "甲", 34, "小型", "是", None, 13800000000, None, "东区"])
    ws.append([])                                   # an empty row
    ws.cell(row=4, column=1, value=demo_uscc(2))    # a row with gaps between its cells
    ws.cell(row=4, column=4, value="微型")
    buf = io.BytesIO()
    wb.save(buf)
    header, rows = roster.read(buf.getvalue())
    assert header[:4] == ["uscc", "name", "industry", "size"]
    assert [n for n, _r in rows] == [2, 4]
    assert rows[0][1]["industry"] == 34 and rows[0][1]["mobile"] == 13800000000 and rows[0][1]["contact"] is None
    assert {k: v for k, v in rows[1][1].items() if v is not None} == {"uscc": demo_uscc(2), "size": "微型"}


def test_the_join_form_answers_a_taken_address_as_a_new_one_and_tells_the_owner(app, world, client):
    """No oracle: registering through a programme link with an address that has an account is answered
    exactly as a new registration (same redirect, same message); nobody is created or logged in, and
    the owner gets a mail, as auth.service.register does."""
    from diagnosis.models import OutboxMessage
    admin = client().login(world.a.zone_admin)
    pid = _create(admin)
    assert _upload(admin, pid, xlsx(roster_rows(2))).status_code == 302
    assert admin.post_form(f"/programmes/{pid}/launch", {}, page=f"/programmes/{pid}").status_code == 302
    with app.app_context():
        bodies = db.session.scalars(sa.select(OutboxMessage.body).where(OutboxMessage.kind == "programme_invited")).all()
    links = sorted(re.search(r"https?://\S+(/programmes/join/\S+)", b).group(1) for b in bodies)
    answers = []
    for link, email in zip(links, (world.a.enterprise, "brand-new@example.com")):
        firm = client()
        page = firm.get(link)
        r = firm.c.post(link, data={"name": "李四", "email": email, "employees": "80", "revenue": "5000",
                                    "password": "roster-firm-42", "confirm": "roster-firm-42", "privacy": "y",
                                    "csrf_token": csrf_from(page.text)})
        assert r.status_code == 302
        answers.append((r.headers["Location"].split("?")[0], firm.get(r.headers["Location"]).text.count("注册已受理")))
    assert answers[0] == answers[1] == ("/auth/login", 1)
    with app.app_context():
        owner_mail = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "register_existing")).all()
        assert len(owner_mail) == 1 and owner_mail[0].to_address == world.a.enterprise
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.email == world.a.enterprise)) == 1


def test_invitations_are_written_in_the_recipients_language_else_the_programmes(app, world, client):
    """The creator writes in Chinese; the programme is set to English. A roster address with an
    account (whose language is Chinese) is written to in Chinese, one without in English."""
    from diagnosis.models import OutboxMessage
    admin = client().login(world.a.zone_admin)
    pid = _create(admin, lang="en")
    with app.app_context():
        u = User(email="firm1@example.com", name="已有账号", role="enterprise", zone_id=world.a.zone, lang="zh")
        u.set_password("another-pass-42")
        db.session.add(u)
        db.session.commit()
    assert _upload(admin, pid, xlsx(roster_rows(2))).status_code == 302
    assert admin.post_form(f"/programmes/{pid}/launch", {}, page=f"/programmes/{pid}").status_code == 302
    with app.app_context():
        sent = {m.to_address: m for m in db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.kind == "programme_invited"))}
        assert sent["firm0@example.com"].lang == "en" and sent["firm0@example.com"].subject.startswith("Invitation")
        assert sent["firm1@example.com"].lang == "zh" and sent["firm1@example.com"].subject.startswith("邀请参加")


def test_the_input_gate_names_the_row_and_reason_of_roster_text_cells(app, world, client):
    """Control characters (C1 "\\x85", a tab) and an overlong cell: each named with its row and reason,
    one reason per cell, and nothing written. (XML cannot carry a lone surrogate or a C0 control:
    such a file is not a readable XLSX, tests/test_hostile_input.py.)"""
    admin = client().login(world.a.zone_admin)
    pid = _create(admin)
    rows = roster_rows(4)
    rows[0][1] = "名单\x85企业"
    rows[1][5] = "张\t三"
    rows[2][8] = "东" * 101
    r = _upload(admin, pid, xlsx(rows))
    assert r.status_code == 422
    found = re.findall(r'<tr><td class="num">(\d+)</td><td>(\w+)</td><td>([^<]*)</td></tr>', r.text)
    assert [(row, col) for row, col, _reason in found] == [("2", "name"), ("3", "contact"), ("4", "sub_zone")]
    assert "“企业名称”含有控制字符" in found[0][2] and "“联系人”含有控制字符" in found[1][2] and "内容过长" in found[2][2]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RosterEntry)) == 0
    with app.test_request_context():
        from diagnosis.inputs import text_problem
        assert text_problem("a\ud800b") == "unstorable_text" and text_problem("a\x01") == "control_char"
        assert text_problem("ERP、MES 👩‍🏭 𠀀 é") is None


def test_quotas_per_consultant_are_shown_with_progress(app, world, client):
    """A quota of 2 firms for the zone's consultant: of the roster firms assigned to them (world's firm
    A号精密机械), one submitted: 50% of the quota. An address that is no consultant of the zone is refused."""
    admin = client().login(world.a.zone_admin)
    today = date.today()
    form = {"name": "顾问配额项目", "instrument": "sme-digital", "starts_on": (today - timedelta(days=1)).isoformat(),
            "ends_on": (today + timedelta(days=90)).isoformat(), "reminder_days": "7", "reminder_cap": "2"}
    r = admin.post_form("/programmes/", {**form, "consultant_quotas": "nobody@example.com=3"})
    assert r.status_code == 302 and "/programmes/" == r.headers["Location"][-len("/programmes/"):]
    assert "本园区没有这位顾问：nobody@example.com" in admin.get("/programmes/").text
    pid = _create(admin, consultant_quotas=f"{world.a.consultant}=2")
    rows = [[demo_uscc(1), "A号精密机械有限公司", "34", "小型", "是", "", "", "", "东区"]] + roster_rows(2)
    assert _upload(admin, pid, xlsx(rows)).status_code == 302
    client().login(world.a.enterprise).submit(extreme_answers(sme(), True))
    page = admin.get(f"/programmes/{pid}").text
    row = re.search(rf'<tr data-consultant="{re.escape(world.a.consultant)}">(.*?)</tr>', page).group(1)
    cells = re.findall(r'<td class="num[^"]*">([^<]*)</td>', row)
    assert cells == ["0", "0", "0", "0", "1", "0", "2", "50.0"]  # six statuses (reviewed last), the quota, its share
