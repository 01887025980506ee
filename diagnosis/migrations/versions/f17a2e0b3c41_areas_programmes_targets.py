"""Areas (province, city, zone, sub-zone) with staff belonging to one; programmes with rosters,
their events, and targets. Existing zones and their sub-zones become areas.

Revision ID: f17a2e0b3c41
Revises: 3c9e1f2a7b40
Create Date: 2026-11-23 02:45:00

"""
import json

import sqlalchemy as sa
from alembic import op

revision = 'f17a2e0b3c41'
down_revision = '3c9e1f2a7b40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'areas',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('parent_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('path', sa.String(length=255), nullable=False),
        sa.Column('zone_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('province', 'city', 'zone', 'sub_zone')", name='ck_areas_kind'),
        sa.ForeignKeyConstraint(['parent_id'], ['areas.id']),
        sa.ForeignKeyConstraint(['zone_id'], ['zones.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_areas_parent_id', 'areas', ['parent_id'])
    op.create_index('ix_areas_path', 'areas', ['path'])
    op.create_index('ix_areas_zone_id', 'areas', ['zone_id'])
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('area_id', sa.Integer(), nullable=True))
        batch_op.alter_column('zone_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index('ix_users_area_id', ['area_id'])
        batch_op.create_foreign_key('fk_users_area_id_areas', 'areas', ['area_id'], ['id'])

    # Every existing zone becomes a top-level zone area, each of its sub-zones an area below it.
    conn = op.get_bind()
    areas = sa.table('areas', sa.column('id', sa.Integer), sa.column('parent_id', sa.Integer),
                     sa.column('kind', sa.String), sa.column('name', sa.String), sa.column('path', sa.String),
                     sa.column('zone_id', sa.Integer))
    zones = conn.execute(sa.text('SELECT id, name, sub_zones FROM zones ORDER BY id')).all()
    for zone_id, name, sub_zones in zones:
        area_id = conn.execute(areas.insert().values(kind='zone', name=name, path='', zone_id=zone_id)
                               .returning(areas.c.id)).scalar_one()
        path = f'/{area_id}/'
        conn.execute(areas.update().where(areas.c.id == area_id).values(path=path))
        if isinstance(sub_zones, str):
            sub_zones = json.loads(sub_zones or '[]')
        for sub in sub_zones or []:
            sub_id = conn.execute(areas.insert().values(kind='sub_zone', name=str(sub)[:200], path='', parent_id=area_id,
                                                        zone_id=zone_id).returning(areas.c.id)).scalar_one()
            conn.execute(areas.update().where(areas.c.id == sub_id).values(path=f'{path}{sub_id}/'))

    op.create_table(
        'programmes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=False),
        sa.Column('zone_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('instrument_id', sa.String(length=64), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('reminder_days', sa.Integer(), nullable=False),
        sa.Column('reminder_cap', sa.Integer(), nullable=False),
        sa.Column('quotas', sa.JSON(), nullable=True),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('launched_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'running', 'closed')", name='ck_programmes_status'),
        sa.ForeignKeyConstraint(['area_id'], ['areas.id']),
        sa.ForeignKeyConstraint(['zone_id'], ['zones.id']),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_programmes_area_id', 'programmes', ['area_id'])
    op.create_index('ix_programmes_zone_id', 'programmes', ['zone_id'])
    op.create_table(
        'roster_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('programme_id', sa.Integer(), nullable=False),
        sa.Column('uscc', sa.String(length=18), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('industry_division', sa.String(length=2), nullable=False),
        sa.Column('size_class', sa.String(length=8), nullable=False),
        sa.Column('above_scale', sa.Boolean(), nullable=False),
        sa.Column('contact', sa.String(length=100), nullable=True),
        sa.Column('mobile', sa.String(length=20), nullable=True),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('sub_zone', sa.String(length=100), nullable=True),
        sa.Column('company_id', sa.Integer(), nullable=True),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('invited_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reminders_sent', sa.Integer(), nullable=False),
        sa.Column('last_mailed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['company_id'], ['companies.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('programme_id', 'uscc', name='uq_roster_firm'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_roster_entries_programme_id', 'roster_entries', ['programme_id'])
    op.create_index('ix_roster_entries_company_id', 'roster_entries', ['company_id'])
    op.create_table(
        'roster_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('outbox_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['entry_id'], ['roster_entries.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_roster_events_entry_id', 'roster_events', ['entry_id'])
    op.create_table(
        'targets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=False),
        sa.Column('programme_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('indicator', sa.String(length=16), nullable=False),
        sa.Column('instrument_id', sa.String(length=64), nullable=False),
        sa.Column('min_level', sa.Integer(), nullable=True),
        sa.Column('above_scale_only', sa.Boolean(), nullable=False),
        sa.Column('base_year', sa.Integer(), nullable=False),
        sa.Column('base_value', sa.Float(), nullable=False),
        sa.Column('target_year', sa.Integer(), nullable=False),
        sa.Column('target_value', sa.Float(), nullable=False),
        sa.Column('nature', sa.String(length=8), nullable=False),
        sa.Column('source', sa.String(length=500), nullable=False),
        sa.Column('is_demo', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("indicator IN ('coverage', 'firms_at_level', 'share_at_level')", name='ck_targets_indicator'),
        sa.CheckConstraint("nature IN ('expected', 'binding')", name='ck_targets_nature'),
        sa.ForeignKeyConstraint(['area_id'], ['areas.id']),
        sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_targets_area_id', 'targets', ['area_id'])
    op.create_index('ix_targets_programme_id', 'targets', ['programme_id'])


def downgrade():
    op.drop_table('targets')
    op.drop_table('roster_events')
    op.drop_table('roster_entries')
    op.drop_table('programmes')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('fk_users_area_id_areas', type_='foreignkey')
        batch_op.drop_index('ix_users_area_id')
        batch_op.drop_column('area_id')
    op.drop_table('areas')
