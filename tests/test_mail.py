"""Mail through a real SMTP server on loopback (aiosmtpd), the outbox, and in-app notifications."""
from __future__ import annotations

import email
import socket
import time
from email.header import decode_header, make_header

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from diagnosis.extensions import db
from diagnosis.models import Notification, OutboxMessage, User

from .conftest import csrf_from
from .helpers import extreme_answers, sme


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self):
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    saved = {k: app.config.get(k) for k in ("MAIL_ENABLED", "MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL")}
    app.config.update(MAIL_ENABLED=True, MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False,
                      MAIL_USE_SSL=False)
    yield inbox
    app.config.update(saved)
    controller.stop()


@pytest.fixture
def worker(app):
    from huey.consumer import Consumer

    from diagnosis import mail  # noqa: F401  (registers the task)
    from diagnosis.queue import huey
    huey.flush()
    consumer = Consumer(huey, workers=1, worker_type="thread", periodic=False, check_worker_health=False)
    consumer.start()
    yield
    consumer.stop(graceful=True)


def _subject(m) -> str:
    return str(make_header(decode_header(m["Subject"])))


def _body(m) -> str:
    part = next(p for p in m.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def _assign(client, world, firm_uscc):
    admin = client().login(world.a.zone_admin)
    page = admin.get("/zone/assignments").text
    with admin.c.application.app_context():
        consultant_id = db.session.scalar(sa.select(User.id).where(User.email == world.a.consultant))
    r = admin.c.post("/zone/assignments", data={"consultant": str(consultant_id), "codes": firm_uscc,
                                                "csrf_token": csrf_from(page)})
    assert r.status_code == 302
    return admin


def _uscc(app, company_id):
    from diagnosis.models import Company
    with app.app_context():
        return db.session.get(Company, company_id).uscc


def test_an_assignment_reaches_the_consultant_by_mail_in_their_language(app, world, client, smtp, worker):
    with app.app_context():
        db.session.scalar(sa.select(User).where(User.email == world.a.consultant)).lang = "en"
        db.session.commit()
    _assign(client, world, _uscc(app, world.a.other))
    for _ in range(100):  # bounded wait for the worker
        if smtp.messages:
            break
        time.sleep(0.1)
    assert len(smtp.messages) == 1
    m = smtp.messages[0]
    assert m["To"] == world.a.consultant and _subject(m) == "New firms assigned"
    body = _body(m)
    assert "A号电子有限公司" in body and "http://127.0.0.1:8000/workspace/" in body
    with app.app_context():
        row = db.session.scalar(sa.select(OutboxMessage))
        assert (row.status, row.attempts, row.kind) == ("sent", 1, "assigned")
    # In the app too: the bell counts it until it is read.
    c = client().login(world.a.consultant)
    assert 'class="count"' in c.get("/home").text
    page = c.get("/notifications/").text
    assert "A号电子有限公司" in page
    c.c.post("/notifications/", data={"csrf_token": csrf_from(page)})
    assert 'class="count"' not in c.get("/home").text


def test_without_smtp_mail_stays_in_the_outbox_for_zone_staff(app, world, client):
    aid = client().login(world.a.enterprise).submit(extreme_answers(sme(), best=True))
    consultant = client().login(world.a.consultant)
    page = consultant.get(f"/assessments/{aid}/comments").text
    r = consultant.c.post(f"/assessments/{aid}/comments", data={"comments": "第一段。\n\n第二段。", "finalise": "1",
                                                                 "confirm": "yes", "csrf_token": csrf_from(page)})
    assert r.status_code == 302
    with app.app_context():
        # The submission (with the firm's pledge) told the consultant; finalising tells the firm.
        rows = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(r.kind, r.to_address) for r in rows] == [("pledged", world.a.consultant),
                                                          ("report_final", world.a.enterprise)]
        row = rows[1]
        assert row.status == "held"
        assert row.subject == "诊断报告已定稿" and f"/assessments/{aid}/result" in row.body
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                                 .where(Notification.kind == "report_final")) == 1
    outbox = client().login(world.a.zone_admin).get("/zone/outbox").text
    assert "诊断报告已定稿" in outbox and world.a.enterprise in outbox and "未配置邮件服务器" in outbox
    assert "诊断报告已定稿" not in client().login(world.b.zone_admin).get("/zone/outbox").text
    for email_ in (world.a.enterprise, world.a.consultant):
        assert client().login(email_).get("/zone/outbox").status_code == 403


def test_a_user_can_turn_mail_off_and_keep_the_bell(app, world, client):
    c = client().login(world.a.consultant)
    page = c.get("/notifications/settings").text
    r = c.c.post("/notifications/settings", data={"lang": "zh", "csrf_token": csrf_from(page), "save": "1"})
    assert r.status_code == 302
    _assign(client, world, _uscc(app, world.a.other))
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1


def test_a_message_that_cannot_be_delivered_is_marked_failed_with_the_reason(app, world):
    from diagnosis import mail
    with app.app_context():
        app.config.update(MAIL_ENABLED=True, MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())  # nobody listens
        try:
            user = db.session.scalar(sa.select(User).where(User.email == world.a.consultant))
            row = mail.send(user, "assigned", "subject", "body")
            db.session.info.pop(mail.PENDING, None)  # deliver by hand below, not through the queue
            db.session.commit()
            with pytest.raises(OSError):
                mail.deliver.call_local(row.id)
            db.session.expire_all()
            row = db.session.get(OutboxMessage, row.id)
            assert row.status == "failed" and row.attempts == 1 and "Connection refused" in row.last_error
        finally:
            app.config.update(MAIL_ENABLED=False)


def test_mail_settings_come_from_mail_url():
    from diagnosis.config import ConfigError, mail_settings
    cfg = mail_settings({"MAIL_URL": "smtp://zone%40example.com:p%3Ass@mail.example.com:587?starttls=1"})
    assert (cfg["MAIL_SERVER"], cfg["MAIL_PORT"], cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"], cfg["MAIL_USE_TLS"],
            cfg["MAIL_ENABLED"]) == ("mail.example.com", 587, "zone@example.com", "p:ss", True, True)
    assert mail_settings({"MAIL_URL": "smtps://mail.example.com"})["MAIL_PORT"] == 465
    assert mail_settings({})["MAIL_ENABLED"] is False
    with pytest.raises(ConfigError):
        mail_settings({"MAIL_URL": "http://mail.example.com"})
