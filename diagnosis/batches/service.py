"""Report batches: every firm matching a filter gets its PDF, all in one ZIP.

A batch fans out over the queue: `build_batch` splits the firms into parts (rows
of `report_parts`), each part renders its reports into the render cache on
whichever worker takes it (so several worker processes share one batch), and the
part that completes the count queues `zip_batch`, which collects the PDFs from
the cache. A report that fails is listed with its reason and the rest still finish.

A queue worker can die mid-task (killed, out of memory): huey has then already
taken the task off the queue and nothing retries it. So every step holds a lease
in the database, renewed as it works; `reap` finds steps whose lease ran out and
queues them again, at most twice, then marks them failed with the reason. It runs
when the batch page polls, once a minute in the worker, and when a worker starts
(batches orphaned by a crash of every worker). A batch therefore always ends:
done (perhaps with failures listed) or failed, never "running" for ever.
"""
from __future__ import annotations

import os
import socket
import zipfile
from datetime import UTC, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from huey import crontab

from ..access import ZONE_ADMIN, assessments_query, has_role, staff_scope
from ..errors import Refused
from ..extensions import db
from ..inputs import parse_int
from ..models import Assessment, Company, ReportBatch, ReportPart, Result, User, Zone, utcnow
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


MAX_ATTEMPTS = 3  # the first run and two re-queues
DIED = "the queue worker stopped (killed or crashed) while working on it"


def zones_of(user: User) -> list[tuple[int, str]]:
    """The zones a user may build batches for: zone staff their zone, staff of a city or province each zone below them."""
    ids = list(staff_scope(user).zone_ids) if has_role(user, ZONE_ADMIN) else []
    if not ids and user.zone_id is not None:
        ids = [user.zone_id]
    return [tuple(r) for r in db.session.execute(sa.select(Zone.id, Zone.name).where(Zone.id.in_(ids)).order_by(Zone.name))]


def batch_zone(user: User, raw) -> int:
    """The zone a new batch is for: the user's own, or one chosen below a city's or province's staff (else 404)."""
    if user.zone_id is not None:
        return user.zone_id
    chosen = parse_int(raw if isinstance(raw, str) else None, 1)
    if chosen is None or chosen not in {z for z, _name in zones_of(user)}:
        raise Refused(404, "not_found", _l("没有这个地区。"))
    return chosen


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
    if filters.get("zone"):
        q = q.where(Company.zone_id == int(filters["zone"]))
    return list(db.session.scalars(q.order_by(Company.name, Company.id)))


def find_batch(user: User, batch_id: int) -> ReportBatch | None:
    """A batch is seen by whoever started it and by the administrators of its zone."""
    batch = db.session.get(ReportBatch, batch_id)
    if batch is None or not (batch.created_by_id == user.id or (has_role(user, ZONE_ADMIN) and batch.zone_id in {
            z for z, _name in zones_of(user)})):
        return None
    return batch


def visible_batches(user: User, limit: int = 50) -> list[ReportBatch]:
    q = sa.select(ReportBatch).where(ReportBatch.created_by_id == user.id)
    if has_role(user, ZONE_ADMIN):
        q = sa.select(ReportBatch).where(ReportBatch.zone_id.in_([z for z, _name in zones_of(user)]))
    return db.session.scalars(q.order_by(ReportBatch.id.desc()).limit(limit)).all()


def start(user: User, filters: dict, lang: str, zone=None) -> ReportBatch:
    """A batch for one zone: the user's own, or (staff of a city or province) the one they chose below them."""
    zone_id = batch_zone(user, zone)
    filters = {**filters, "zone": zone_id}
    batch = ReportBatch(created_by_id=user.id, zone_id=zone_id, filters=filters, lang=lang, status="queued",
                        total=len(matching(user, filters)), done=0, failures=[], attempts=0,
                        lease_until=utcnow() + _lease())
    db.session.add(batch)
    db.session.commit()
    build_batch(batch.id)  # enqueue
    return batch


def _lease(app=None) -> timedelta:
    return timedelta(seconds=(app or current_app).config["BATCH_LEASE_SECONDS"])


def _me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _claim_batch(batch_id: int, status: str) -> bool:
    """Take the batch's next step (counting when queued, zipping when running) under a lease."""
    claimed = db.session.execute(
        sa.update(ReportBatch).where(ReportBatch.id == batch_id, ReportBatch.status == status,
                                     ReportBatch.attempts < MAX_ATTEMPTS)
        .values(attempts=ReportBatch.attempts + 1, lease_until=utcnow() + _lease())).rowcount
    db.session.commit()
    return claimed == 1


def _fail_batch(batch_id: int, reason: str) -> None:
    db.session.execute(sa.update(ReportBatch).where(ReportBatch.id == batch_id, ReportBatch.status.in_(("queued", "running")))
                       .values(status="failed", error=reason[:300], finished_at=utcnow(), lease_until=None))
    db.session.commit()


