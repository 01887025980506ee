"""Configuration from environment variables; every default runs on a laptop."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


class ConfigError(RuntimeError):
    """A setting production cannot run without."""


def load(instance_path: str, overrides: dict | None = None) -> dict:
    env = os.environ
    instance = Path(instance_path)
    production = env.get("APP_ENV", "development") == "production"
    if production and len(env.get("SECRET_KEY", "")) < 32:
        raise ConfigError("APP_ENV=production needs SECRET_KEY: a random string of at least 32 characters "
                          "(python -c 'import secrets; print(secrets.token_hex(32))'), the same on every app server")
    limits_file = Path(env.get("RATELIMIT_PATH") or instance / "ratelimit.sqlite").resolve()
    cfg = {
        "APP_ENV": "production" if production else "development",
        "SQLALCHEMY_DATABASE_URI": database_url(env.get("DATABASE_URL") or f"sqlite:///{instance / 'diagnosis.sqlite'}"),
        "SECRET_KEY": env.get("SECRET_KEY") or _dev_secret(instance),
        "BABEL_DEFAULT_LOCALE": "zh",
        "LANGUAGES": ["zh", "en"],
        "MAX_CONTENT_LENGTH": int(env.get("MAX_UPLOAD_BYTES", 5 * 1024 * 1024)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Production serves HTTPS (behind a proxy): cookies only travel encrypted there.
        "SESSION_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "1" if production else "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "1" if production else "0") == "1",
        "PERMANENT_SESSION_LIFETIME": int(env.get("SESSION_HOURS", 12)) * 3600,
        # Flask-Limiter: per client address; kept in Redis when there is one, so all app servers share counts,
        # otherwise in a SQLite file every worker process of this machine shares (diagnosis/ratelimit.py).
        "RATELIMIT_STORAGE_URI": env.get("REDIS_URL") or f"sqlite://{limits_file}",
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per minute;100 per hour"),
        "API_RATE_LIMIT": env.get("API_RATE_LIMIT", "600 per minute"),
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", 0)),
        "LOCKOUT_AFTER": int(env.get("LOCKOUT_AFTER", 5)),          # failed logins in a row
        "LOCKOUT_MINUTES": int(env.get("LOCKOUT_MINUTES", 15)),
        "WTF_CSRF_TIME_LIMIT": None,  # a questionnaire page may stay open all day
        "REPORT_CACHE_DIR": str(instance / "reports"),
        # Evidence files: a directory every app server shares (NFS or similar) when there are several.
        "EVIDENCE_DIR": env.get("EVIDENCE_DIR") or str(instance / "evidence"),
        "EVIDENCE_MAX_BYTES": int(env.get("EVIDENCE_MAX_BYTES", 4 * 1024 * 1024)),
        "PASSWORD_RESET_HOURS": float(env.get("PASSWORD_RESET_HOURS", 2)),
        # Links in mail point here: the address users reach the app at.
        "BASE_URL": env.get("BASE_URL", "http://127.0.0.1:8000"),
        # A peer group smaller than this falls back to a wider one (industry, zone, all).
        "BENCHMARK_MIN_PEERS": int(env.get("BENCHMARK_MIN_PEERS", 30)),
        # A queue worker renews its lease on a batch part after every report; a part whose
        # lease runs out lost its worker and is queued again (at most twice).
        "BATCH_LEASE_SECONDS": int(env.get("BATCH_LEASE_SECONDS", 120)),
        "BATCH_PART_SIZE": int(env.get("BATCH_PART_SIZE", 10)),
    }
    cfg.update(mail_settings(env))
    cfg.update(overrides or {})
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") and "SQLALCHEMY_ENGINE_OPTIONS" not in cfg:
        # No JIT: the figures' queries read few rows through estimates that look huge (correlated subqueries),
        # and PostgreSQL spent 2-3 s compiling a query that ran in milliseconds.
        # connect_args replace the URL's own `options`, so those are kept in front.
        from sqlalchemy.engine import make_url
        given = make_url(cfg["SQLALCHEMY_DATABASE_URI"]).query.get("options") or ""
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"options": f"{given} -c jit=off".strip()}}
    return cfg


def mail_settings(env) -> dict:
    """Flask-Mail's settings from MAIL_URL (smtp://user:pass@host:587?starttls=1, smtps://... for SSL)
    or from the MAIL_* variables themselves. With neither, mail stays in the outbox (MAIL_ENABLED off)."""
    from urllib.parse import parse_qs, unquote, urlparse
    cfg = {"MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "noreply@localhost"),
           "MAIL_SUPPRESS_SEND": False,  # whether to send is decided by MAIL_ENABLED, also in tests
           "MAIL_TIMEOUT": int(env.get("MAIL_TIMEOUT", 20))}
    url = env.get("MAIL_URL")
    if url:
        u = urlparse(url)
        if u.scheme not in ("smtp", "smtps") or not u.hostname:
            raise ConfigError("MAIL_URL must look like smtp://user:password@host:587?starttls=1 or smtps://host:465")
        query = parse_qs(u.query)
        cfg.update(MAIL_ENABLED=True, MAIL_SERVER=u.hostname, MAIL_PORT=u.port or (465 if u.scheme == "smtps" else 25),
                   MAIL_USERNAME=unquote(u.username) if u.username else None,
                   MAIL_PASSWORD=unquote(u.password) if u.password else None,
                   MAIL_USE_SSL=u.scheme == "smtps", MAIL_USE_TLS=query.get("starttls", ["0"])[0] == "1")
    elif env.get("MAIL_SERVER"):
        cfg.update(MAIL_ENABLED=True, MAIL_SERVER=env["MAIL_SERVER"], MAIL_PORT=int(env.get("MAIL_PORT", 25)),
                   MAIL_USERNAME=env.get("MAIL_USERNAME"), MAIL_PASSWORD=env.get("MAIL_PASSWORD"),
                   MAIL_USE_TLS=env.get("MAIL_USE_TLS") == "1", MAIL_USE_SSL=env.get("MAIL_USE_SSL") == "1")
    else:
        cfg["MAIL_ENABLED"] = False
    return cfg


def database_url(url: str) -> str:
    # Accept the plain postgres URLs operators paste and use the psycopg 3 driver.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _dev_secret(instance: Path) -> str:
    """A random key kept under instance/, so sessions survive restarts on a laptop."""
    path = instance / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        instance.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        path.write_text(key)
        path.chmod(0o600)
        return key
