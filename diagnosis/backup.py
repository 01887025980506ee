"""Backup and restore for the embedded SQLite database (PostgreSQL has pg_dump and pg_restore).

SQLite's online backup API copies a consistent snapshot while the app keeps
serving; a restore checks the file is one of ours before replacing anything,
then migrates it to the running version.
"""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from flask import current_app
from flask_migrate import upgrade

from .extensions import db


def _sqlite_path() -> Path:
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database:
        raise ValueError("backup and restore handle the embedded SQLite database; for PostgreSQL use "
                         "pg_dump -Fc and pg_restore (see README)")
    return Path(url.database)


def _assessments(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM assessments").fetchone()[0]


def evidence_copy(db_copy: Path) -> Path:
    """Evidence files travel beside the database copy, in FILE.evidence/."""
    return db_copy.with_name(db_copy.name + ".evidence")


def _copy_files(src: Path, dst: Path) -> None:
    if src.is_dir():
        dst.mkdir(parents=True, exist_ok=True)
        for f in src.iterdir():
            if f.is_file() and not (dst / f.name).exists():
                shutil.copy2(f, dst / f.name)


def backup(out: Path) -> int:
    from .assessments.evidence import folder
    src = _sqlite_path()
    out.parent.mkdir(parents=True, exist_ok=True)
    db.session.remove()
    with sqlite3.connect(src) as source, sqlite3.connect(out) as target:
        source.backup(target)
        n = _assessments(target)
    # After the database: a file uploaded meanwhile is copied too, never a row without its file.
    _copy_files(folder(), evidence_copy(out))
    return n


def restore(source: Path) -> int:
    dst = _sqlite_path()
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"alembic_version", "assessments", "answers"} <= tables:
                raise ValueError(f"{source} is not a backup of this application's database")
    except sqlite3.DatabaseError as e:
        raise ValueError(f"{source} is not a readable SQLite database ({e})") from None
    db.session.remove()
    db.engine.dispose()
    with sqlite3.connect(source) as src, sqlite3.connect(dst) as target:
        src.backup(target)
    from .assessments.evidence import folder
    _copy_files(evidence_copy(source), folder())
    upgrade(directory=current_app.extensions["migrate"].directory)
    with sqlite3.connect(dst) as conn:
        return _assessments(conn)
