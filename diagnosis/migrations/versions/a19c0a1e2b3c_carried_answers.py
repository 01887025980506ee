"""Re-assessment prefilled: the assessment a draft was carried from, and per answer the carried value
and whether it still waits for confirmation.

Revision ID: a19c0a1e2b3c
Revises: a17c0be5f1d2
Create Date: 2026-11-23 04:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a19c0a1e2b3c'
down_revision = 'a17c0be5f1d2'  # after main's append-only history (18) and pre-aggregates (17)
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assessments', schema=None) as b:
        b.add_column(sa.Column('carried_from_id', sa.Integer(), nullable=True))
        b.create_foreign_key('fk_assessments_carried_from', 'assessments', ['carried_from_id'], ['id'])
    with op.batch_alter_table('answers', schema=None) as b:
        b.add_column(sa.Column('carried_value', sa.JSON(), nullable=True))
        b.add_column(sa.Column('carried_pending', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('answers', schema=None) as b:
        b.drop_column('carried_pending')
        b.drop_column('carried_value')
    with op.batch_alter_table('assessments', schema=None) as b:
        b.drop_constraint('fk_assessments_carried_from', type_='foreignkey')
        b.drop_column('carried_from_id')
