"""Load test: concurrent firms answering a questionnaire against gunicorn + PostgreSQL.

    .venv/bin/python benchmarks/load.py [--users 50] [--seconds 90] [--database-url postgresql://...]

Creates a scratch database (dropped and re-created each run), a zone and one firm
account per user, starts gunicorn on a free loopback port, then runs the users in
threads: each logs in, starts the SME assessment and saves its answers one question
at a time through the autosave endpoint, as a phone does, then submits. Prints
throughput and latency percentiles for one user alone (the baseline) and for all
users at once, the errors seen, and checks in the database that every answer the
server acknowledged is stored: lost answers must be zero.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import numpy as np  # noqa: E402
import sqlalchemy as sa  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Load-test-2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scratch_database(url: str) -> str:
    """Drop and create the database named in url, on the same server."""
    base, name = url.rsplit("/", 1)
    engine = sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://") + "/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return url


def prepare(url: str, users: int) -> list[str]:
    os.environ["DATABASE_URL"] = url
    from diagnosis import create_app
    from diagnosis.demo import demo_uscc
    from diagnosis.extensions import db
    from diagnosis.models import Company, User, Zone
    app = create_app()
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        zone = Zone(name="压测园区", invite_code="LOAD-TEST")
        db.session.add(zone)
        db.session.flush()
        emails = []
        for i in range(users):
            c = Company(zone_id=zone.id, name=f"压测企业{i}", uscc=demo_uscc(900_000 + i), industry_section="C",
                        industry_division="34", employees=100, revenue=5000.0, size_class="small")
            db.session.add(c)
            db.session.flush()
            u = User(email=f"load{i}@example.com", name=f"用户{i}", role="enterprise", zone_id=zone.id, company_id=c.id)
            u.set_password(PASSWORD)
            db.session.add(u)
            emails.append(u.email)
        db.session.commit()
    return emails


class Browser:
    """One user's cookie jar and CSRF token, timing every request."""

    def __init__(self, base: str, stats: Stats):
        self.base = base
        self.stats = stats
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, method: str, path: str, data: bytes | None = None, headers: dict | None = None,
                kind: str = "page") -> tuple[int, str]:
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        t = time.perf_counter()
        try:
            with self.opener.open(req, timeout=30) as r:
                body = r.read().decode("utf-8")
                status = r.status
        except urllib.error.HTTPError as e:
            body, status = e.read().decode("utf-8", "replace"), e.code
        except OSError as e:
            self.stats.record(time.perf_counter() - t, f"{method} {path.split('?')[0]}: {e}", kind)
            return 0, ""
        where = re.sub(r"/\d+", "/N", path)
        self.stats.record(time.perf_counter() - t, None if status < 400 else f"{method} {where}: {status}", kind)
        return status, body

    @staticmethod
    def csrf(html: str) -> str:
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)

    def form(self, path: str, fields: dict, page: str | None = None) -> tuple[int, str]:
        _, html = self.request("GET", page or path)
        body = urllib.parse.urlencode({**fields, "csrf_token": self.csrf(html)}).encode()
        return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.autosave: list[float] = []
        self.errors: list[str] = []

    def record(self, seconds: float, error: str | None, kind: str = "page") -> None:
        with self.lock:
            self.latencies.append(seconds)
            if kind == "autosave":
                self.autosave.append(seconds)
            if error:
                self.errors.append(error)


def run_user(base: str, email: str, answers: dict, stats: Stats, deadline: float, acked: dict) -> None:
    b = Browser(base, stats)
    b.form("/auth/login", {"email": email, "password": PASSWORD})
    status, html = b.form("/assessments/new", {"instrument": "sme-digital"}, page="/home")
    m = re.search(r"/assessments/(\d+)/page/", html) or re.search(r'data-autosave-url="/assessments/(\d+)/answers"', html)
    if not m:
        stats.record(0.0, f"could not start an assessment ({status})")
        return
    aid = int(m.group(1))
    token = b.csrf(html)
    versions: dict = {}
    acked[aid] = {}
    for qid, value in answers.items():
        if time.perf_counter() > deadline:
            return
        body = json.dumps({"answers": {qid: value}, "base": {qid: versions.get(qid, 0)}}).encode()
        status, text = b.request("POST", f"/assessments/{aid}/answers", body,
                                 {"Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json"},
                                 kind="autosave")
        if status == 200:
            versions = json.loads(text)["versions"]
            acked[aid][qid] = value
    b.form(f"/assessments/{aid}/review", {"pledge": "yes"}, page=f"/assessments/{aid}/review")  # with the pledge


def load(base: str, emails: list[str], seconds: float) -> tuple[Stats, dict, float]:
    import questionnaires
    from questionnaires.synthetic import answer_sets
    inst = questionnaires.get("sme-digital")
    sets = answer_sets(inst, len(emails), np.random.default_rng(11), np.full(len(emails), 0.5))
    stats, acked = Stats(), {}
    deadline = time.perf_counter() + seconds
    threads = [threading.Thread(target=run_user, args=(base, e, a, stats, deadline, acked)) for e, a in zip(emails, sets)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return stats, acked, time.perf_counter() - t


def lost_answers(url: str, acked: dict) -> int:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    lost = 0
    with engine.connect() as conn:
        for aid, answers in acked.items():
            stored = dict(conn.execute(sa.text("SELECT question_id, value FROM answers WHERE assessment_id = :a"), {"a": aid}).all())
            lost += sum(1 for qid, v in answers.items() if qid not in stored or stored[qid] != v)
    return lost


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return 1000 * values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def report(label: str, stats: Stats, elapsed: float) -> float:
    lat = stats.latencies
    print(f"{label:<22}{len(lat):>9}{len(lat) / elapsed:>10.1f}{pct(lat, .5):>9.1f}{pct(lat, .95):>9.1f}{pct(lat, .99):>9.1f}"
          f"{pct(stats.autosave, .5):>11.1f}{pct(stats.autosave, .95):>11.1f}{len(stats.errors):>8}")
    return pct(stats.autosave, .95)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=90)
    ap.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    ap.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    ap.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/diagnosis_load")
    args = ap.parse_args()

    url = scratch_database(args.database_url)
    emails = prepare(url, args.users + 1)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "load-test-" + "k" * 32,
           "LOGIN_RATE_LIMIT": "100000 per minute", "QUEUE_PATH": str(ROOT / "instance" / "load-queue.sqlite")}
    server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
                               "--threads", str(args.threads), "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        print(f"gunicorn {args.workers} workers x {args.threads} threads, PostgreSQL at {url.rsplit('@', 1)[-1]}")
        print("All requests (login, pages, autosaves, submit) and autosaves alone; milliseconds.")
        print(f"{'run':<22}{'requests':>9}{'req/s':>10}{'p50':>9}{'p95':>9}{'p99':>9}{'save p50':>11}{'save p95':>11}{'errors':>8}")
        one, acked_one, t_one = load(base, emails[:1], args.seconds)
        p95_one = report("1 user (baseline)", one, t_one)
        many, acked, t_many = load(base, emails[1:], args.seconds)
        p95_many = report(f"{args.users} users", many, t_many)
        acked.update(acked_one)
        lost = lost_answers(url, acked)
        saved = sum(len(a) for a in acked.values())
        print(f"\nautosave p95, {args.users} users / 1 user: {p95_many / p95_one:.1f}x")
        print(f"answers acknowledged: {saved}; lost (acknowledged but not in the database): {lost}")
        for e in sorted(set(one.errors + many.errors))[:10]:
            print("error:", e)
        if lost or one.errors or many.errors:
            sys.exit(1)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
