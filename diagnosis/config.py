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
        # Flask-Limiter: per client address; kept in Redis when there is one, so all app servers share counts.
        "RATELIMIT_STORAGE_URI": env.get("REDIS_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per minute;100 per hour"),
        "API_RATE_LIMIT": env.get("API_RATE_LIMIT", "600 per minute"),
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", 0)),
        "LOCKOUT_AFTER": int(env.get("LOCKOUT_AFTER", 5)),          # failed logins in a row
        "LOCKOUT_MINUTES": int(env.get("LOCKOUT_MINUTES", 15)),
        "WTF_CSRF_TIME_LIMIT": None,  # a questionnaire page may stay open all day
        "REPORT_CACHE_DIR": str(instance / "reports"),
        # A peer group smaller than this falls back to a wider one (industry, zone, all).
        "BENCHMARK_MIN_PEERS": int(env.get("BENCHMARK_MIN_PEERS", 30)),
    }
    cfg.update(overrides or {})
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
