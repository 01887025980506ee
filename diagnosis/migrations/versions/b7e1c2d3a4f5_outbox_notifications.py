"""Mail outbox, in-app notifications, and each user's language and mail preference.

Revision ID: b7e1c2d3a4f5
Revises: caa591b5610d
Create Date: 2026-11-23 02:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b7e1c2d3a4f5'
down_revision = 'caa591b5610d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lang', sa.String(length=2), server_default='zh', nullable=False))
        batch_op.add_column(sa.Column('notify_by_mail', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.create_table(
        'outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('zone_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('to_address', sa.String(length=254), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('lang', sa.String(length=2), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'sent', 'failed', 'held')", name='ck_outbox_status'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.ForeignKeyConstraint(['zone_id'], ['zones.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_zone_id', ['zone_id'])
        batch_op.create_index('ix_outbox_user_id', ['user_id'])
        batch_op.create_index('ix_outbox_created_at', ['created_at'])
    op.create_table(
        'notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('message', sa.String(length=500), nullable=False),
        sa.Column('link', sa.String(length=300), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_id', ['user_id'])
        batch_op.create_index('ix_notifications_unread', ['user_id', 'read_at'])


def downgrade():
    op.drop_table('notifications')
    op.drop_table('outbox')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('notify_by_mail')
        batch_op.drop_column('lang')
