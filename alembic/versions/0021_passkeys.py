"""Passkeys: WebAuthn credentials, their ceremonies' challenges, and the policy requiring them

A passkey per row (credential id unique across accounts, name unique per account), the one-use
challenges of registration, sign-in and step-up, the portal policy row (a passkey required of
Security Officials and the help desk), when "Add a passkey?" was last offered, and a session's
fresh passkey step-up.

Revision ID: 0021
Revises: 0020
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'passkey',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('credential_id', sqlmodel.sql.sqltypes.AutoString(length=1400), nullable=False),
        sa.Column('public_key', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column('sign_count', sa.BigInteger(), nullable=False),
        sa.Column('aaguid', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('transports', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('backup_eligible', sa.Boolean(), nullable=False),
        sa.Column('backed_up', sa.Boolean(), nullable=False),
        sa.Column('passwordless', sa.Boolean(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('last_used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'name', name='uq_passkey_user_name'),
    )
    op.create_index('ix_passkey_user_id', 'passkey', ['user_id'])
    op.create_index('ix_passkey_credential_id', 'passkey', ['credential_id'], unique=True)
    op.create_table(
        'passkeychallenge',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('challenge', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('session_id', sa.Integer(), nullable=True),
        sa.Column('passkey_name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.ForeignKeyConstraint(['session_id'], ['usersession.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_passkeychallenge_user_id', 'passkeychallenge', ['user_id'])
    op.create_index('ix_passkeychallenge_session_id', 'passkeychallenge', ['session_id'])
    op.create_table(
        'portalpolicy',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('require_passkey_for_grantors', sa.Boolean(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.add_column('user', sa.Column('passkey_prompted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.add_column('user', sa.Column('passkey_user_handle', sqlmodel.sql.sqltypes.AutoString(length=100),
                                    nullable=True))
    op.add_column('usersession', sa.Column('passkey_step_up_at', sqlmodel.sql.sqltypes.UTCDateTime(),
                                           nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('usersession') as batch:
        batch.drop_column('passkey_step_up_at')
    with op.batch_alter_table('user') as batch:
        batch.drop_column('passkey_user_handle')
        batch.drop_column('passkey_prompted_at')
    op.drop_table('portalpolicy')
    op.drop_index('ix_passkeychallenge_session_id', table_name='passkeychallenge')
    op.drop_index('ix_passkeychallenge_user_id', table_name='passkeychallenge')
    op.drop_table('passkeychallenge')
    op.drop_index('ix_passkey_credential_id', table_name='passkey')
    op.drop_index('ix_passkey_user_id', table_name='passkey')
    op.drop_table('passkey')
