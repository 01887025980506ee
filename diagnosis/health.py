"""What /healthz checks: the database takes a write, the task queue answers."""
from __future__ import annotations

import sqlalchemy as sa

from .extensions import db


def database() -> str:
    """"ok", "read-only" (reads work, a write is refused) or "down"."""
    try:
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            try:
                # A write that changes nothing, rolled back: it still needs a writable database.
                conn.execute(sa.text("UPDATE alembic_version SET version_num = version_num"))
            except sa.exc.DBAPIError:
                return "read-only"
            finally:
                conn.rollback()
    except sa.exc.DBAPIError:
        return "down"
    return "ok"


def queue() -> str:
    from .queue import huey
    try:
        huey.pending_count()
    except Exception:  # any failure to reach the queue's storage (file, Redis) is what we report
        return "down"
    return "ok"


def check() -> tuple[dict, int]:
    parts = {"database": database(), "queue": queue()}
    ok = all(v == "ok" for v in parts.values())
    return {"status": "ok" if ok else "failing", **parts}, 200 if ok else 503
