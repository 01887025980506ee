"""Report batches: every firm matching a filter gets its PDF, all in one ZIP.

Built by a queue task; a report that fails is listed with its reason and the
rest still finish. Progress is committed after every report so the browser
can show it.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

from flask import current_app

from ..access import assessments_query
from ..extensions import db
from ..models import Assessment, Company, InstrumentVersion, ReportBatch, Result, User, utcnow
from ..queue import app as queue_app
from ..queue import huey


def matching(user: User, filters: dict) -> list[Assessment]:
    """The latest submitted assessment per firm the user may see, matching the filters."""
    q = (assessments_query(user)
         .join(InstrumentVersion, InstrumentVersion.id == Assessment.instrument_version_id)
         .join(Company, Company.id == Assessment.company_id)
         .join(Result, Result.assessment_id == Assessment.id)
         .where(Assessment.status == "submitted", InstrumentVersion.instrument_id == filters["instrument"]))
    if filters.get("industry"):
        q = q.where(Company.industry_division == filters["industry"])
    if filters.get("size"):
        q = q.where(Company.size_class == filters["size"])
    latest = {}
    for a in db.session.scalars(q.order_by(Assessment.submitted_at, Assessment.id)):
        latest[a.company_id] = a
    found = list(latest.values())
    if filters.get("level") not in (None, ""):
        found = [a for a in found if a.result.level == int(filters["level"])]
    return sorted(found, key=lambda a: a.company.name)


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
    with queue_app().app_context():
        try:
            run(batch_id)
        except Exception:
            db.session.rollback()
            if task is None or task.retries == 0:
                batch = db.session.get(ReportBatch, batch_id)
                batch.status, batch.finished_at = "failed", utcnow()
                db.session.commit()
            raise


def run(batch_id: int) -> None:
    from ..assessments.views import render_report
    batch = db.session.get(ReportBatch, batch_id)
    user = db.session.get(User, batch.created_by_id)
    found = matching(user, batch.filters)
    batch.status, batch.total, batch.done, batch.failures = "running", len(found), 0, []
    db.session.commit()
    folder = Path(current_app.instance_path) / "batches"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"batch-{batch.id}.zip"
    failures = []
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:  # PDFs are compressed already
        for a in found:
            name = f"{a.company.uscc}-{a.instrument_version.instrument_id}-{a.id}.pdf"
            try:
                zf.writestr(name, render_report(a, batch.lang))
            except Exception as exc:  # one bad report must not stop the batch
                current_app.logger.exception("batch %s: report for assessment %s failed", batch.id, a.id)
                failures.append({"assessment": a.id, "company": a.company.name, "reason": f"{type(exc).__name__}: {exc}"[:300]})
            batch.done += 1
            batch.failures = list(failures)
            db.session.commit()
    batch.path = str(path)
    batch.status = "done"
    batch.finished_at = utcnow()
    db.session.commit()