@huey.task(context=True)
def build_batch(batch_id: int, task=None) -> None:
    """Queue task: count the firms and queue the parts."""
    with queue_app().app_context():
        if not _claim_batch(batch_id, "queued"):
            return
        try:
            run(batch_id)
        except Exception as exc:
            db.session.rollback()
            current_app.logger.exception("batch %s: counting failed", batch_id)
            _retry_or_fail_batch(batch_id, f"{type(exc).__name__}: {exc}", build_batch)


def _retry_or_fail_batch(batch_id: int, reason: str, step) -> None:
    batch = db.session.get(ReportBatch, batch_id)
    if batch.attempts >= MAX_ATTEMPTS:
        _fail_batch(batch_id, reason)
    else:
        batch.lease_until = utcnow() + _lease()
        db.session.commit()
        step.schedule((batch_id,), delay=2)


def run(batch_id: int) -> None:
    """Count the firms, then queue one part per BATCH_PART_SIZE of them."""
    batch = db.session.get(ReportBatch, batch_id)
    user = db.session.get(User, batch.created_by_id)
    ids = [a.id for a in matching(user, batch.filters)]
    size = current_app.config["BATCH_PART_SIZE"]
    db.session.execute(sa.delete(ReportPart).where(ReportPart.batch_id == batch_id))  # a retried count starts over
    parts = [ReportPart(batch_id=batch_id, assessment_ids=ids[i:i + size], status="queued", attempts=0,
                        lease_until=utcnow() + _lease()) for i in range(0, len(ids), size)]
    db.session.add_all(parts)
    batch.status, batch.total, batch.done, batch.failures = "running", len(ids), 0, []
    batch.attempts, batch.lease_until = 0, utcnow() + _lease()  # now the lease of the coming ZIP step
    db.session.commit()
    if not parts:
        zip_batch(batch_id)
    for part in parts:
        render_part(part.id)


@huey.task()
def render_part(part_id: int) -> None:
    """Render some of a batch's reports into the render cache; a failed report is left for zip_batch to list."""
    with queue_app().app_context():
        me = _me()
        claimed = db.session.execute(
            sa.update(ReportPart).where(ReportPart.id == part_id, ReportPart.status == "queued",
                                        ReportPart.attempts < MAX_ATTEMPTS)
            .values(status="running", attempts=ReportPart.attempts + 1, worker=me,
                    lease_until=utcnow() + _lease())).rowcount
        db.session.commit()
        if claimed != 1:
            return  # done already, or another worker has it
        part = db.session.get(ReportPart, part_id)
        batch = db.session.get(ReportBatch, part.batch_id)
        if batch is None or batch.status != "running":
            return
        lang, ids = batch.lang, list(part.assessment_ids)
        for aid in ids:
            a = db.session.get(Assessment, aid)
            try:
                render_report(a, lang)
            except Exception:  # one bad report must not stop the others
                current_app.logger.exception("batch %s: report for assessment %s failed", part.batch_id, aid)
            db.session.rollback()
            # Heartbeat: still alive. If the lease was lost meanwhile, another attempt owns the part.
            alive = db.session.execute(
                sa.update(ReportPart).where(ReportPart.id == part_id, ReportPart.worker == me,
                                            ReportPart.status == "running")
                .values(lease_until=utcnow() + _lease())).rowcount
            db.session.commit()
            if alive != 1:
                return
        _finish_part(part_id, "done", None, running_as=me)


def _finish_part(part_id: int, status: str, reason: str | None, running_as: str | None = None) -> None:
    """Close a part once (done or failed), count its reports, and queue the ZIP after the last part."""
    q = sa.update(ReportPart).where(ReportPart.id == part_id, ReportPart.status.in_(("queued", "running")))
    if running_as is not None:
        q = q.where(ReportPart.worker == running_as)
    if db.session.execute(q.values(status=status, reason=reason, lease_until=None)).rowcount != 1:
        db.session.rollback()
        return
    part = db.session.get(ReportPart, part_id)
    # An atomic counter: parts finish on different workers at the same time.
    db.session.execute(sa.update(ReportBatch).where(ReportBatch.id == part.batch_id)
                       .values(done=ReportBatch.done + len(part.assessment_ids)))
    db.session.commit()
    open_parts = db.session.scalar(sa.select(sa.func.count()).select_from(ReportPart).where(
        ReportPart.batch_id == part.batch_id, ReportPart.status.in_(("queued", "running"))))
    if open_parts == 0:
        db.session.execute(sa.update(ReportBatch).where(ReportBatch.id == part.batch_id)
                           .values(lease_until=utcnow() + _lease()))
        db.session.commit()
        zip_batch(part.batch_id)  # two parts finishing together may both queue it; the second finds it done


@huey.task()
def zip_batch(batch_id: int) -> None:
    with queue_app().app_context():
        batch = db.session.get(ReportBatch, batch_id)
        if batch is None or batch.status != "running" or batch.attempts >= MAX_ATTEMPTS:
            return
        batch.attempts += 1
        batch.lease_until = utcnow() + _lease()
        db.session.commit()
        try:
            collect(batch_id)
        except Exception as exc:
            db.session.rollback()
            current_app.logger.exception("batch %s: writing the ZIP failed", batch_id)
            _retry_or_fail_batch(batch_id, f"{type(exc).__name__}: {exc}", zip_batch)


