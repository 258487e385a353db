"""drop rolerequest.version: decisions are claimed by a conditional UPDATE on status

Revision ID: 0006
Revises: 0005
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('rolerequest', schema=None) as batch_op:
        batch_op.drop_column('version')


def downgrade() -> None:
    with op.batch_alter_table('rolerequest', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
