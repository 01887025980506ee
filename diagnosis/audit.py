"""The audit log: who logged in, looked at another firm's data, exported or generated reports."""
from __future__ import annotations

import sqlalchemy as sa
from flask import has_request_context, request
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


ACTIONS = ("login", "login_failed", "lockout", "login_locked", "view_result", "view_company", "report", "zone_report",
           "export", "import", "sample_draw", "sample_check")


def zone_events(zone_id: int, action: str | None = None, limit: int = 300) -> list:
    """The latest events of a zone's users, newest first, with who did them."""
    q = (sa.select(AuditEvent, User.name, User.email).outerjoin(User, User.id == AuditEvent.user_id)
         .where(AuditEvent.zone_id == zone_id))
    if action:
        q = q.where(AuditEvent.action == action)
    return db.session.execute(q.order_by(AuditEvent.id.desc()).limit(limit)).all()
