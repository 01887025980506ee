"""Plan items: the owner may be one of the firm's users, so that reminders go to that user alone.

Revision ID: c20a7e1d0b52
Revises: b17e0a2c4d61
Create Date: 2026-11-23 07:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c20a7e1d0b52'
down_revision = 'b17e0a2c4d61'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('plan_items', schema=None) as b:
        b.add_column(sa.Column('owner_user_id', sa.Integer(), nullable=True))
        b.create_foreign_key('fk_plan_items_owner_user_id_users', 'users', ['owner_user_id'], ['id'])


def downgrade():
    with op.batch_alter_table('plan_items', schema=None) as b:
        b.drop_constraint('fk_plan_items_owner_user_id_users', type_='foreignkey')
        b.drop_column('owner_user_id')
