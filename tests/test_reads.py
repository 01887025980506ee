"""What firms and staff read: draft comments stay with the staff, and every staff read of a
firm's data is audited once per request with its object and route (issue 15, findings 4 and 6)."""
from __future__ import annotations

import io
import re
import zipfile

import pypdf
import sqlalchemy as sa

from diagnosis.api.tokens import issue
from diagnosis.extensions import db
from diagnosis.models import AuditEvent, User

from .helpers import extreme_answers, sme

DRAFT = "草稿意见：设备联网率偏低XYZ"


def _walk(c, start: list[str], limit: int = 80) -> dict[str, str]:
    """Every same-site page reachable by GET from `start` (bounded), as text (PDFs extracted)."""
    seen: dict[str, str] = {}
    todo = list(start)
    while todo and len(seen) < limit:
        url = todo.pop(0)
        if url in seen or url.startswith(("/static/", "/lang/", "/auth/logout", "/report-assets/")):
            continue
        r = c.get(url)
        if r.status_code in (301, 302):
            todo.append(r.headers["Location"])
            seen[url] = ""
            continue
        if r.mimetype == "application/pdf":
            seen[url] = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(r.data)).pages)
            continue
        if r.mimetype == "application/zip":  # the firm's data export: its JSON and its PDF reports
            z = zipfile.ZipFile(io.BytesIO(r.data))
            seen[url] = "".join(z.read(n).decode() if n.endswith(".json") else
                                "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(z.read(n))).pages)
                                for n in z.namelist())
            continue
        seen[url] = r.get_data(as_text=True)
        todo += [h.replace("&amp;", "&") for h in re.findall(r'href="(/[^"#]*)"', seen[url])]
    return seen


def test_firms_never_read_draft_comments(app, world, client):
    firm = client().login(world.a.enterprise)
    aid = firm.submit(extreme_answers(sme(), best=True))
    consultant = client().login(world.a.consultant)
    r = consultant.post_form(f"/assessments/{aid}/comments", {"comments": DRAFT, "save": "1"})
    assert r.status_code == 302
    assert DRAFT in consultant.get(f"/assessments/{aid}/comments").text  # staff see the draft

    pages = _walk(firm, ["/home", f"/assessments/{aid}/comments", f"/assessments/{aid}/report",
                         f"/assessments/{aid}/report.pdf", f"/assessments/{aid}/changes"])
    assert f"/assessments/{aid}/comments" in pages and f"/assessments/{aid}/result" in pages
    assert "/company/export.zip" in pages and '"answers"' in pages["/company/export.zip"]  # the data export too
    assert len(pages) >= 8
    leaked = [url for url, text in pages.items() if "XYZ" in text]
    assert leaked == []
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == world.a.enterprise))
        token = issue(user, "t")
        db.session.commit()
    api = app.test_client()
    for url in (f"/api/v1/assessments/{aid}", f"/api/v1/assessments/{aid}/result"):
        assert "XYZ" not in api.get(url, headers={"Authorization": f"Bearer {token}"}).get_data(as_text=True)

    r = consultant.post_form(f"/assessments/{aid}/comments", {"comments": DRAFT, "finalise": "1", "confirm": "yes"})
    assert r.status_code == 302
    assert DRAFT in firm.get(f"/assessments/{aid}/comments").text  # once final, the firm reads them


NINE_READS = [  # (how, url, route)
    ("api", "/api/v1/assessments/{aid}", "api.assessment"),
    ("api", "/api/v1/assessments/{aid}/result", "api.result"),
    ("api", "/api/v1/assessments", "api.assessments"),
    ("web", "/assessments/{aid}/report", "assessments.report_preview"),
    ("web", "/assessments/{aid}/changes", "assessments.changes"),
    ("web", "/assessments/{aid}/review", "assessments.review"),
    ("web", "/assessments/{aid}/page/1", "assessments.page"),
    ("web", "/assessments/{aid}/comments", "assessments.comments"),
    ("web", "/assessments/{aid}/result", "assessments.result"),
]


def test_every_staff_read_is_audited_once_per_request(app, world, client):
    firm = client().login(world.a.enterprise)
    aid = firm.submit(extreme_answers(sme(), best=True))
    firm.get(f"/assessments/{aid}/result")  # the firm reading its own data is not audited
    admin = client().login(world.a.zone_admin)
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == world.a.zone_admin))
        auth = {"Authorization": f"Bearer {issue(user, 't')}"}
        user_id = user.id
        db.session.commit()
        since = db.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
    api = app.test_client()
    for how, url, _route in NINE_READS:
        r = api.get(url.format(aid=aid), headers=auth) if how == "api" else admin.get(url.format(aid=aid))
        assert r.status_code == 200, url
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "view", AuditEvent.id > since)
                                    .order_by(AuditEvent.id)).all()
        assert [e.detail["route"] for e in events] == [route for _h, _u, route in NINE_READS]
        assert all(e.action == "view" and e.target == f"assessment:{aid}" and e.user_id == user_id for e in events)
        assert all(e.detail["objects"] == {"assessment": [aid]} for e in events)
    # A page that is refused (another zone's firm) writes nothing.
    other = client().login(world.b.zone_admin)
    assert other.get(f"/assessments/{aid}/result").status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "view", AuditEvent.id > since)) == len(NINE_READS)
