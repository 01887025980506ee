"""Repair text no UTF-8 encoder accepts: lone surrogates ("\\ud800") that reached JSON
columns before the input gate existed broke every later read of the firm's answers,
history and report (issue 15). Each is replaced by U+FFFD, the replacement character.

Revision ID: 3c9e1f2a7b40
Revises: 112b9da83495
Create Date: 2026-11-23 02:05:00

"""
import sqlalchemy as sa
from alembic import op

revision = '3c9e1f2a7b40'
down_revision = '112b9da83495'
branch_labels = None
depends_on = None

# (table, key column, JSON columns that hold text people typed)
COLUMNS = [
    ("answers", "id", ("value",)),
    ("answer_changes", "id", ("old_value", "new_value")),
    ("audit_events", "id", ("detail",)),
    ("report_batches", "id", ("filters", "failures")),
    ("zones", "id", ("sub_zones",)),
]


def _repair(value):
    """The value with every lone surrogate replaced, and whether anything changed."""
    if isinstance(value, str):
        if not _bad(value):
            return value, False
        return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in value), True
    if isinstance(value, list):
        items = [_repair(v) for v in value]
        return [v for v, _ in items], any(c for _, c in items)
    if isinstance(value, dict):
        items = {_repair(k)[0]: _repair(v) for k, v in value.items()}
        changed = any(c for _, c in items.values()) or any(_bad(k) for k in value if isinstance(k, str))
        return {k: v for k, (v, _) in items.items()}, changed
    return value, False


def _bad(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def upgrade():
    bind = op.get_bind()
    for table, key, columns in COLUMNS:
        t = sa.table(table, sa.column(key, sa.Integer), *(sa.column(c, sa.JSON) for c in columns))
        last = 0
        while True:  # in slices, so a large table is not read into memory at once
            rows = bind.execute(sa.select(t).where(t.c[key] > last).order_by(t.c[key]).limit(5000)).all()
            if not rows:
                break
            for row in rows:
                fixes = {}
                for c in columns:
                    fixed, changed = _repair(getattr(row, c))
                    if changed:
                        fixes[c] = fixed
                if fixes:
                    bind.execute(sa.update(t).where(t.c[key] == getattr(row, key)).values(**fixes))
            last = getattr(rows[-1], key)


def downgrade():
    pass  # the broken characters are not worth restoring
