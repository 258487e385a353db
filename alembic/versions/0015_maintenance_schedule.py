"""Maintenance schedule: the weekly rule in a row (change, skip, cancel), window kinds,
announcement levels and audiences, and per-user dismissals

Revision ID: 0015
Revises: 0014
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('maintenancewindow', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False,
                                      server_default='one-off'))
    with op.batch_alter_table('announcement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False,
                                      server_default='info'))
        batch_op.add_column(sa.Column('provider_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
    op.create_table(
        'weeklymaintenance',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('weekday', sa.Integer(), nullable=False),
        sa.Column('start_minute', sa.Integer(), nullable=False),
        sa.Column('end_minute', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'announcementdismissal',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('announcement_id', sa.Integer(), nullable=False),
        sa.Column('dismissed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['announcement_id'], ['announcement.id']),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('user_id', 'announcement_id'),
    )


def downgrade() -> None:
    op.drop_table('announcementdismissal')
    op.drop_table('weeklymaintenance')
    with op.batch_alter_table('announcement', schema=None) as batch_op:
        batch_op.drop_column('provider_type')
        batch_op.drop_column('level')
    with op.batch_alter_table('maintenancewindow', schema=None) as batch_op:
        batch_op.drop_column('kind')
