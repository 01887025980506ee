"""Password reset by mail, end to end through a real SMTP server on loopback."""
from __future__ import annotations

import re
import time

import sqlalchemy as sa

from diagnosis.api.tokens import issue
from diagnosis.extensions import db
from diagnosis.models import OutboxMessage, User

from .conftest import PASSWORD, csrf_from
from .test_mail import _body, smtp, worker  # noqa: F401  (fixtures)

NEW = "new-horse-battery-77"


def _ask(client, email):
    c = client()
    return c.post_form("/auth/forgot", {"email": email})


def _link(smtp) -> str:
    for _ in range(100):  # bounded wait for the worker
        if smtp.messages:
            break
        time.sleep(0.1)
    assert len(smtp.messages) == 1
    m = re.search(r"http://127\.0\.0\.1:8000(/auth/reset/\S+)", _body(smtp.messages[0]))
    assert m, _body(smtp.messages[0])
    return m.group(1)


def test_a_forgotten_password_is_reset_from_the_mail(app, world, client, smtp, worker):  # noqa: F811
    other_browser = client().login(world.a.enterprise)
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == world.a.enterprise))
        token = issue(user, "sync")
        db.session.commit()
    r = _ask(client, world.a.enterprise)
    assert r.status_code == 302
    link = _link(smtp)
    c = client()
    page = c.get(link)
    assert page.status_code == 200 and "设置新密码" in page.text
    r = c.c.post(link, data={"password": NEW, "confirm": NEW, "csrf_token": csrf_from(page.text)})
    assert r.status_code == 302 and r.headers["Location"].endswith("/auth/login")
    client().login(world.a.enterprise, NEW)
    assert client().post_form("/auth/login", {"email": world.a.enterprise, "password": PASSWORD}).status_code != 302
    # Sessions and API tokens from before the reset are over.
    assert other_browser.get("/home").status_code == 302
    assert app.test_client().get("/api/v1/companies", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    # The link works once.
    again = client().get(link)
    assert again.status_code == 400 and "链接已失效" in again.text


def test_an_unknown_address_gets_the_same_answer_and_no_mail(app, world, client):
    known = _ask(client, world.a.enterprise)
    unknown = _ask(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 302
    assert client().get(known.headers["Location"]).status_code == 200
    with app.app_context():
        rows = db.session.scalars(sa.select(OutboxMessage)).all()
        assert [r.to_address for r in rows] == [world.a.enterprise]  # held: no SMTP in this test


def test_an_expired_or_forged_link_is_refused(app, world, client):
    _ask(client, world.a.enterprise)
    with app.app_context():
        body = db.session.scalar(sa.select(OutboxMessage.body))
    link = re.search(r"(/auth/reset/\S+)", body).group(1)
    assert client().get(link + "x").status_code == 400
    saved = app.config["PASSWORD_RESET_HOURS"]
    app.config["PASSWORD_RESET_HOURS"] = 0
    try:
        time.sleep(1.1)
        assert client().get(link).status_code == 400
    finally:
        app.config["PASSWORD_RESET_HOURS"] = saved
    assert client().get(link).status_code == 200  # within its time it still works
