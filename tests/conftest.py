"""Test fixtures: a migrated database (PostgreSQL when TEST_DATABASE_URL reaches one,
SQLite otherwise), a small two-zone world, and clients that log in through the
real forms with CSRF on."""
from __future__ import annotations

import os
import re
import tempfile
import warnings
from types import SimpleNamespace

# The task queue of the tests lives in a file of its own (unless REDIS_URL points at Redis).
os.environ.setdefault("QUEUE_PATH", os.path.join(tempfile.mkdtemp(prefix="diagnosis-queue-"), "queue.sqlite"))
# ... and so do the rate-limit counters, fresh for every run.
os.environ.setdefault("RATELIMIT_PATH", os.path.join(os.path.dirname(os.environ["QUEUE_PATH"]), "ratelimit.sqlite"))

import pytest
import sqlalchemy as sa

from diagnosis import create_app
from diagnosis.assessments.review import PLEDGE_VERSION
from diagnosis.config import database_url
from diagnosis.demo import demo_uscc
from diagnosis.extensions import db
from diagnosis.history import erasure
from diagnosis.models import Assignment, Company, User, Zone

PASSWORD = "correct-horse-42"
PLEDGE = {"pledge": "yes", "pledge_version": PLEDGE_VERSION}  # the submit form's truthfulness pledge, ticked


def _database(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        url = database_url(url)
        try:
            with sa.create_engine(url).connect():
                return url
        except sa.exc.OperationalError as exc:
            warnings.warn(f"TEST_DATABASE_URL is not reachable ({exc.orig}); testing on SQLite instead", stacklevel=2)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = _database(tmp_path_factory)
    # Tests log in hundreds of times from one address; the limits have tests of their own.
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test-secret",
                      "LOGIN_RATE_LIMIT": "100000 per minute", "API_RATE_LIMIT": "100000 per minute",
                      # Rendered reports and evidence of one run must not serve the next one.
                      "REPORT_CACHE_DIR": str(tmp_path_factory.mktemp("reports")),
                      "EVIDENCE_DIR": str(tmp_path_factory.mktemp("evidence"))})
    with app.app_context():
        # Start from nothing and build the schema the way production does: by migrations.
        # Reflect into a separate MetaData so leftovers never join the models' tables.
        leftovers = sa.MetaData()
        leftovers.reflect(db.engine)
        leftovers.drop_all(db.engine)
        from flask_migrate import upgrade
        upgrade()
    yield app


@pytest.fixture(autouse=True)
def _clean_tables(request):
    """Empty every table after a test that used the database."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn, erasure(conn):  # the append-only history too, by its one way out
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def world(app):
    """Two zones; in zone A a firm with its user, a second firm, a consultant
    assigned to the first firm only, and an administrator; zone B likewise."""
    with app.app_context():
        ids = {}
        for tag in ("a", "b"):
            zone = Zone(name=f"Zone {tag.upper()}", invite_code=f"INVITE-{tag.upper()}")
            db.session.add(zone)
            db.session.flush()
            firm = Company(zone_id=zone.id, name=f"{tag.upper()}号精密机械有限公司", uscc=demo_uscc(1 if tag == "a" else 2),
                           industry_section="C", industry_division="34", employees=120, revenue=8000.0, size_class="small")
            other = Company(zone_id=zone.id, name=f"{tag.upper()}号电子有限公司", uscc=demo_uscc(11 if tag == "a" else 12),
                            industry_section="C", industry_division="39", employees=40, revenue=900.0, size_class="small")
            db.session.add_all([firm, other])
            db.session.flush()
            users = {
                "enterprise": User(email=f"firm-{tag}@example.com", name="企业用户", role="enterprise", zone_id=zone.id, company_id=firm.id),
                "other_enterprise": User(email=f"other-{tag}@example.com", name="另一企业", role="enterprise", zone_id=zone.id, company_id=other.id),
                "consultant": User(email=f"consultant-{tag}@example.com", name="顾问", role="consultant", zone_id=zone.id),
                "zone_admin": User(email=f"admin-{tag}@example.com", name="管理员", role="zone_admin", zone_id=zone.id),
            }
            for u in users.values():
                u.set_password(PASSWORD)
            db.session.add_all(users.values())
            db.session.flush()
            db.session.add(Assignment(consultant_id=users["consultant"].id, company_id=firm.id))
            ids[tag] = SimpleNamespace(zone=zone.id, firm=firm.id, other=other.id, invite=zone.invite_code,
                                       **{role: u.email for role, u in users.items()})
        db.session.commit()
        return SimpleNamespace(**ids)


def csrf_from(html: str) -> str:
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert m, "page has no CSRF token"
    return m.group(1)


class Client:
    """A test client that behaves like a browser: it reads CSRF tokens from pages."""

    def __init__(self, app):
        self.c = app.test_client()

    def get(self, url, **kw):
        return self.c.get(url, **kw)

    def post_form(self, url, data, page=None):
        html = self.c.get(page or url).text
        return self.c.post(url, data={**data, "csrf_token": csrf_from(html)})

    def login(self, email, password=PASSWORD):
        r = self.post_form("/auth/login", {"email": email, "password": password})
        assert r.status_code == 302, f"login failed for {email}"
        return self

    def autosave(self, assessment_id, answers, page=1):
        token = csrf_from(self.c.get(f"/assessments/{assessment_id}/page/{page}").text)
        return self.c.post(f"/assessments/{assessment_id}/answers", json={"answers": answers},
                           headers={"X-CSRFToken": token})

    def submit(self, answers: dict, instrument="sme-digital", pledge=True) -> int:
        """Start an assessment, answer it and submit it; returns its id. A firm's user accepts the
        current truthfulness pledge with it, as the form asks (a consultant's submission ignores it)."""
        aid = self.start(instrument)
        assert self.autosave(aid, answers).status_code == 200
        form = PLEDGE if pledge else {}
        assert self.post_form(f"/assessments/{aid}/review", form).status_code == 302
        return aid

    def start(self, instrument="sme-digital"):
        r = self.post_form("/assessments/new", {"instrument": instrument}, page="/home")
        assert r.status_code == 302, r.text
        return int(re.search(r"/assessments/(\d+)/", r.headers["Location"]).group(1))


@pytest.fixture
def client(app):
    return lambda: Client(app)


def pytest_report_header(config):
    url = os.environ.get("TEST_DATABASE_URL")
    return f"database: {'TEST_DATABASE_URL (falls back to SQLite if unreachable)' if url else 'SQLite'}"
