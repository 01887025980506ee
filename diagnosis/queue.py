"""The task queue: huey on a SQLite file by default, on Redis when REDIS_URL is set.

Run a worker with `diagnosis worker`. Tasks need the Flask app; the first app
created in a process is the one they use (the worker creates its own).
"""
from __future__ import annotations

import os
from pathlib import Path

from huey import RedisHuey, SqliteHuey

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "instance" / "queue.sqlite"


def make_huey():
    url = os.environ.get("REDIS_URL")
    if url:
        return RedisHuey("diagnosis", url=url)
    path = Path(os.environ.get("QUEUE_PATH") or DEFAULT_PATH)
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("diagnosis", filename=str(path))


huey = make_huey()
_app = None


def bind(app) -> None:
    """Make `app` the one tasks run in, unless one is bound already."""
    global _app
    if _app is None:
        _app = app


def app():
    if _app is None:
        from . import create_app
        bind(create_app())
    return _app
