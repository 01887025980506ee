"""Configuration from environment variables; every default runs on a laptop."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def load(instance_path: str, overrides: dict | None = None) -> dict:
    env = os.environ
    instance = Path(instance_path)
    cfg = {
        "SQLALCHEMY_DATABASE_URI": _database_url(env.get("DATABASE_URL") or f"sqlite:///{instance / 'diagnosis.sqlite'}"),
        "SECRET_KEY": env.get("SECRET_KEY") or _dev_secret(instance),
        "BABEL_DEFAULT_LOCALE": "zh",
        "LANGUAGES": ["zh", "en"],
        "MAX_CONTENT_LENGTH": int(env.get("MAX_UPLOAD_BYTES", 5 * 1024 * 1024)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,  # a questionnaire page may stay open all day
        "REPORT_CACHE_DIR": str(instance / "reports"),
        # A peer group smaller than this falls back to a wider one (industry, zone, all).
        "BENCHMARK_MIN_PEERS": int(env.get("BENCHMARK_MIN_PEERS", 30)),
    }
    cfg.update(overrides or {})
    return cfg


def _database_url(url: str) -> str:
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
