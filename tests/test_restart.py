"""A server restart mid-assessment loses nothing that was acknowledged: gunicorn is
killed outright (SIGKILL, no graceful shutdown) between two answers and started again."""
from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import sqlalchemy as sa

from diagnosis.extensions import db
from diagnosis.models import Answer

from .conftest import PASSWORD
from .helpers import sme

GUNICORN = str(Path(sys.executable).parent / "gunicorn")
ROOT = Path(__file__).resolve().parents[1]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(app, port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "restart-test-secret",
           "LOGIN_RATE_LIMIT": "1000 per minute"}
    proc = subprocess.Popen([GUNICORN, "--bind", f"127.0.0.1:{port}", "--workers", "2", "--log-level", "warning", "wsgi:app"],
                            cwd=ROOT, env=env, start_new_session=True)
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("gunicorn did not start")


def test_answers_survive_a_killed_server(app, world):
    port = _port()
    base = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(path):
        with opener.open(base + path, timeout=10) as r:
            return r.read().decode()

    def post(path, data=None, json_body=None, token=None):
        headers = {"X-CSRFToken": token} if token else {}
        if json_body is not None:
            body, headers["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        else:
            body = urllib.parse.urlencode(data).encode()
        try:
            with opener.open(urllib.request.Request(base + path, data=body, headers=headers), timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def csrf(html):
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)

    singles = [q for q in sme().questions if q.type == "single"][:2]
    server = _serve(app, port)
    try:
        post("/auth/login", {"email": world.a.enterprise, "password": PASSWORD, "csrf_token": csrf(get("/auth/login"))})
        status, html = post("/assessments/new", {"instrument": "sme-digital", "csrf_token": csrf(get("/home"))})
        aid = int(re.search(r"/assessments/(\d+)/answers", html).group(1))
        token = csrf(html)
        first = {singles[0].id: singles[0].options[1].id}
        status, body = post(f"/assessments/{aid}/answers", json_body={"answers": first, "base": {singles[0].id: 0}}, token=token)
        assert status == 200, body
    finally:
        os.killpg(server.pid, signal.SIGKILL)  # no graceful shutdown: as a crash or a power cut would
        server.wait(timeout=10)
    server = _serve(app, port)
    try:
        page = get(f"/assessments/{aid}/page/1")  # the same browser session, after the restart
        assert re.search(rf'value="{singles[0].options[1].id}"[^>]*checked|checked[^>]*value="{singles[0].options[1].id}"', page)
        second = {singles[1].id: singles[1].options[0].id}
        status, body = post(f"/assessments/{aid}/answers", json_body={"answers": second, "base": {singles[1].id: 0}},
                            token=csrf(page))
        assert status == 200, body
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    with app.app_context():
        stored = {a.question_id: a.value for a in db.session.scalars(sa.select(Answer).where(Answer.assessment_id == aid))}
    assert stored == {**first, **second}
