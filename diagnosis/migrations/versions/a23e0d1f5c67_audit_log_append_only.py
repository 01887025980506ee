"""The audit log is append-only like the review history: the same triggers refuse UPDATE and DELETE of
`audit_events` unless the transaction-local erasure flag is set (diagnosis/history.py), which only the
closure of a firm's account (clearing its references and name from the log) and the test suite's cleaning use.
The PostgreSQL trigger function is the one migration 1a8e0c4d2b17 created.

Revision ID: a23e0d1f5c67
Revises: a16c0de5e7f1
"""
from alembic import op

revision = 'a23e0d1f5c67'
down_revision = 'a16c0de5e7f1'
branch_labels = None
depends_on = None

TABLE = "audit_events"
SQLITE_FUNCTION = "diagnosis_history_erasure"  # registered on every connection by diagnosis.history.install


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
                   f"FOR EACH ROW EXECUTE FUNCTION diagnosis_history_append_only()")
        op.execute(f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION diagnosis_history_append_only()")
        return
    for kind in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER {TABLE}_no_{kind.lower()} BEFORE {kind} ON {TABLE} WHEN NOT {SQLITE_FUNCTION}() "
                   f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: {kind} refused'); END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for kind in ("append_only", "no_truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_{kind} ON {TABLE}")
        return
    for kind in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{kind}")
