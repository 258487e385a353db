"""One pending role request per person, organization and role

Two identical requests could both be pending (filed at once, or by the person and their
Access Coordinator): officials saw the same line twice. A unique partial index makes the
second one impossible, whatever the timing. Duplicates already there are cancelled, the
oldest of each kept, before the index is made.

Revision ID: 0017
Revises: 0016
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Must be PENDING_ONLY in harmony_portal/models/roles.py.
PENDING_ONLY = "status = 'pending'"


def upgrade() -> None:
    op.execute(sa.text(
        "UPDATE rolerequest SET status = 'cancelled' WHERE status = 'pending' AND id NOT IN ("
        " SELECT MIN(id) FROM rolerequest WHERE status = 'pending' GROUP BY user_id, organization_id, role)"))
    op.create_index('ux_rolerequest_one_pending', 'rolerequest', ['user_id', 'organization_id', 'role'],
                    unique=True, postgresql_where=sa.text(PENDING_ONLY), sqlite_where=sa.text(PENDING_ONLY))


def downgrade() -> None:
    op.drop_index('ux_rolerequest_one_pending', table_name='rolerequest')
