"""PQ chapter at scale: partial indexes for the help desk's queue (open PQs by due time,
and one provider's open PQs by due time)

Measured with 1,000,000 PQs (benchmarks/pq_queries.py): without them the queue read every
open PQ's row, or every row of the provider, to sort by due time.

Revision ID: 0009
Revises: 0008
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Must be PQ_OPEN in harmony_portal/models/pq.py, which the queue query states word for word.
OPEN = "status NOT IN ('Resolved', 'Closed')"


def upgrade() -> None:
    with op.batch_alter_table('pq', schema=None) as batch_op:
        batch_op.create_index('ix_pq_open_due', ['first_response_due_at', 'id'], unique=False,
                              postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
        batch_op.create_index('ix_pq_open_org_due', ['organization_id', 'first_response_due_at'], unique=False,
                              postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))


def downgrade() -> None:
    with op.batch_alter_table('pq', schema=None) as batch_op:
        batch_op.drop_index('ix_pq_open_org_due')
        batch_op.drop_index('ix_pq_open_due')
