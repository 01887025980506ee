"""The review history cannot be edited after the fact, and the database enforces it.

Triggers (migration 1a8e0c4d2b17) refuse UPDATE and DELETE of the rows of the append-only history tables:
the review steps (`review_events`), the per-question notes (`question_notes`) and the log of every answer
change (`answer_changes`); and, by migration a23e0d1f5c67, the audit log (`audit_events`). On PostgreSQL a plpgsql function refuses them (also TRUNCATE); on SQLite
BEFORE UPDATE / BEFORE DELETE triggers RAISE(ABORT). Either way the statement fails and nothing changes,
whoever sends it: the app, a script, an ORM cascade, a cascading delete of an assessment or a company.

There is one way through, for erasing a closed firm's data (and for the test suite's cleaning between
tests): the transaction-local erasure flag, set only by `erasure()` below.

    with erasure(db.session):
        ... delete the firm's history rows, then its assessments ...
        db.session.flush()          # inside the block
    db.session.commit()

On PostgreSQL the flag is the setting `diagnosis.history_erasure`, set with `set_config(..., true)`, so it
ends with the transaction at the latest. On SQLite the triggers ask the SQL function
`diagnosis_history_erasure()`, which every SQLAlchemy connection registers (`install`) and which answers
this connection's flag; a connection without it (the sqlite3 shell) cannot update or delete those rows at
all. Whoever erases records why in the audit log.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

TABLES = ("review_events", "question_notes", "answer_changes", "audit_events")  # the last since a23e0d1f5c67
SETTING = "diagnosis.history_erasure"
SQLITE_FUNCTION = "diagnosis_history_erasure"
_FLAG = "history_erasure"  # key of the SQLite connection's flag in its pool record's info


def _on_connect(dbapi_connection, connection_record) -> None:
    import sqlite3
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    flag = connection_record.info.setdefault(_FLAG, [0])
    dbapi_connection.create_function(SQLITE_FUNCTION, 0, lambda: flag[0])
    # A SQLite built with SQLITE_TRUSTED_SCHEMA=0 lets triggers call only "innocuous" functions, which Python
    # cannot declare; the schema is the app's own, so trust it (the default of most builds).
    dbapi_connection.execute("PRAGMA trusted_schema = ON")


def install() -> None:
    """Give every SQLite connection the function the triggers ask (once per process)."""
    if not sa.event.contains(sa.engine.Engine, "connect", _on_connect):
        sa.event.listen(sa.engine.Engine, "connect", _on_connect)


def _flag_sqlite(conn: sa.Connection, on: bool) -> None:
    flag = conn.connection.info.get(_FLAG)
    if flag is None:
        raise RuntimeError("this SQLite connection was opened before history.install()")
    flag[0] = 1 if on else 0


@contextmanager
def erasure(bind: sa.orm.Session | sa.orm.scoped_session | sa.Connection) -> Iterator[None]:
    """Within this block (and this transaction) the history rows may be deleted or rewritten."""
    conn = bind if isinstance(bind, sa.Connection) else bind.connection()  # a (scoped) session: its connection
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT set_config(:k, 'on', true)"), {"k": SETTING})
        yield
        conn.execute(sa.text("SELECT set_config(:k, 'off', true)"), {"k": SETTING})
        return  # on an error the transaction is rolled back, and the setting with it
    _flag_sqlite(conn, True)
    try:
        yield
    finally:
        _flag_sqlite(conn, False)
