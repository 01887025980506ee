"""Only 三星/四星/五星 are stars: no page, report, dashboard figure, export or API answer calls a
cloud result 一星 or 二星, for results on the current version or on the old one (2024.1) alike."""
from __future__ import annotations

import io

import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

import questionnaires
from diagnosis.api.tokens import issue
from diagnosis.assessments import service
from diagnosis.extensions import db
from diagnosis.models import Assessment, User
from questionnaires.upgrade import archived

FORBIDDEN = ("一星", "二星", "One star", "Two stars")
OLD = archived("cloud-adoption", "2024.1")


def _submit(company_id: int, answers: dict) -> int:
    a = service.start(company_id, "cloud-adoption", None)
    service.save_answers(a, answers, None)
    db.session.flush()
    service.submit(a)
    return a.id


def _text(r) -> str:
    assert r.status_code == 200, (r.request.path, r.status_code)
    if r.mimetype == "application/pdf":
        return "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.data)).pages)
    if "spreadsheetml" in (r.mimetype or ""):
        wb = load_workbook(io.BytesIO(r.data))
        cells = (c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row)
        return " ".join(str(c) for c in cells if c is not None)
    return r.get_data(as_text=True)


def test_no_result_is_called_one_or_two_stars_anywhere(app, world, client, monkeypatch):
    with app.app_context():
        new_id = _submit(world.a.firm, {"business_areas": ["sales", "finance"], "infra_systems": "none"})  # two SaaS
        monkeypatch.setattr(questionnaires, "get", lambda iid, *a, **k: OLD)
        old_id = _submit(world.a.other, {"infra_systems": "some", "business_areas": ["sales", "finance"]})  # old "二星"
        monkeypatch.undo()
        db.session.commit()
        levels = {aid: service.instrument_of(db.session.get(Assessment, aid)) for aid in (new_id, old_id)}
        assert {v.version for v in levels.values()} == {"2024.1", questionnaires.get("cloud-adoption").version}
        admin = db.session.scalar(sa.select(User).where(User.email == world.a.zone_admin))
        token = issue(admin, "walk")
        db.session.commit()

    admin = client().login(world.a.zone_admin)
    firm = client().login(world.a.enterprise)
    other = client().login(world.a.other_enterprise)
    q = "?instrument=cloud-adoption"
    pages = {}
    for lang in ("zh", "en"):
        for c in (admin, firm, other):
            c.get(f"/lang/{lang}")
        pages[f"result {lang}"] = firm.get(f"/assessments/{new_id}/result")
        pages[f"old result {lang}"] = other.get(f"/assessments/{old_id}/result")
        pages[f"report {lang}"] = firm.get(f"/assessments/{new_id}/report.pdf")
        pages[f"old report {lang}"] = other.get(f"/assessments/{old_id}/report.pdf")
        pages[f"preview {lang}"] = other.get(f"/assessments/{old_id}/report")
        pages[f"dashboard {lang}"] = admin.get(f"/zone/{q}")
        for part in ("overview", "levels", "trend", "closest", "stalled"):
            pages[f"{part} {lang}"] = admin.get(f"/zone/data/{part}.json{q}")
        pages[f"firms {lang}"] = admin.get(f"/zone/firms{q}")
        pages[f"csv {lang}"] = admin.get(f"/zone/firms.csv{q}")
        pages[f"xlsx {lang}"] = admin.get(f"/zone/firms.xlsx{q}")
        pages[f"zone report {lang}"] = admin.get(f"/zone/report.pdf{q}")
    api = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    for aid in (new_id, old_id):
        pages[f"api result {aid}"] = api.get(f"/api/v1/assessments/{aid}/result", headers=auth)
        pages[f"api report {aid}"] = api.get(f"/api/v1/assessments/{aid}/report.pdf", headers=auth)
    pages["api instrument"] = api.get("/api/v1/instruments/cloud-adoption", headers=auth)
    pages["api aggregates"] = api.get(f"/api/v1/zone/aggregates{q}", headers=auth)

    texts = {name: _text(r) for name, r in pages.items()}
    for name, text in texts.items():
        assert not [w for w in FORBIDDEN if w in text], name
    # The walk saw the stage names, so it cannot pass on empty pages.
    assert "已上云，未达星级" in texts["result zh"] and "已上云，未达星级" in texts["old result zh"]
    assert "On the cloud, no star yet" in texts["result en"]
    assert "已上云" in texts["firms zh"] and "已上云" in texts["csv zh"]
    assert "苏工信信基〔2024〕181号" in texts["result zh"]
