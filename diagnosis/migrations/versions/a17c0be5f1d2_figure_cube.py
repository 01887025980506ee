"""Per-zone pre-aggregates of results (figure_cells, figure_dims) for city and province figures
(issue 17, scale): filled from the existing results. Indexes that the "closest" and "stalled" firm
lists walk in order. The language a programme writes to firms without an account; quotas per consultant.

Revision ID: a17c0be5f1d2
Revises: 1a8e0c4d2b17
Create Date: 2026-11-23 04:55:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a17c0be5f1d2'
down_revision = "1a8e0c4d2b17"
branch_labels = None
depends_on = None

KEY = [('industry', 2), ('size', 8), ('scope', 7)]


def _key():
    return [sa.Column('zone_id', sa.Integer(), sa.ForeignKey('zones.id', ondelete='CASCADE'), primary_key=True),
            sa.Column('instrument_id', sa.String(64), primary_key=True),
            *[sa.Column(name, sa.String(n), primary_key=True) for name, n in KEY]]


def upgrade():
    op.create_table(
        'figure_cells', *_key(),
        sa.Column('until', sa.String(7), primary_key=True),
        sa.Column('verified', sa.Boolean(), primary_key=True),
        sa.Column('level', sa.Integer(), primary_key=True),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('sum_total', sa.Float(), nullable=False),
        sa.Column('n_closest', sa.Integer(), nullable=False),
        sa.Column('n_stalled', sa.Integer(), nullable=False),
        sa.Column('n_up', sa.Integer(), nullable=False),
        sa.Column('n_same', sa.Integer(), nullable=False),
        sa.Column('n_down', sa.Integer(), nullable=False),
    )
    op.create_index('ix_figure_cells_read', 'figure_cells', ['instrument_id', 'verified', 'scope', 'zone_id'])
    op.create_table(
        'figure_dims', *_key(),
        sa.Column('verified', sa.Boolean(), primary_key=True),
        sa.Column('dimension_id', sa.String(64), primary_key=True),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('sum_percent', sa.Float(), nullable=False),
    )
    op.create_index('ix_figure_dims_read', 'figure_dims', ['instrument_id', 'verified', 'scope', 'zone_id'])
    op.create_index('ix_results_closest', 'results', ['instrument_id', 'is_latest', 'next_gap', 'company_id'])
    op.create_index('ix_results_firm', 'results',
                    ['company_id', 'instrument_id', 'is_latest', 'latest_in_period', 'level', 'period'])
    op.create_index('ix_results_stalled', 'results', ['instrument_id', 'is_latest', 'total'],
                    postgresql_where=sa.text('previous_level IS NOT NULL'), sqlite_where=sa.text('previous_level IS NOT NULL'))
    with op.batch_alter_table('programmes') as b:
        b.add_column(sa.Column('lang', sa.String(2), nullable=False, server_default='zh'))
        b.add_column(sa.Column('consultant_quotas', sa.JSON(), nullable=True))
    # Counted by b17e0a2c4d61, which gives the tables their sub-zone key: the live counting code writes
    # that key, which these tables do not have yet.


def downgrade():
    with op.batch_alter_table('programmes') as b:
        b.drop_column('consultant_quotas')
        b.drop_column('lang')
    op.drop_index('ix_results_stalled', 'results')
    op.drop_index('ix_results_closest', 'results')
    op.drop_index('ix_results_firm', 'results')
    op.drop_index('ix_figure_dims_read', 'figure_dims')
    op.drop_table('figure_dims')
    op.drop_index('ix_figure_cells_read', 'figure_cells')
    op.drop_table('figure_cells')
