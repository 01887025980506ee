"""The audit log: who logged in, looked at another firm's data, exported or generated reports."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request
from flask_login import current_user

from .extensions import db
from .models import AuditEvent, User


def record(action: str, target: str | None = None, detail: dict | None = None, user=None) -> None:
    """Add an event to the session; the caller's commit stores it with the work it describes."""
    if user is False:  # explicitly nobody: a failed login for an unknown address
        user = None
    elif user is None and has_request_context() and current_user.is_authenticated:
        user = current_user
    db.session.add(AuditEvent(
        user_id=getattr(user, "id", None), zone_id=getattr(user, "zone_id", None), action=action,
        target=(target or "")[:200] or None, ip=request.remote_addr if has_request_context() else None, detail=detail))


ACTIONS = ("login", "login_failed", "lockout", "login_locked", "view", "report", "zone_report", "export", "import",
           "register", "register_existing", "password_changed", "deactivated", "view_result", "view_company",
           "sample_draw", "sample_check", "assign", "unassign", "invite_created", "invite_expired", "register_refused",
           "user_invited", "invite_accepted", "reactivated", "data_export", "closure_requested", "closure_refused",
           "closure_confirmed", "closure_setting")


def zone_events(zone_id: int | tuple[int, ...], action: str | None = None, limit: int = 300) -> list:
    """The latest events of a zone's users (or of the zones below an area), newest first, with who did them."""
    where = AuditEvent.zone_id.in_(zone_id) if isinstance(zone_id, tuple) else AuditEvent.zone_id == zone_id
    q = (sa.select(AuditEvent, User.name, User.email).outerjoin(User, User.id == AuditEvent.user_id).where(where))
    if action:
        q = q.where(AuditEvent.action == action)
    return db.session.execute(q.order_by(AuditEvent.id.desc()).limit(limit)).all()


def flush_reads(response):
    """after_request: one audit event per request in which staff read a firm's data (noted by
    `access.note_read` wherever an assessment or company is fetched for a user), naming the
    objects and the route. A failure to write it is logged, never turned into a failed read."""
    reads = {k: v for k, v in (g.pop("staff_reads", None) or {}).items() if v}
    user = g.pop("staff_reader", None)
    if not reads or user is None or response.status_code >= 400 or request.method not in ("GET", "HEAD"):
        return response  # a write is kept in its own log (answer changes, comments, imports)
    kind, ids = next(iter(reads.items()))
    count = sum(map(len, reads.values()))
    target = f"{kind}:{ids[0]}" + (f" (+{count - 1})" if count > 1 else "")
    try:
        db.session.add(AuditEvent(user_id=user.id, zone_id=user.zone_id, action="view", target=target[:200],
                                  ip=request.remote_addr,
                                  detail={"route": request.endpoint, "method": request.method, "path": request.path[:200],
                                          "objects": {k: v[:100] for k, v in reads.items()}}))
        db.session.commit()
    except Exception:
        current_app.logger.exception("could not write the audit event for %s", request.path)
        db.session.rollback()
    return response
