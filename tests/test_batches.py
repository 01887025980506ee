"""Report batches on the real task queue, with a worker running in this process."""
from __future__ import annotations

import io
import re
import time
import zipfile

import pypdf
import pytest

from .helpers import extreme_answers, sme


@pytest.fixture
def worker(app):
    from huey.consumer import Consumer

    from diagnosis.batches import service  # noqa: F401  (registers the task)
    from diagnosis.queue import huey
    huey.flush()
    consumer = Consumer(huey, workers=1, worker_type="thread", periodic=False, check_worker_health=False)
    consumer.start()
    yield
    consumer.stop(graceful=True)


def wait_for(c, batch_id, limit=120):
    """Poll like the page does, for a bounded number of tries."""
    for _ in range(limit):
        s = c.get(f"/reports/batches/{batch_id}/status.json").json
        if s["status"] in ("done", "failed"):
            return s
        time.sleep(0.5)
    raise AssertionError(f"batch still {s['status']} after {limit} polls")


@pytest.fixture
def two_submitted(world, client):
    client().login(world.a.enterprise).submit(extreme_answers(sme(), best=True))
    return client().login(world.a.other_enterprise).submit(extreme_answers(sme(), best=False))


def test_zone_admin_builds_a_zip_of_reports(app, world, client, worker, two_submitted):
    from diagnosis.extensions import db
    from diagnosis.models import Assessment
    # One firm's stored result is damaged: its report fails, the other still comes out.
    with app.app_context():
        a = db.session.get(Assessment, two_submitted)
        a.result.dimensions = {}
        db.session.commit()
    admin = client().login(world.a.zone_admin)
    r = admin.post_form("/reports/batches/", {"instrument": "sme-digital"})
    assert r.status_code == 302
    batch_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    page = admin.get(f"/reports/batches/{batch_id}").text
    assert "batch.js" in page
    s = wait_for(admin, batch_id)
    assert s["status"] == "done" and s["total"] == 2 and s["done"] == 2
    assert [f["company"] for f in s["failures"]] == ["A号电子有限公司"] and "KeyError" in s["failures"][0]["reason"]
    z = zipfile.ZipFile(io.BytesIO(admin.get(s["download"]).data))
    names = z.namelist()
    # Named by firm, instrument and date, Chinese kept (and flagged UTF-8 in the ZIP).
    assert len(names) == 1 and re.fullmatch(r"A号精密机械有限公司-中小企业数字化水平评测.*-\d{4}-\d{2}-\d{2}\.pdf", names[0])
    assert z.infolist()[0].flag_bits & 0x800
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(z.read(names[0]))).pages)
    assert "A号精密机械有限公司" in text

    # Other tenants and firms see nothing of it.
    other_admin = client().login(world.b.zone_admin)
    assert other_admin.get(f"/reports/batches/{batch_id}").status_code == 404
    assert other_admin.get(f"/reports/batches/{batch_id}/download").status_code == 404
    assert client().login(world.a.enterprise).get("/reports/batches/").status_code == 403


def test_consultant_batches_cover_only_assigned_firms(world, client, worker, two_submitted):
    c = client().login(world.a.consultant)   # assigned to firm A only
    r = c.post_form("/reports/batches/", {"instrument": "sme-digital", "size": "small"})
    s = wait_for(c, int(r.headers["Location"].rstrip("/").split("/")[-1]))
    assert (s["total"], s["failures"]) == (1, [])


def test_bad_filters_are_refused_with_reasons(world, client):
    c = client().login(world.a.zone_admin)
    r = c.post_form("/reports/batches/", {"instrument": "nope", "industry": "999", "level": "x"})
    assert r.status_code == 200
    assert "请选择评估工具" in r.text and "两位大类代码" in r.text and "等级应为数字" in r.text
