"""Mail. Every message is written to the outbox first; when SMTP is configured (MAIL_URL) a queue
task delivers it, retrying, and the outbox row says whether it went out and, if not, why. With no
SMTP (the embedded default) messages stay in the outbox as 'held' and are read in the app."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_mail import Connection, Mail, Message
from sqlalchemy.orm import Session

from .extensions import db
from .models import OutboxMessage, User, utcnow
from .queue import app as queue_app
from .queue import huey

PENDING = "outbox_pending"  # session.info key: messages to hand to the queue once the transaction commits


def send(to: User | str, kind: str, subject: str, body: str, zone_id: int | None = None,
         lang: str | None = None) -> OutboxMessage:
    """Put a message in the outbox; it is queued for delivery when the caller's transaction commits.
    `lang`: the language the message was written in, when it is not the recipient account's."""
    user = to if isinstance(to, User) else None
    row = OutboxMessage(to_address=user.email if user else to, user_id=user.id if user else None,
                        zone_id=zone_id if zone_id is not None else (user.zone_id if user else None),
                        kind=kind, subject=subject[:300], body=body, lang=lang or (user.lang if user else "zh"),
                        status="queued" if current_app.config.get("MAIL_ENABLED") else "held", attempts=0)
    db.session.add(row)
    db.session.flush()
    if row.status == "queued":  # the address travels with the task: a closed account's row is scrubbed before delivery
        db.session.info.setdefault(PENDING, []).append((row.id, row.to_address))
    return row


@sa.event.listens_for(Session, "after_commit")
def _queue_committed(session: Session) -> None:
    for outbox_id, address in session.info.pop(PENDING, []):
        deliver(outbox_id, address)


@sa.event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(PENDING, None)


@huey.task(retries=3, retry_delay=30, context=True)
def deliver(outbox_id: int, address: str | None = None, task=None) -> None:
    """Send one message over SMTP; after the last retry the row is marked failed with the reason."""
    with queue_app().app_context():
        row = db.session.get(OutboxMessage, outbox_id)
        if row is None or row.status != "queued":
            return
        row.attempts += 1
        try:
            smtp_send(row, address)
        except Exception as exc:
            row.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if task is None or task.retries == 0:
                row.status = "failed"
            db.session.commit()
            raise
        row.status, row.sent_at, row.last_error = "sent", utcnow(), None
        db.session.commit()


def smtp_send(row: OutboxMessage, address: str | None = None) -> None:
    config = current_app.config
    # Flask-Mail reads its settings from app.extensions; they are taken from the config at each send,
    # so a worker follows the settings it runs with.
    current_app.extensions["mail"] = state = Mail().init_mail(config)
    with Connection(state) as connection:
        connection.send(Message(subject=row.subject, recipients=[address or row.to_address], body=row.body,
                                sender=config["MAIL_DEFAULT_SENDER"]))


def zone_outbox(zone_id: int | tuple[int, ...], limit: int = 200) -> list[OutboxMessage]:
    """Mail of a zone (or of the zones below an area)."""
    where = OutboxMessage.zone_id.in_(zone_id) if isinstance(zone_id, tuple) else OutboxMessage.zone_id == zone_id
    return db.session.scalars(sa.select(OutboxMessage).where(where)
                              .order_by(OutboxMessage.id.desc()).limit(limit)).all()
