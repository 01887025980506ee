"""The review history is append-only, enforced by the database (issue 18): triggers refuse UPDATE and
DELETE of review_events, question_notes and answer_changes unless the transaction-local erasure flag is
set (diagnosis/history.py, the one documented path for erasing a closed firm's data).

Note for later migrations: a SQLite batch migration that rebuilds one of these tables drops its triggers;
create them again after it.

Revision ID: 1a8e0c4d2b17
Revises: d18b1e2f3a40
"""
from alembic import op

revision = '1a8e0c4d2b17'
down_revision = 'd18b1e2f3a40'
branch_labels = None
depends_on = None

TABLES = ("review_events", "question_notes", "answer_changes")
SETTING = "diagnosis.history_erasure"
SQLITE_FUNCTION = "diagnosis_history_erasure"  # registered on every connection by diagnosis.history.install


def create_sql(dialect: str) -> list[str]:
    if dialect == "postgresql":
        out = [f"""
CREATE OR REPLACE FUNCTION diagnosis_history_append_only() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('{SETTING}', true), '') = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation',
              HINT = 'the review history is never edited; erase a closed firm only through diagnosis.history.erasure';
END
$$ LANGUAGE plpgsql"""]
        for t in TABLES:
            out.append(f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
                       f"FOR EACH ROW EXECUTE FUNCTION diagnosis_history_append_only()")
            out.append(f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION diagnosis_history_append_only()")
        return out
    out = []
    for t in TABLES:
        for op in ("UPDATE", "DELETE"):
            out.append(f"CREATE TRIGGER {t}_no_{op.lower()} BEFORE {op} ON {t} "
                       f"WHEN NOT {SQLITE_FUNCTION}() "
                       f"BEGIN SELECT RAISE(ABORT, '{t} is append-only: {op} refused'); END")
    return out


def drop_sql(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return ([f"DROP TRIGGER IF EXISTS {t}_{kind} ON {t}" for t in TABLES for kind in ("append_only", "no_truncate")]
                + ["DROP FUNCTION IF EXISTS diagnosis_history_append_only()"])
    return [f"DROP TRIGGER IF EXISTS {t}_no_{op} " for t in TABLES for op in ("update", "delete")]


def upgrade():
    for statement in create_sql(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade():
    for statement in drop_sql(op.get_bind().dialect.name):
        op.execute(statement)
