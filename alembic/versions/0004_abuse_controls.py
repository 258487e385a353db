"""abuse controls: outbox failures and sealed values

Revision ID: 0004
Revises: 0003
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outboxemail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('sealed', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                      server_default=''))
        batch_op.create_index(batch_op.f('ix_outboxemail_failed_at'), ['failed_at'], unique=False)
    # The default only fills existing rows; the model sets the value from now on.
    with op.batch_alter_table('outboxemail', schema=None) as batch_op:
        batch_op.alter_column('sealed', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('outboxemail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outboxemail_failed_at'))
        batch_op.drop_column('sealed')
        batch_op.drop_column('failed_at')
