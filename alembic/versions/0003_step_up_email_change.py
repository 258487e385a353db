"""email changes wait for a confirmation link

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('emailchange',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('new_email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('emailchange', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_emailchange_token_hash'), ['token_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_emailchange_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('emailchange', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_emailchange_user_id'))
        batch_op.drop_index(batch_op.f('ix_emailchange_token_hash'))
    op.drop_table('emailchange')
