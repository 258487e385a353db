"""PQ chapter: inquiry routes, who took a PQ, the PQ text-search index, one draft per form,
the audit target index (a PQ's history), onboarding checklists

Revision ID: 0008
Revises: 0007
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Must be the expression in harmony_portal/models/pq.py (PQ_SEARCH_DOCUMENT), which the
# PQ list's text search uses word for word so that PostgreSQL answers it from the index.
SEARCH_DOCUMENT = "to_tsvector('english'::regconfig, (subject::text || ' '::text) || details::text)"


def upgrade() -> None:
    op.create_table('inquiryroute',
    sa.Column('inquiry_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('resource', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('inquiry_type')
    )
    op.create_table('onboardingchecklist',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('identity_account_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('security_agreement_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('training_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('override_by_id', sa.Integer(), nullable=True),
    sa.Column('override_reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['override_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('user_id')
    )
    with op.batch_alter_table('pq', schema=None) as batch_op:
        batch_op.add_column(sa.Column('taken_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_pq_taken_by_id_user', 'user', ['taken_by_id'], ['id'])
        batch_op.create_index('ix_pq_status_due', ['status', 'first_response_due_at'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        # The PQ list's word search: a GIN index over the English text-search document.
        op.create_index('ix_pq_search', 'pq', [sa.text(SEARCH_DOCUMENT)], unique=False,
                        postgresql_using='gin')
    # One draft per user, kind and key: an earlier duplicate (none is expected) keeps the newest.
    op.execute("DELETE FROM draft WHERE id NOT IN (SELECT max(id) FROM draft GROUP BY user_id, kind, key)")
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_draft_user_id_kind_key', ['user_id', 'kind', 'key'])
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auditevent_target'), ['target'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auditevent_target'))
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.drop_constraint('uq_draft_user_id_kind_key', type_='unique')
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_pq_search', table_name='pq')
    with op.batch_alter_table('pq', schema=None) as batch_op:
        batch_op.drop_index('ix_pq_status_due')
        batch_op.drop_constraint('fk_pq_taken_by_id_user', type_='foreignkey')
        batch_op.drop_column('taken_by_id')
    op.drop_table('onboardingchecklist')
    op.drop_table('inquiryroute')
