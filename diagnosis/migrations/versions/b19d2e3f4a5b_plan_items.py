"""Improvement plans: plan items made from a result's recommendations.

Revision ID: b19d2e3f4a5b
Revises: a19c0a1e2b3c
Create Date: 2026-11-23 05:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b19d2e3f4a5b'
down_revision = 'a19c0a1e2b3c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'plan_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('assessment_id', sa.Integer(), nullable=True),
        sa.Column('instrument_id', sa.String(length=64), nullable=True),
        sa.Column('title', sa.JSON(), nullable=False),
        sa.Column('indicators', sa.JSON(), nullable=False),
        sa.Column('owner', sa.String(length=100), nullable=True),
        sa.Column('due_date', sa.Date(), nullable=True),
        sa.Column('budget_band', sa.String(length=16), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('drop_reason', sa.Text(), nullable=True),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('project_name', sa.String(length=200), nullable=True),
        sa.Column('project_supplier', sa.String(length=200), nullable=True),
        sa.Column('project_amount', sa.Float(), nullable=True),
        sa.Column('project_start', sa.Date(), nullable=True),
        sa.Column('project_end', sa.Date(), nullable=True),
        sa.Column('reminded_for', sa.Date(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('planned', 'in_progress', 'done', 'dropped')", name='ck_plan_items_status'),
        sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id']),
        sa.ForeignKeyConstraint(['company_id'], ['companies.id']),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('plan_items', schema=None) as b:
        b.create_index('ix_plan_items_company_id', ['company_id'])
        b.create_index('ix_plan_items_due_date', ['due_date'])
        b.create_index('ix_plan_items_status', ['status'])


def downgrade():
    op.drop_table('plan_items')
