"""The reminder round, run by the queue worker on a schedule: each programme's own interval and cap
decide who is reminded (programmes/service.send_due_reminders)."""
from __future__ import annotations

from huey import crontab

from ..queue import app as queue_app
from ..queue import huey


@huey.periodic_task(crontab(minute="7"))  # hourly: a programme's interval is whole days, an hour late is fine
def remind_roster_firms() -> int:
    from .service import send_due_reminders
    with queue_app().app_context():
        return send_due_reminders()
