"""Access reviews: a review of one organization or all, each role in it (a snapshot), each organization's
progress and when its officials opened it

Revision ID: 0023
Revises: 0022
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'accessreview',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('if_not_reviewed', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('repeat_days', sa.Integer(), nullable=True),
        sa.Column('reminded_days', sa.Integer(), nullable=False),
        sa.Column('row_count', sa.Integer(), nullable=False),
        sa.Column('decided_count', sa.Integer(), nullable=False),
        sa.Column('organization_count', sa.Integer(), nullable=False),
        sa.Column('started_by_id', sa.Integer(), nullable=True),
        sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id']),
        sa.ForeignKeyConstraint(['started_by_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_accessreview_due_at', 'accessreview', ['due_at'])
    op.create_table(
        'reviewitem',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('review_id', sa.Integer(), nullable=False),
        sa.Column('org_role_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('granted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('last_sign_in_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('recommended', sa.Boolean(), nullable=False),
        sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.ForeignKeyConstraint(['review_id'], ['accessreview.id']),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id']),
        sa.ForeignKeyConstraint(['decided_by_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_reviewitem_org_decision', 'reviewitem', ['organization_id', 'decision', 'review_id'])
    op.create_index('ix_reviewitem_review_decision', 'reviewitem', ['review_id', 'decision'])
    op.create_index('ix_reviewitem_decision_role', 'reviewitem', ['decision', 'role'])
    op.create_table(
        'revieworganization',
        sa.Column('review_id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('row_count', sa.Integer(), nullable=False),
        sa.Column('decided_count', sa.Integer(), nullable=False),
        sa.Column('opened_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('opened_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['review_id'], ['accessreview.id']),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id']),
        sa.ForeignKeyConstraint(['opened_by_id'], ['user.id']),
        sa.PrimaryKeyConstraint('review_id', 'organization_id'),
    )


def downgrade() -> None:
    op.drop_table('revieworganization')
    op.drop_index('ix_reviewitem_decision_role', table_name='reviewitem')
    op.drop_index('ix_reviewitem_review_decision', table_name='reviewitem')
    op.drop_index('ix_reviewitem_org_decision', table_name='reviewitem')
    op.drop_table('reviewitem')
    op.drop_index('ix_accessreview_due_at', table_name='accessreview')
    op.drop_table('accessreview')
