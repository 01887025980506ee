"""Service providers, on-site verification, the zone's review and evidence files (issue 18).

Revision ID: c18a0f3e9d21
Revises: e4f5a6b7c8d9
Create Date: 2026-11-23 02:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c18a0f3e9d21'
down_revision = 'e4f5a6b7c8d9'  # after main's areas and consent migrations (issues 15, 17)
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'providers',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('zone_id', sa.Integer(), sa.ForeignKey('zones.id'), nullable=False, index=True),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('credit_code', sa.String(18), nullable=False),
        sa.Column('contact', sa.String(200)),
        sa.Column('qualification', sa.Text()),
        sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('zone_id', 'credit_code', name='uq_providers_zone_code'),
    )
    op.create_table(
        'provider_firms',
        sa.Column('company_id', sa.Integer(), sa.ForeignKey('companies.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('provider_id', sa.Integer(), sa.ForeignKey('providers.id', ondelete='CASCADE'), nullable=False,
                  index=True),
        sa.Column('assigned_by_id', sa.Integer(), sa.ForeignKey('users.id')),
        sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table('users') as b:
        b.add_column(sa.Column('provider_id', sa.Integer(), nullable=True))
        b.add_column(sa.Column('provider_lead', sa.Boolean(), nullable=False, server_default=sa.false()))
        b.create_foreign_key('fk_users_provider', 'providers', ['provider_id'], ['id'])
        b.create_index('ix_users_provider_id', ['provider_id'])
    with op.batch_alter_table('assessments') as b:
        b.add_column(sa.Column('review_state', sa.String(16), nullable=True))
        b.add_column(sa.Column('pledge_version', sa.String(16), nullable=True))
        b.add_column(sa.Column('pledged_by_id', sa.Integer(), nullable=True))
        b.add_column(sa.Column('pledged_at', sa.DateTime(timezone=True), nullable=True))
        b.create_foreign_key('fk_assessments_pledged_by', 'users', ['pledged_by_id'], ['id'])
        b.create_index('ix_assessments_review_state', ['review_state'])
    with op.batch_alter_table('results') as b:
        b.add_column(sa.Column('verified_level', sa.Integer(), nullable=True))
        b.add_column(sa.Column('verified_total', sa.Float(), nullable=True))
        b.add_column(sa.Column('verified_dimensions', sa.JSON(), nullable=True))
        b.create_index('ix_results_verified_level', ['verified_level'])
    # Submitted assessments enter the review as submitted.
    op.execute("UPDATE assessments SET review_state = 'submitted' WHERE status = 'submitted'")
    op.create_table(
        'verifications',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('assessment_id', sa.Integer(), sa.ForeignKey('assessments.id', ondelete='CASCADE'), nullable=False,
                  index=True),
        sa.Column('question_id', sa.String(64), nullable=False),
        sa.Column('verdict', sa.String(12), nullable=False),
        sa.Column('firm_value', sa.JSON(), nullable=True),
        sa.Column('value', sa.JSON(), nullable=True),
        sa.Column('reason', sa.String(1000)),
        sa.Column('by_id', sa.Integer(), sa.ForeignKey('users.id')),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('assessment_id', 'question_id', name='uq_verifications_question'),
        sa.CheckConstraint("verdict IN ('confirmed', 'corrected')", name='ck_verifications_verdict'),
    )
    op.create_table(
        'review_events',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('assessment_id', sa.Integer(), sa.ForeignKey('assessments.id', ondelete='CASCADE'), nullable=False,
                  index=True),
        sa.Column('action', sa.String(24), nullable=False),
        sa.Column('from_state', sa.String(16)),
        sa.Column('to_state', sa.String(16)),
        sa.Column('question_id', sa.String(64)),
        sa.Column('reply_to_id', sa.Integer(), sa.ForeignKey('review_events.id')),
        sa.Column('text', sa.Text()),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id')),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        'evidence',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('assessment_id', sa.Integer(), sa.ForeignKey('assessments.id', ondelete='CASCADE'), nullable=False,
                  index=True),
        sa.Column('question_id', sa.String(64), nullable=False),
        sa.Column('filename', sa.String(200), nullable=False),
        sa.Column('stored_name', sa.String(80), nullable=False, unique=True),
        sa.Column('media_type', sa.String(100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(64), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), sa.ForeignKey('users.id')),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    )


def downgrade():
    op.drop_table('evidence')
    op.drop_table('review_events')
    op.drop_table('verifications')
    with op.batch_alter_table('results') as b:
        b.drop_index('ix_results_verified_level')
        b.drop_column('verified_dimensions')
        b.drop_column('verified_total')
        b.drop_column('verified_level')
    with op.batch_alter_table('assessments') as b:
        b.drop_index('ix_assessments_review_state')
        b.drop_constraint('fk_assessments_pledged_by', type_='foreignkey')
        b.drop_column('pledged_at')
        b.drop_column('pledged_by_id')
        b.drop_column('pledge_version')
        b.drop_column('review_state')
    with op.batch_alter_table('users') as b:
        b.drop_index('ix_users_provider_id')
        b.drop_constraint('fk_users_provider', type_='foreignkey')
        b.drop_column('provider_lead')
        b.drop_column('provider_id')
    op.drop_table('provider_firms')
    op.drop_table('providers')
