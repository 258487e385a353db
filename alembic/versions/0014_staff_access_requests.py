"""Role requests an Access Coordinator files for their staff: who filed it, and the
Access Request PQ it came with (shown there with the staff member's onboarding checklist)

Revision ID: 0014
Revises: 0013
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('rolerequest', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requested_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('pq_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_rolerequest_requested_by_id_user', 'user', ['requested_by_id'], ['id'])
        batch_op.create_foreign_key('fk_rolerequest_pq_id_pq', 'pq', ['pq_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_rolerequest_pq_id'), ['pq_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rolerequest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rolerequest_pq_id'))
        batch_op.drop_constraint('fk_rolerequest_pq_id_pq', type_='foreignkey')
        batch_op.drop_constraint('fk_rolerequest_requested_by_id_user', type_='foreignkey')
        batch_op.drop_column('pq_id')
        batch_op.drop_column('requested_by_id')
