"""Per roster entry, a copy of its status, dates and latest level (roster_progress), and per roster firm
its quarters (roster_quarters), kept by session events (diagnosis/roster_progress.py, issue 17, scale):
filled from the existing assessments and results. The per-zone pre-aggregates gain a sub-zone key (''
for the whole zone), so a sub-zone filter reads them too: made again and counted from the results.

Revision ID: b17e0a2c4d61
Revises: a23e0d1f5c67
Create Date: 2026-11-23 07:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b17e0a2c4d61'
down_revision = "a23e0d1f5c67"
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
    _cube(with_sub_zone=True)


def _tables(suffix: str, with_sub_zone: bool) -> None:
    def key():
        return [sa.Column('zone_id', sa.Integer(), sa.ForeignKey('zones.id', ondelete='CASCADE'), primary_key=True),
                sa.Column('instrument_id', sa.String(64), primary_key=True),
                sa.Column('industry', sa.String(2), primary_key=True), sa.Column('size', sa.String(8), primary_key=True),
                sa.Column('scope', sa.String(7), primary_key=True)]

    def sub():
        return [sa.Column('sub_zone', sa.String(100), primary_key=True, server_default='')] if with_sub_zone else []
    op.create_table(
        'figure_cells' + suffix, *key(),
        sa.Column('until', sa.String(7), primary_key=True),
        sa.Column('verified', sa.Boolean(), primary_key=True),
        sa.Column('level', sa.Integer(), primary_key=True),
        *sub(),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('sum_total', sa.Float(), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in ('n_closest', 'n_stalled', 'n_up', 'n_same', 'n_down')],
    )
    op.create_table(
        'figure_dims' + suffix, *key(),
        sa.Column('verified', sa.Boolean(), primary_key=True),
        sa.Column('dimension_id', sa.String(64), primary_key=True),
        *sub(),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('sum_percent', sa.Float(), nullable=False),
    )


CELLS = ("zone_id, instrument_id, industry, size, scope, until, verified, level, n, sum_total, n_closest, n_stalled, "
         "n_up, n_same, n_down")
DIMS = "zone_id, instrument_id, industry, size, scope, verified, dimension_id, n, sum_percent"


def _cube(with_sub_zone: bool) -> None:
    """figure_cells and figure_dims made again (their primary key changes). Up: counted from the results
    (per sub-zone too); down: the whole-zone rows kept."""
    _tables("_next", with_sub_zone)
    if not with_sub_zone:
        op.execute(f"INSERT INTO figure_cells_next ({CELLS}) SELECT {CELLS} FROM figure_cells WHERE sub_zone = ''")
        op.execute(f"INSERT INTO figure_dims_next ({DIMS}) SELECT {DIMS} FROM figure_dims WHERE sub_zone = ''")
    for table in ('figure_dims', 'figure_cells'):
        op.drop_index(f'ix_{table}_read', table)
        op.drop_table(table)
        op.rename_table(f'{table}_next', table)
        op.create_index(f'ix_{table}_read', table, ['instrument_id', 'verified'] + (['sub_zone'] if with_sub_zone else [])
                        + ['scope', 'zone_id'])
    if with_sub_zone:
        from diagnosis.figures_cube import rebuild as recount
        recount(connection=op.get_bind())


def downgrade():
    _cube(with_sub_zone=False)
    op.drop_table('roster_quarters')
    op.drop_index('ix_roster_progress_status', 'roster_progress')
    op.drop_table('roster_progress')
