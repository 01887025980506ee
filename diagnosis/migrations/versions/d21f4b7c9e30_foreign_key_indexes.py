"""An index on every foreign-key column that had none. Deleting a row makes the database look for rows that
still refer to it: without an index that is a full scan of the referring table per deleted row. Closing a
firm's account in the "delete" mode deletes its users and assessments, and each user scanned `answers` and
`assessments` (three columns) in full: minutes at province scale (1M assessments, tens of millions of answers).

Revision ID: d21f4b7c9e30
Revises: c20a7e1d0b52
Create Date: 2026-11-23 12:00:00

"""
from alembic import op

revision = 'd21f4b7c9e30'
down_revision = 'c20a7e1d0b52'
branch_labels = None
depends_on = None

COLUMNS = (
    ("answer_changes", "user_id"), ("answers", "updated_by_id"),
    ("assessments", "carried_from_id"), ("assessments", "created_by_id"), ("assessments", "finalised_by_id"),
    ("assessments", "pledged_by_id"),
    ("closure_requests", "decided_by_id"), ("closure_requests", "requested_by_id"),
    ("evidence", "uploaded_by_id"),
    ("plan_items", "assessment_id"), ("plan_items", "created_by_id"), ("plan_items", "owner_user_id"),
    ("programmes", "created_by_id"), ("provider_firms", "assigned_by_id"), ("question_notes", "by_id"),
    ("ratings", "by_id"), ("review_events", "reply_to_id"), ("review_events", "user_id"),
    ("roster_events", "outbox_id"), ("sample_checks", "checked_by_id"), ("sample_draws", "created_by_id"),
    ("verifications", "by_id"),
)


def upgrade():
    for table, column in COLUMNS:
        op.create_index(f"ix_{table}_{column}", table, [column])


def downgrade():
    for table, column in reversed(COLUMNS):
        op.drop_index(f"ix_{table}_{column}", table_name=table)
