"""enrolment codes: the one-time code a two-factor reset issues

Revision ID: 0012
Revises: 0011
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'enrolmentcode',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('issued_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('session_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['issued_by_id'], ['user.id']),
        sa.ForeignKeyConstraint(['session_id'], ['usersession.id']),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('enrolmentcode', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolmentcode_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('enrolmentcode', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrolmentcode_user_id'))
    op.drop_table('enrolmentcode')
