"""The daily reminder round of improvement plans, run by the queue worker (plans/service.send_due_reminders)."""
from __future__ import annotations

from huey import crontab

from ..queue import app as queue_app
from ..queue import huey


@huey.periodic_task(crontab(hour="8", minute="17"))  # once a day: an item is reminded once per due date
def remind_plan_owners() -> int:
    from .service import send_due_reminders
    with queue_app().app_context():
        return send_due_reminders()
