"""The audit log: who logged in, looked at another firm's data, exported or generated reports."""
from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user

from .extensions import db
from .models import AuditEvent


def record(action: str, target: str | None = None, detail: dict | None = None, user=None) -> None:
    """Add an event to the session; the caller's commit stores it with the work it describes."""
    if user is False:  # explicitly nobody: a failed login for an unknown address
        user = None
    elif user is None and has_request_context() and current_user.is_authenticated:
        user = current_user
    db.session.add(AuditEvent(
        user_id=getattr(user, "id", None), zone_id=getattr(user, "zone_id", None), action=action,
        target=(target or "")[:200] or None, ip=request.remote_addr if has_request_context() else None, detail=detail))
