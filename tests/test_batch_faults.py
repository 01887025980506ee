"""A report batch ends even when a queue worker dies under it: real `diagnosis worker`
processes, killed with SIGKILL in the middle of a batch (issue 15, finding 1)."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from diagnosis.demo import demo_uscc
from diagnosis.extensions import db
from diagnosis.models import Company, ReportBatch, ReportPart, User

from .helpers import extreme_answers, sme

FIRMS = 8
DIAGNOSIS = str(Path(sys.executable).with_name("diagnosis"))


@pytest.fixture
def firms(app, world):
    """FIRMS submitted assessments in zone A, with varied answers so no two reports are alike."""
    from diagnosis.assessments import service
    with app.app_context():
        zone_id = world.a.zone
        admin = db.session.scalar(sa.select(User).where(User.email == world.a.zone_admin))
        inst = sme()
        for i in range(FIRMS):
            c = Company(zone_id=zone_id, name=f"批量{i:02d}有限公司", uscc=demo_uscc(100 + i), industry_section="C",
                        industry_division="34", employees=50 + i, revenue=1000.0 + i, size_class="small")
            db.session.add(c)
            db.session.flush()
            a = service.start(c.id, "sme-digital", admin.id)
            service.save_answers(a, extreme_answers(inst, best=i % 2 == 0), admin.id)
            db.session.flush()
            service.submit(a)
        db.session.commit()
    return FIRMS


LEASE = 10  # seconds: longer than one report takes to render even on a busy machine


def _worker(app, lease=LEASE):
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "BATCH_LEASE_SECONDS": str(lease),
           "BATCH_PART_SIZE": "2", "QUEUE_WORKERS": "2"}
    return subprocess.Popen([DIAGNOSIS, "worker", "--workers", "2"], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)  # the group we started: the consumer and its children
        proc.wait(10)


def _running_part(app, limit=240):
    """Wait (bounded) for a part some worker is rendering; its row names the worker's pid."""
    for _ in range(limit):
        with app.app_context():
            part = db.session.scalar(sa.select(ReportPart).where(ReportPart.status == "running").limit(1))
            if part is not None:
                return part.id, int(part.worker.rsplit(":", 1)[1])
        time.sleep(0.25)
    raise AssertionError("no part started")


def _start_batch(admin):
    r = admin.post_form("/reports/batches/", {"instrument": "sme-digital"})
    assert r.status_code == 302
    return int(r.headers["Location"].rstrip("/").split("/")[-1])


def _batch(app, batch_id):
    with app.app_context():
        b = db.session.get(ReportBatch, batch_id)
        parts = db.session.scalars(sa.select(ReportPart).where(ReportPart.batch_id == batch_id)).all()
        return b.status, b.done, b.total, b.failures, b.path, {p.id: (p.status, p.attempts) for p in parts}


def test_killing_a_worker_mid_batch_requeues_its_part(app, world, client, firms):
    from diagnosis.queue import huey
    huey.flush()
    proc = _worker(app)
    try:
        admin = client().login(world.a.zone_admin)
        batch_id = _start_batch(admin)
        part_id, pid = _running_part(app)
        os.kill(pid, signal.SIGKILL)  # the child process rendering that part, as the OOM killer would
        for _ in range(240):  # the page polls; each poll looks for dead parts
            s = admin.get(f"/reports/batches/{batch_id}/status.json").json
            if s["status"] in ("done", "failed"):
                break
            time.sleep(0.5)
        status, done, total, failures, path, parts = _batch(app, batch_id)
        assert (status, done, total, failures) == ("done", FIRMS, FIRMS, [])
        # Run again by another worker process (once; a second time only if a render outlasted the lease).
        assert parts[part_id][0] == "done" and parts[part_id][1] >= 2
        assert len(zipfile.ZipFile(io.BytesIO(admin.get(s["download"]).data)).namelist()) == FIRMS
    finally:
        _stop(proc)


def test_a_batch_orphaned_by_all_workers_dying_goes_on_when_a_worker_starts(app, world, client, firms):
    from diagnosis.queue import huey
    huey.flush()
    proc = _worker(app)
    admin = client().login(world.a.zone_admin)
    try:
        batch_id = _start_batch(admin)
        _running_part(app)
    finally:
        _stop(proc)  # every worker gone at once, its tasks with it
    assert _batch(app, batch_id)[0] == "running"
    time.sleep(LEASE + 0.5)  # the dead part's lease runs out
    proc = _worker(app)
    try:
        for _ in range(240):  # nobody polls the page: the new worker recovers the batch by itself
            if _batch(app, batch_id)[0] in ("done", "failed"):
                break
            time.sleep(0.5)
        status, done, total, failures, path, parts = _batch(app, batch_id)
        assert (status, done, failures) == ("done", FIRMS, [])
        assert len(zipfile.ZipFile(path).namelist()) == FIRMS
    finally:
        _stop(proc)


def test_a_part_whose_worker_dies_three_times_is_failed_with_the_reason(app, world, client, firms):
    """After the first run and two re-queues, the part is failed; the batch ends with the rest."""
    from datetime import timedelta

    from diagnosis.batches import service
    from diagnosis.models import utcnow
    from diagnosis.queue import huey
    huey.flush()
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.email == world.a.zone_admin))
        batch = service.start(admin, {"instrument": "sme-digital"}, "zh")
        batch_id = batch.id
        huey.flush()  # the count runs here instead, then its parts' tasks are thrown away: all lost
        service.build_batch.call_local(batch_id)
        huey.flush()
        parts = db.session.scalars(sa.select(ReportPart).where(ReportPart.batch_id == batch_id)
                                   .order_by(ReportPart.id)).all()
        doomed = parts[0]
        doomed.status, doomed.attempts = "running", service.MAX_ATTEMPTS
        doomed.lease_until = utcnow() - timedelta(seconds=1)
        for p in parts[1:]:
            p.status = "done"  # the others rendered fine
        db.session.commit()
        assert service.reap([batch_id]) == 1
        b = db.session.get(ReportBatch, batch_id)
        assert (b.status, b.done) == ("running", len(doomed.assessment_ids))
        db.session.expire_all()
        doomed = db.session.get(ReportPart, doomed.id)
        assert doomed.status == "failed" and "worker stopped" in doomed.reason and "3 times" in doomed.reason
        # The last part closed: the ZIP step was queued. Run it as a worker would.
        service.zip_batch.call_local(batch_id)
        db.session.expire_all()
        b = db.session.get(ReportBatch, batch_id)
        assert b.status == "done"
        assert sorted(f["assessment"] for f in b.failures) == sorted(doomed.assessment_ids)
        assert all("worker stopped" in f["reason"] for f in b.failures)
        assert len(zipfile.ZipFile(b.path).namelist()) == FIRMS - len(doomed.assessment_ids)


def test_a_batch_whose_count_keeps_dying_ends_failed(app, world):
    from datetime import timedelta

    from diagnosis.batches import service
    from diagnosis.models import utcnow
    from diagnosis.queue import huey
    huey.flush()
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.email == world.a.zone_admin))
        batch = ReportBatch(created_by_id=admin.id, zone_id=admin.zone_id, filters={"instrument": "sme-digital"},
                            lang="zh", status="queued", total=0, done=0, failures=[], attempts=service.MAX_ATTEMPTS,
                            lease_until=utcnow() - timedelta(seconds=1))
        db.session.add(batch)
        db.session.commit()
        assert service.reap([batch.id]) == 1
        db.session.expire_all()
        b = db.session.get(ReportBatch, batch.id)
        assert b.status == "failed" and "worker stopped" in b.error and b.finished_at is not None
