"""Review rows found by their role: a role that ends outside the review (its end date came, or it was
removed on User Roles) closes its rows in open reviews

Revision ID: 0024
Revises: 0023
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_reviewitem_org_role_id', 'reviewitem', ['org_role_id'])


def downgrade() -> None:
    op.drop_index('ix_reviewitem_org_role_id', table_name='reviewitem')
