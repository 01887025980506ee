"""Subdomains a consultant marks not applicable (不适用) on an assessment, with the reason.

Revision ID: b13a0e5f7c21
Revises: b7e1c2d3a4f5
Create Date: 2026-11-23 02:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b13a0e5f7c21'
down_revision = 'b7e1c2d3a4f5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('not_applicable', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_column('not_applicable')
