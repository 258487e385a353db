"""The Access Request signed in the portal, and scheduled jobs

Each Access Request form going round its three signers (signingform, formsigner), and the
rows that remind signers and expire forms once across workers and nodes (scheduledjob).

Revision ID: 0020
Revises: 0019
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Must be SIGNING_OPEN in harmony_portal/models/signing.py.
SIGNING_OPEN = "status = 'signing'"


def upgrade() -> None:
    op.create_table(
        'signingform',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pq_id', sa.Integer(), nullable=False),
        sa.Column('access_for_id', sa.Integer(), nullable=False),
        sa.Column('started_by_id', sa.Integer(), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('values', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('attachment_id', sa.Integer(), nullable=True),
        sa.Column('unsigned_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('signed_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('certificate_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('end_reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column('ended_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('ended_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['pq_id'], ['pq.id']),
        sa.ForeignKeyConstraint(['access_for_id'], ['user.id']),
        sa.ForeignKeyConstraint(['started_by_id'], ['user.id']),
        sa.ForeignKeyConstraint(['attachment_id'], ['attachment.id']),
        sa.ForeignKeyConstraint(['ended_by_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_signingform_pq_id', 'signingform', ['pq_id'])
    op.create_index('ux_signingform_one_open', 'signingform', ['pq_id'], unique=True,
                    postgresql_where=sa.text(SIGNING_OPEN), sqlite_where=sa.text(SIGNING_OPEN))
    op.create_table(
        'formsigner',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('form_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('asked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('opened_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('signed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('declined_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column('reminders_sent', sa.Integer(), nullable=False),
        sa.Column('resent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['form_id'], ['signingform.id']),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('form_id', 'position'),
    )
    op.create_index('ix_formsigner_form_id', 'formsigner', ['form_id'])
    op.create_index('ix_formsigner_user_id', 'formsigner', ['user_id'])
    op.create_table(
        'scheduledjob',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('lease_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('done_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'subject'),
    )
    op.create_index('ix_scheduledjob_due', 'scheduledjob', ['done_at', 'due_at'])


def downgrade() -> None:
    op.drop_index('ix_scheduledjob_due', table_name='scheduledjob')
    op.drop_table('scheduledjob')
    op.drop_index('ix_formsigner_user_id', table_name='formsigner')
    op.drop_index('ix_formsigner_form_id', table_name='formsigner')
    op.drop_table('formsigner')
    op.drop_index('ux_signingform_one_open', table_name='signingform')
    op.drop_index('ix_signingform_pq_id', table_name='signingform')
    op.drop_table('signingform')
