"""On-site sample draws and checks, firms' ratings of the diagnosis service, revisions and question notes (issue 18).

Revision ID: d18b1e2f3a40
Revises: c18a0f3e9d21
Create Date: 2026-11-23 02:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'd18b1e2f3a40'
down_revision = 'c18a0f3e9d21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assessments') as b:
        b.add_column(sa.Column('revision_of_id', sa.Integer(), nullable=True))
        b.create_foreign_key('fk_assessments_revision_of', 'assessments', ['revision_of_id'], ['id'])
        b.create_index('ix_assessments_revision_of_id', ['revision_of_id'])
    op.create_table(
        'sample_draws',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('zone_id', sa.Integer(), sa.ForeignKey('zones.id'), nullable=False, index=True),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('users.id')),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('seed', sa.BigInteger(), nullable=False),
        sa.Column('rule', sa.JSON(), nullable=False),
        sa.Column('population', sa.JSON(), nullable=False),
        sa.Column('drawn', sa.JSON(), nullable=False),
    )
    op.create_table(
        'sample_checks',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('draw_id', sa.Integer(), sa.ForeignKey('sample_draws.id', ondelete='CASCADE'), nullable=False,
                  index=True),
        sa.Column('assessment_id', sa.Integer(), sa.ForeignKey('assessments.id', ondelete='CASCADE'), nullable=False,
                  index=True),
        sa.Column('outcome', sa.String(10), nullable=False, server_default='pending'),
        sa.Column('note', sa.String(2000)),
        sa.Column('checked_by_id', sa.Integer(), sa.ForeignKey('users.id')),
        sa.Column('checked_at', sa.DateTime(timezone=True)),
        sa.CheckConstraint("outcome IN ('pending', 'match', 'mismatch')", name='ck_sample_checks_outcome'),
        sa.UniqueConstraint('draw_id', 'assessment_id', name='uq_sample_checks_item'),
    )
    op.create_table(
        'ratings',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('assessment_id', sa.Integer(), sa.ForeignKey('assessments.id', ondelete='CASCADE'), nullable=False,
                  unique=True),
        sa.Column('provider_id', sa.Integer(), sa.ForeignKey('providers.id'), index=True),
        sa.Column('stars', sa.Integer(), nullable=False),
        sa.Column('comment', sa.String(2000)),
        sa.Column('by_id', sa.Integer(), sa.ForeignKey('users.id')),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('stars BETWEEN 1 AND 5', name='ck_ratings_stars'),
    )


    op.create_table(
        'question_notes',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('assessment_id', sa.Integer(), sa.ForeignKey('assessments.id', ondelete='CASCADE'), nullable=False,
                  index=True),
        sa.Column('question_id', sa.String(64), nullable=False),
        sa.Column('text', sa.String(2000), nullable=False),
        sa.Column('by_id', sa.Integer(), sa.ForeignKey('users.id')),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    )


def downgrade():
    op.drop_table('question_notes')
    op.drop_table('ratings')
    op.drop_table('sample_checks')
    op.drop_table('sample_draws')
    with op.batch_alter_table('assessments') as b:
        b.drop_index('ix_assessments_revision_of_id')
        b.drop_constraint('fk_assessments_revision_of', type_='foreignkey')
        b.drop_column('revision_of_id')
