"""Time-limited roles: a role's last day and the moment it ends, the warnings sent, default terms per role,
and requests for more time

Revision ID: 0022
Revises: 0021
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('orgrole', sa.Column('ends_on', sa.Date(), nullable=True))
    op.add_column('orgrole', sa.Column('ends_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.add_column('orgrole', sa.Column('notified_days', sa.Integer(), nullable=False, server_default='0'))
    op.create_index('ix_orgrole_ends_at', 'orgrole', ['ends_at'])
    op.add_column('rolerequest', sa.Column('more_time_until', sa.Date(), nullable=True))
    op.create_table(
        'roleterm',
        sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user.id']),
        sa.PrimaryKeyConstraint('role'),
    )


def downgrade() -> None:
    op.drop_table('roleterm')
    with op.batch_alter_table('rolerequest') as batch:
        batch.drop_column('more_time_until')
    op.drop_index('ix_orgrole_ends_at', table_name='orgrole')
    with op.batch_alter_table('orgrole') as batch:
        batch.drop_column('notified_days')
        batch.drop_column('ends_at')
        batch.drop_column('ends_on')