def collect(batch_id: int) -> None:
    """Write the ZIP from the render cache (a report rendered by a part is not rendered again)."""
    batch = db.session.get(ReportBatch, batch_id)
    user = db.session.get(User, batch.created_by_id)
    parts = db.session.scalars(sa.select(ReportPart).where(ReportPart.batch_id == batch_id).order_by(ReportPart.id)).all()
    lost = {aid: p.reason for p in parts if p.status == "failed" for aid in p.assessment_ids}
    ids = [aid for p in parts for aid in p.assessment_ids]
    folder = Path(current_app.instance_path) / "batches"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"batch-{batch.id}.zip"
    partial = folder / f"batch-{batch.id}.{os.getpid()}.part"  # two ZIP steps at once must not write one file
    failures, used = [], set()
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as zf:  # PDFs are compressed already
        for a in sorted((db.session.get(Assessment, i) for i in ids), key=lambda a: (a.company.name, a.company.id)):
            if a.id in lost:  # its worker died on it three times: rendering it here could kill this one too
                failures.append({"assessment": a.id, "company": a.company.name, "reason": lost[a.id]})
                continue
            # Firm, instrument and date (zipfile marks non-ASCII names as UTF-8); the id only on a clash.
            name = report_name(a, batch.lang)
            if name in used:
                name = f"{name[:-4]}-{a.id}.pdf"
            used.add(name)
            try:
                zf.writestr(name, render_report(a, batch.lang))
            except Exception as exc:
                failures.append({"assessment": a.id, "company": a.company.name, "reason": f"{type(exc).__name__}: {exc}"[:300]})
    os.replace(partial, path)
    batch.failures = failures
    batch.path = str(path)
    batch.status = "done"
    batch.done = batch.total
    batch.finished_at = utcnow()
    batch.lease_until = None
    notify(user, "batch_ready", f"/reports/batches/{batch.id}", done=batch.total - len(failures))
    db.session.commit()


def _pending_tasks() -> set[tuple[str, int]]:
    """(task name, first argument) of every task waiting in the queue."""
    out = set()
    for t in huey.pending():
        if t.args:
            out.add((t.name, t.args[0]))
    return out


def reap(batch_ids: list[int] | None = None) -> int:
    """Queue again the steps whose worker died (lease run out) or whose task left the queue
    without running; after MAX_ATTEMPTS mark them failed with the reason. Returns the steps acted on."""
    now = utcnow()
    q = sa.select(ReportBatch).where(ReportBatch.status.in_(("queued", "running")))
    if batch_ids is not None:
        q = q.where(ReportBatch.id.in_(batch_ids))
    batches = db.session.scalars(q).all()
    if not batches:
        return 0
    expired = [b for b in batches if b.lease_until is not None and _aware(b.lease_until) < now]
    parts = db.session.scalars(sa.select(ReportPart).where(
        ReportPart.batch_id.in_([b.id for b in batches]), ReportPart.status.in_(("queued", "running")),
        ReportPart.lease_until < now)).all()
    if not expired and not parts:
        return 0
    pending = _pending_tasks()
    acted = 0
    for part in parts:
        if part.status == "queued" and (render_part.name, part.id) in pending:
            continue  # still waiting its turn behind other work
        if part.attempts >= MAX_ATTEMPTS:
            _finish_part(part.id, "failed", f"{DIED}; tried {part.attempts} times")
        else:
            # Only one reaper re-queues it: the update holds on the lease it read.
            if db.session.execute(sa.update(ReportPart).where(ReportPart.id == part.id,
                                                              ReportPart.lease_until == part.lease_until)
                                  .values(status="queued", worker=None, lease_until=now + _lease())).rowcount != 1:
                db.session.rollback()
                continue
            db.session.commit()
            render_part(part.id)
        acted += 1
    for batch in expired:
        step = build_batch if batch.status == "queued" else zip_batch
        if batch.status == "running" and db.session.scalar(sa.select(sa.func.count()).select_from(ReportPart).where(
                ReportPart.batch_id == batch.id, ReportPart.status.in_(("queued", "running")))):
            continue  # parts still rendering: the ZIP's lease is not running yet
        if (step.name, batch.id) in pending:
            continue
        if batch.attempts >= MAX_ATTEMPTS:
            _fail_batch(batch.id, f"{DIED}; tried {batch.attempts} times")
        else:
            if db.session.execute(sa.update(ReportBatch).where(ReportBatch.id == batch.id,
                                                               ReportBatch.lease_until == batch.lease_until)
                                  .values(lease_until=now + _lease())).rowcount != 1:
                db.session.rollback()
                continue
            db.session.commit()
            step(batch.id)
        acted += 1
    return acted


def _aware(when):
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@huey.periodic_task(crontab(minute="*"))
def reap_all() -> None:
    """Once a minute in the worker: batches nobody is polling end too."""
    with queue_app().app_context():
        reap()
