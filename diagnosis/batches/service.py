"""Report batches: every firm matching a filter gets its PDF, all in one ZIP.

A batch fans out over the queue: `build_batch` splits the firms into parts,
each part renders its reports into the render cache on whichever worker takes
it (so several worker processes share one batch), and the part that completes
the count queues `zip_batch`, which collects the PDFs from the cache. A report
that fails is listed with its reason and the rest still finish. Progress is an
atomic counter the browser polls.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import sqlalchemy as sa

from flask import current_app

from ..access import ZONE_ADMIN, assessments_query, has_role
from ..extensions import db
from ..models import Assessment, Company, ReportBatch, Result, User, utcnow
from ..notifications.service import notify
from ..queue import app as queue_app
from ..queue import huey
from ..reporting import render_report, report_name
from ..zone.stats import Filters


def filters_of(f: Filters, drill: dict) -> dict:
    """What a batch keeps of the zone filters: the instrument, industry, size and level."""
    level = drill.get("level")
    return {"instrument": f.instrument_id, "industry": f.industry or "", "size": f.size or "",
            "level": "" if level is None else str(level)}


def matching(user: User, filters: dict) -> list[Assessment]:
    """The latest submitted assessment per firm the user may see, matching the filters, by firm name."""
    q = (assessments_query(user)
         .join(Company, Company.id == Assessment.company_id)
         .join(Result, Result.assessment_id == Assessment.id)
         .where(Result.is_latest, Result.instrument_id == filters["instrument"]))
    if filters.get("industry"):
        q = q.where(Company.industry_division == filters["industry"])
    if filters.get("size"):
        q = q.where(Company.size_class == filters["size"])
    if filters.get("level") not in (None, ""):
        q = q.where(Result.level == int(filters["level"]))
    return list(db.session.scalars(q.order_by(Company.name, Company.id)))


def find_batch(user: User, batch_id: int) -> ReportBatch | None:
    """A batch is seen by whoever started it and by the administrators of its zone."""
    batch = db.session.get(ReportBatch, batch_id)
    if batch is None or not (batch.created_by_id == user.id or (has_role(user, ZONE_ADMIN) and batch.zone_id == user.zone_id)):
        return None
    return batch


def visible_batches(user: User, limit: int = 50) -> list[ReportBatch]:
    q = sa.select(ReportBatch).where(ReportBatch.created_by_id == user.id)
    if has_role(user, ZONE_ADMIN):
        q = sa.select(ReportBatch).where(ReportBatch.zone_id == user.zone_id)
    return db.session.scalars(q.order_by(ReportBatch.id.desc()).limit(limit)).all()


def start(user: User, filters: dict, lang: str) -> ReportBatch:
    batch = ReportBatch(created_by_id=user.id, zone_id=user.zone_id, filters=filters, lang=lang, status="queued",
                        total=len(matching(user, filters)), done=0, failures=[])
    db.session.add(batch)
    db.session.commit()
    build_batch(batch.id)  # enqueue
    return batch


@huey.task(retries=2, retry_delay=5, context=True)
def build_batch(batch_id: int, task=None) -> None:
    """Queue task: build the ZIP. A retry after a crash starts the batch over;
    after the last retry the batch is marked failed rather than left running."""
    _marking_failure(run, batch_id, task)


def _marking_failure(step, batch_id: int, task) -> None:
    """Run a batch step; if its last retry fails too, the batch is marked failed rather than left running."""
    with queue_app().app_context():
        try:
            step(batch_id)
        except Exception:
            db.session.rollback()
            if task is None or task.retries == 0:
                batch = db.session.get(ReportBatch, batch_id)
                batch.status, batch.finished_at = "failed", utcnow()
                db.session.commit()
            raise


PART_SIZE = 10  # reports per queue task: big enough to amortise a task, small enough to spread


def run(batch_id: int) -> None:
    """Count the firms, then queue one part per PART_SIZE of them."""
    batch = db.session.get(ReportBatch, batch_id)
    user = db.session.get(User, batch.created_by_id)
    ids = [a.id for a in matching(user, batch.filters)]
    batch.status, batch.total, batch.done, batch.failures = "running", len(ids), 0, []
    db.session.commit()
    if not ids:
        zip_batch(batch_id)
        return
    for i in range(0, len(ids), PART_SIZE):
        render_part(batch_id, ids[i:i + PART_SIZE])


@huey.task(retries=2, retry_delay=5)
def render_part(batch_id: int, assessment_ids: list[int]) -> None:
    """Render some of a batch's reports into the render cache; a failure is left for zip_batch to report."""
    with queue_app().app_context():
        batch = db.session.get(ReportBatch, batch_id)
        if batch is None or batch.status != "running":
            return
        for aid in assessment_ids:
            a = db.session.get(Assessment, aid)
            try:
                render_report(a, batch.lang)
            except Exception:  # one bad report must not stop the others
                current_app.logger.exception("batch %s: report for assessment %s failed", batch_id, aid)
            db.session.rollback()
        # An atomic counter: parts finish on different workers at the same time.
        done = db.session.execute(
            sa.update(ReportBatch).where(ReportBatch.id == batch_id)
            .values(done=ReportBatch.done + len(assessment_ids)).returning(ReportBatch.done, ReportBatch.total)).one()
        db.session.commit()
        if done[0] >= done[1]:
            zip_batch(batch_id)


@huey.task(retries=2, retry_delay=5, context=True)
def zip_batch(batch_id: int, task=None) -> None:
    _marking_failure(collect, batch_id, task)


def collect(batch_id: int) -> None:
    """Write the ZIP from the render cache (a report rendered by a part is not rendered again)."""
    batch = db.session.get(ReportBatch, batch_id)
    user = db.session.get(User, batch.created_by_id)
    folder = Path(current_app.instance_path) / "batches"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"batch-{batch.id}.zip"
    failures, used = [], set()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:  # PDFs are compressed already
        for a in matching(user, batch.filters):
            # Firm, instrument and date (zipfile marks non-ASCII names as UTF-8); the id only on a clash.
            name = report_name(a, batch.lang)
            if name in used:
                name = f"{name[:-4]}-{a.id}.pdf"
            used.add(name)
            try:
                zf.writestr(name, render_report(a, batch.lang))
            except Exception as exc:
                failures.append({"assessment": a.id, "company": a.company.name, "reason": f"{type(exc).__name__}: {exc}"[:300]})
    batch.failures = failures
    batch.path = str(path)
    batch.status = "done"
    batch.done = batch.total
    batch.finished_at = utcnow()
    notify(user, "batch_ready", f"/reports/batches/{batch.id}", done=batch.total - len(failures))
    db.session.commit()
