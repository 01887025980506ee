"""Rate limits hold across gunicorn worker processes and their restarts on the embedded
default, logins and the invitation-code check alike (issue 15, finding 7)."""
from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from .test_restart import GUNICORN, ROOT, _port

LIMIT = 5


def _serve(app, port: int, tmp_path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "limit-test-secret",
           "LOGIN_RATE_LIMIT": f"{LIMIT} per minute", "RATELIMIT_PATH": str(tmp_path / "limits.sqlite")}
    env.pop("REDIS_URL", None)  # the embedded default is what is tested here
    proc = subprocess.Popen([GUNICORN, "--bind", f"127.0.0.1:{port}", "--workers", "2", "--log-level", "warning",
                             "wsgi:app"], cwd=ROOT, env=env, start_new_session=True)
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/auth/login", timeout=1)
            return proc
        except OSError:
            time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    raise AssertionError("gunicorn did not start")


def _post(url: str, data: dict) -> int:
    """Like a browser: read the form (its CSRF token and cookie), then POST it, on connections of their own."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(url, timeout=20) as r:
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', r.read().decode()).group(1)
    try:
        with opener.open(url, data=urllib.parse.urlencode({**data, "csrf_token": token}).encode(), timeout=20) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def _burst(url: str, data: dict, n: int) -> list[int]:
    with ThreadPoolExecutor(max_workers=6) as pool:  # concurrent: both sync workers busy at once
        return list(pool.map(lambda _: _post(url, data), range(n)))


def test_limits_hold_across_two_workers_and_a_restart(app, world, tmp_path):
    port = _port()
    base = f"http://127.0.0.1:{port}"
    proc = _serve(app, port, tmp_path)
    try:
        codes = _burst(f"{base}/auth/login", {"email": "x@example.com", "password": "guess-123456"}, 20)
        # Wrong passwords answer 200 (the page again) until the limit, then 429, whichever worker answers.
        assert codes.count(429) == 20 - LIMIT, codes
        # The invitation-code check is limited the same way: it must not become an oracle for codes.
        codes = _burst(f"{base}/auth/register", {"invite_code": "GUESS", "name": "x", "email": "y@example.com",
                                                 "password": "longpassword1", "confirm": "longpassword1", "privacy": "y"}, 12)
        assert codes.count(429) == 12 - LIMIT, codes
        # Workers restarted (HUP): the counts live in the shared file, not in the workers.
        os.kill(proc.pid, signal.SIGHUP)
        time.sleep(3)
        assert _post(f"{base}/auth/login", {"email": "x@example.com", "password": "guess-123456"}) == 429
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
