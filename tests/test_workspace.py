"""Consultant workspace: on-site edits with an audit trail, comments and finalising, history, XLSX import."""
from __future__ import annotations

import io
import re

import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from diagnosis.extensions import db
from diagnosis.models import AnswerChange, Assessment, Assignment, Result, User

from .conftest import csrf_from
from .helpers import extreme_answers, sme

COMMENT = "三号车间的刀具寿命管理值得先做。<script>alert(1)</script>"


def _pdf_text(data: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def test_consultant_fills_in_on_site_and_every_change_is_recorded(app, world, client):
    firm = client().login(world.a.enterprise)
    aid = firm.start()
    q = next(q for q in sme().questions if q.type == "single")
    firm.autosave(aid, {q.id: q.options[0].id})
    consultant = client().login(world.a.consultant)
    page = consultant.get("/workspace/").text
    assert "A号精密机械有限公司" in page and "A号电子有限公司" not in page
    assert consultant.autosave(aid, {q.id: q.options[-1].id}).status_code == 200
    html = consultant.get(f"/assessments/{aid}/changes").text
    assert "顾问" in html and q.options[0].text.zh in html and q.options[-1].text.zh in html
    with app.app_context():
        changes = db.session.scalars(sa.select(AnswerChange).where(AnswerChange.assessment_id == aid).order_by(AnswerChange.id)).all()
        who = [db.session.get(User, c.user_id).role for c in changes]
        assert who == ["enterprise", "consultant"] and changes[1].old_value == q.options[0].id
    # Starting an assessment on a firm's behalf: assigned firm yes, another firm no.
    r = consultant.post_form("/assessments/new", {"instrument": "cloud-adoption", "company": world.a.firm}, page="/workspace/")
    assert r.status_code == 302
    r = consultant.post_form("/assessments/new", {"instrument": "cloud-adoption", "company": world.a.other}, page="/workspace/")
    assert r.status_code == 404


def test_comments_stay_private_until_finalised(app, world, client):
    firm = client().login(world.a.enterprise)
    aid = firm.submit(extreme_answers(sme(), best=False))
    consultant = client().login(world.a.consultant)
    r = consultant.post_form(f"/assessments/{aid}/comments", {"comments": COMMENT, "save": "1"})
    assert r.status_code == 302
    assert "草稿" in consultant.get(f"/assessments/{aid}/result").text
    assert "三号车间" not in firm.get(f"/assessments/{aid}/result").text
    assert "三号车间" not in _pdf_text(firm.get(f"/assessments/{aid}/report.pdf").data)
    # Zone staff cannot write comments; another zone's consultant cannot even see the page.
    admin = client().login(world.a.zone_admin)
    assert admin.post_form(f"/assessments/{aid}/comments", {"comments": "x", "save": "1"},
                           page=f"/assessments/{aid}/comments").status_code == 403
    assert client().login(world.b.consultant).get(f"/assessments/{aid}/comments").status_code == 404
    # 定稿 asks once more, says it cannot be undone, and keeps the text as a draft meanwhile.
    r = consultant.post_form(f"/assessments/{aid}/comments", {"comments": COMMENT, "finalise": "1"})
    assert r.status_code == 200 and "不能撤销" in r.text and 'name="confirm" value="yes"' in r.text
    assert "三号车间" not in firm.get(f"/assessments/{aid}/result").text
    r = consultant.post_form(f"/assessments/{aid}/comments", {"comments": COMMENT, "finalise": "1", "confirm": "yes"})
    assert r.status_code == 302
    text = _pdf_text(firm.get(f"/assessments/{aid}/report.pdf").data)
    assert "顾问意见" in text and "三号车间" in text and "<script>alert(1)</script>" in text and "顾问" in text
    html = firm.get(f"/assessments/{aid}/result").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    # Finalised comments are frozen.
    r = consultant.post_form(f"/assessments/{aid}/comments", {"comments": "改掉", "save": "1"},
                             page=f"/assessments/{aid}/result")
    assert r.status_code == 409


def test_report_preview_is_the_print_template_under_the_csp(app, world, client):
    firm = client().login(world.a.enterprise)
    aid = firm.submit(extreme_answers(sme(), best=True))
    r = firm.get(f"/assessments/{aid}/report")
    assert r.status_code == 200 and "A号精密机械有限公司" in r.text and "执行摘要" in r.text
    assert "style=" not in r.text and "<script" not in r.text
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    css = re.search(r'<link rel="stylesheet" href="([^"]+)"', r.text).group(1)
    assert firm.get(css).status_code == 200 and "@page" in firm.get(css).text
    assert firm.get("/report-assets/../render.py").status_code == 404


def test_history_shows_progress_per_dimension(app, world, client):
    firm = client().login(world.a.enterprise)
    firm.submit(extreme_answers(sme(), best=False))
    firm.submit(extreme_answers(sme(), best=True))
    html = firm.get(f"/company/{world.a.firm}/history").text
    assert html.count("+100") == len(sme().dimensions)
    with app.app_context():
        latest = db.session.scalars(sa.select(Result).order_by(Result.id)).all()
        assert [r.is_latest for r in latest] == [False, True] and latest[1].previous_level == latest[0].level
    assert client().login(world.b.zone_admin).get(f"/company/{world.a.firm}/history").status_code == 404
    assert client().login(world.a.other_enterprise).get(f"/company/{world.a.firm}/history").status_code == 404


def test_zone_admin_assigns_consultants_by_credit_code(app, world, client):
    admin = client().login(world.a.zone_admin)
    with app.app_context():
        consultant_id = db.session.scalar(sa.select(User.id).where(User.email == world.a.consultant))
        from diagnosis.models import Company
        other_code = db.session.get(Company, world.a.other).uscc
        foreign_code = db.session.get(Company, world.b.other).uscc
    r = admin.post_form("/zone/assignments", {"consultant": consultant_id, "codes": f"{other_code}\n{foreign_code}"})
    assert r.status_code == 302
    page = admin.get("/zone/assignments").text
    assert foreign_code in page  # named as unknown in this zone
    with app.app_context():
        assigned = set(db.session.scalars(sa.select(Assignment.company_id).where(Assignment.consultant_id == consultant_id)))
        assert assigned == {world.a.firm, world.a.other}
    assert client().login(world.a.consultant).get("/zone/assignments").status_code == 403


def _filled_template(c, rows: list[dict]) -> bytes:
    data = c.get("/imports/template/sme-digital.xlsx").data
    wb = load_workbook(io.BytesIO(data))
    ws = wb["answers"]
    ids = [cell.value for cell in ws[1]]
    for r, row in enumerate(rows, start=3):
        for key, value in row.items():
            ws.cell(row=r, column=ids.index(key) + 1, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(c, data: bytes, instrument="sme-digital"):
    token = csrf_from(c.get("/imports/").text)
    return c.c.post("/imports/", data={"csrf_token": token, "instrument": instrument,
                                       "file": (io.BytesIO(data), "answers.xlsx")}, content_type="multipart/form-data")


def test_import_with_one_bad_row_changes_nothing_and_names_the_row(app, world, client):
    admin = client().login(world.a.zone_admin)
    with app.app_context():
        from diagnosis.models import Company
        codes = [db.session.get(Company, i).uscc for i in (world.a.firm, world.a.other)]
    good = extreme_answers(sme(), best=True)
    multi = next(q for q in sme().questions if q.type == "multi")
    as_cells = {k: (";".join(v) if isinstance(v, list) else ("是" if v is True else "否" if v is False else v)) for k, v in good.items()}
    number = next(q for q in sme().questions if q.type == "number")
    bad_row = {**as_cells, "uscc": codes[1], number.id: "很多"}
    data = _filled_template(admin, [{**as_cells, "uscc": codes[0]}, bad_row])
    r = _upload(admin, data)
    assert r.status_code == 400 and "文件未导入" in r.text
    assert re.search(r'<td class="num">4</td><td>' + number.id, r.text), "row 4 and the column are named"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == 0
    # Broken and foreign files are refused too.
    assert _upload(admin, b"PK\x03\x04 not really").status_code == 400
    foreign = _filled_template(admin, [{**as_cells, "uscc": "91320214MA1XXXXX0X"}])
    assert "没有您可以评估的" in _upload(admin, foreign).text
    # Fixed, the whole file goes in: two firms assessed, scored and benchmarked.
    data = _filled_template(admin, [{**as_cells, "uscc": codes[0]}, {**as_cells, "uscc": codes[1], multi.id: multi.options[0].text.zh}])
    r = _upload(admin, data)
    assert r.status_code == 302
    with app.app_context():
        rows = db.session.scalars(sa.select(Assessment)).all()
        assert len(rows) == 2 and all(a.status == "submitted" and a.result is not None for a in rows)
        assert {c.via for c in db.session.scalars(sa.select(AnswerChange))} == {"import"}
