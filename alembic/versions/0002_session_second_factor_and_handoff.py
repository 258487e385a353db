"""sessions record their second factor; single-use cookie hand-off codes

Revision ID: 0002
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('usersession') as batch:
        batch.add_column(sa.Column('second_factor_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.create_table(
        'sessionhandoff',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['session_id'], ['usersession.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_sessionhandoff_code_hash'), 'sessionhandoff', ['code_hash'], unique=True)
    op.create_index(op.f('ix_sessionhandoff_session_id'), 'sessionhandoff', ['session_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_sessionhandoff_session_id'), table_name='sessionhandoff')
    op.drop_index(op.f('ix_sessionhandoff_code_hash'), table_name='sessionhandoff')
    op.drop_table('sessionhandoff')
    with op.batch_alter_table('usersession') as batch:
        batch.drop_column('second_factor_at')
