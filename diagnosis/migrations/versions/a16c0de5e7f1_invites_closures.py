"""Invitation codes managed by zone staff, firms' closure requests and the zone's closure setting.

Revision ID: a16c0de5e7f1
Revises: b19d2e3f4a5b
Create Date: 2026-11-23 04:55:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a16c0de5e7f1'
down_revision = "b19d2e3f4a5b"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'invite_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('zone_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('max_uses', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_invite_codes_zone_id_zones')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invite_codes')),
        sa.UniqueConstraint('code', name=op.f('uq_invite_codes_code')),
    )
    with op.batch_alter_table('invite_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invite_codes_zone_id'), ['zone_id'], unique=False)
    op.create_table(
        'closure_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('zone_id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=True),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=1000), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decision_reason', sa.String(length=1000), nullable=True),
        sa.Column('mode', sa.String(length=10), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'confirmed', 'refused')", name=op.f('ck_closure_requests_status')),
        sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_closure_requests_company_id_companies')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_closure_requests_decided_by_id_users')),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_closure_requests_requested_by_id_users')),
        sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_closure_requests_zone_id_zones')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_closure_requests')),
    )
    with op.batch_alter_table('closure_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_closure_requests_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_closure_requests_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_closure_requests_zone_id'), ['zone_id'], unique=False)
    with op.batch_alter_table('zones', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closure_mode', sa.String(length=10), server_default='anonymise', nullable=False))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invite_code_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_invite_code_id'), ['invite_code_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_invite_code_id_invite_codes'), 'invite_codes', ['invite_code_id'], ['id'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_invite_code_id_invite_codes'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_invite_code_id'))
        batch_op.drop_column('invite_code_id')
    with op.batch_alter_table('zones', schema=None) as batch_op:
        batch_op.drop_column('closure_mode')
    op.drop_table('closure_requests')
    op.drop_table('invite_codes')
