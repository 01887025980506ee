"""Operations: backup and restore of the embedded database, production settings, login protection."""
from __future__ import annotations

import sqlalchemy as sa

from diagnosis import create_app
from diagnosis.cli import main
from diagnosis.config import ConfigError
from diagnosis.extensions import db
from diagnosis.history import erasure
from diagnosis.models import AuditEvent, LoginThrottle, User

from .helpers import extreme_answers, sme


def test_backup_and_restore_round_trip(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'live.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    runner = app.test_cli_runner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(main, ["demo", "--firms", "40"]).exit_code == 0
    r = runner.invoke(main, ["backup", "--out", str(tmp_path / "copy.sqlite")])
    assert r.exit_code == 0 and "assessments" in r.output
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(User))
        with erasure(db.session):  # damage to repair, the audit log included (append-only otherwise)
            db.session.execute(sa.delete(AuditEvent))
        db.session.execute(sa.text("DELETE FROM api_tokens"))
        db.session.execute(sa.update(User).values(name="changed"))
        db.session.commit()
    r = runner.invoke(main, ["restore", str(tmp_path / "copy.sqlite"), "--yes"])
    assert r.exit_code == 0, r.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.name == "changed")) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == before
    # Anything that is not one of our databases is refused and changes nothing.
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all")
    r = runner.invoke(main, ["restore", str(junk), "--yes"])
    assert r.exit_code != 0 and "not" in r.output


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    try:
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite'}"})
    except ConfigError as e:
        assert "SECRET_KEY" in str(e)
    else:
        raise AssertionError("started without SECRET_KEY")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite'}"})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]


def test_repeated_failed_logins_lock_the_address_out_of_the_account_and_are_audited(app, world, client):
    c = client()
    for _ in range(app.config["LOCKOUT_AFTER"]):
        r = c.post_form("/auth/login", {"email": world.a.enterprise, "password": "wrong-password-1"})
        assert r.status_code == 200 and "邮箱或密码不正确" in r.text
    # Now even the right password is refused from this address until the lock expires, with the same answer.
    r = c.post_form("/auth/login", {"email": world.a.enterprise, "password": "correct-horse-42"})
    assert r.status_code == 200 and "邮箱或密码不正确" in r.text and "锁定" not in r.text
    with app.app_context():
        actions = [e.action for e in db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))]
        assert actions.count("login_failed") == app.config["LOCKOUT_AFTER"] and "lockout" in actions and "login_locked" in actions
        db.session.execute(sa.delete(LoginThrottle))
        db.session.commit()
    client().login(world.a.enterprise)
    with app.app_context():
        assert db.session.scalar(sa.select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)) == "login"


def test_login_is_rate_limited_per_address(app, world, tmp_path):
    limited = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                          "SECRET_KEY": "test-secret", "LOGIN_RATE_LIMIT": "3 per minute", "WTF_CSRF_ENABLED": False})
    c = limited.test_client()
    codes = [c.post("/auth/login", data={"email": "nobody@example.com", "password": "x"},
                    environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    assert c.post("/auth/login", data={"email": "nobody@example.com", "password": "x"},
                  environ_base={"REMOTE_ADDR": "10.9.8.8"}).status_code == 200


def test_weak_passwords_are_refused_at_registration(app, world, client):
    c = client()
    for pw in ("short1", "onlyletters", "1234567890", "password123", "aaaa1111aaaa"):
        r = c.post_form("/auth/register", {"invite_code": world.a.invite, "name": "x", "email": "new@example.com",
                                           "password": pw, "confirm": pw, "privacy": "y"})
        assert r.status_code == 200 and "注册成功" not in r.text, pw
    r = c.post_form("/auth/register", {"invite_code": world.a.invite, "name": "x", "email": "zhangwei88@example.com",
                                       "password": "zhangwei88xyz", "confirm": "zhangwei88xyz", "privacy": "y"})
    assert "密码不能包含邮箱名" in r.text


def test_views_of_another_firms_data_are_audited(app, world, client):
    firm = client().login(world.a.enterprise)
    aid = firm.submit(extreme_answers(sme(), best=True))
    client().login(world.a.zone_admin).get(f"/assessments/{aid}/result")
    client().login(world.a.consultant).get(f"/assessments/{aid}/report.pdf")
    with app.app_context():
        events = {(e.action, e.target) for e in db.session.scalars(sa.select(AuditEvent))}
        assert ("view", f"assessment:{aid}") in events and ("report", str(aid)) in events


def test_an_oversized_upload_is_refused_with_a_clear_message(app, world, client):
    import io
    c = client().login(world.a.zone_admin)
    token = __import__("tests.conftest", fromlist=["csrf_from"]).csrf_from(c.get("/imports/").text)
    big = io.BytesIO(b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    r = c.c.post("/imports/", data={"csrf_token": token, "instrument": "sme-digital", "file": (big, "huge.xlsx")},
                 content_type="multipart/form-data")
    assert r.status_code == 413 and "文件太大" in r.text


def test_zone_staff_read_their_zones_audit_log_only(app, world, client):
    client().login(world.a.enterprise)
    client().login(world.b.enterprise)
    a = client().login(world.a.zone_admin)
    html = a.get("/zone/audit?action=login").text
    assert "firm-a@example.com" in html and "firm-b@example.com" not in html
    assert a.get("/zone/audit?action=drop").status_code == 400
    assert client().login(world.a.consultant).get("/zone/audit").status_code == 403
