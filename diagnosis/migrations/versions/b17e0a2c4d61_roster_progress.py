"""Per roster entry, a copy of its status, dates and latest level (roster_progress), and per roster firm
its quarters (roster_quarters), kept by session events (diagnosis/roster_progress.py, issue 17, scale):
filled from the existing assessments and results.

Revision ID: b17e0a2c4d61
Revises: a16c0de5e7f1
Create Date: 2026-11-23 07:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b17e0a2c4d61'
down_revision = "a16c0de5e7f1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'roster_progress',
        sa.Column('entry_id', sa.Integer(), sa.ForeignKey('roster_entries.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('programme_id', sa.Integer(), sa.ForeignKey('programmes.id', ondelete='CASCADE'), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(12), nullable=False),
        sa.Column('decision', sa.String(8), nullable=True),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reached', sa.String(7), nullable=True),
        sa.Column('level', sa.Integer(), nullable=True),
        sa.Column('verified_level', sa.Integer(), nullable=True),
        sa.Column('next_gap', sa.Float(), nullable=True),
        sa.Column('assessment_id', sa.Integer(), nullable=True),
    )
    op.create_index('ix_roster_progress_status', 'roster_progress', ['programme_id', 'status'])
    op.create_table(
        'roster_quarters',
        sa.Column('programme_id', sa.Integer(), sa.ForeignKey('programmes.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('company_id', sa.Integer(), primary_key=True),
        sa.Column('period', sa.String(7), primary_key=True),
        sa.Column('until', sa.String(7), nullable=False),
        sa.Column('level', sa.Integer(), nullable=False),
    )
    from diagnosis.roster_progress import rebuild
    rebuild(connection=op.get_bind())


def downgrade():
    op.drop_table('roster_quarters')
    op.drop_index('ix_roster_progress_status', 'roster_progress')
    op.drop_table('roster_progress')
