"""Data at scale: indexes for the reads that scanned whole tables with a full portal's data

Measured with benchmarks/scale_data.py (100,000 users, 10,000 organizations, 1,000,000 PQs,
5,000,000 audit rows): the help desk's weekly figures read every PQ; Administration's user
search walked every account; the help desk's page loads read every role grant to find the
organizations with no Security Official, and its Role Requests queue every role request.

- ix_pq_created_answered, ix_pq_first_response_at: PQs opened / answered in the last weeks
  (the first holds what the figures need, so they read no table rows).
- ix_user_*_prefix: the start of a User ID, email, last name or "first last"; PostgreSQL
  needs the pattern operator classes for LIKE 'text%' under any collation but C.
- ix_orgrole_role_org: the organizations that have a Security Official.
- ix_rolerequest_pending_org: pending requests by organization (decided ones stay out).

Revision ID: 0016
Revises: 0015
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Must be PENDING_ONLY in harmony_portal/models/roles.py.
PENDING_ONLY = "status = 'pending'"
# (name, expression, PostgreSQL operator class): the expressions as models/accounts.py declares them.
_USER_PREFIX = (
    ('ix_user_user_id_key_prefix', 'user_id_key', 'varchar_pattern_ops'),
    ('ix_user_email_key_prefix', 'email_key', 'varchar_pattern_ops'),
    ('ix_user_last_name_prefix', 'lower(last_name)', 'text_pattern_ops'),
    ('ix_user_full_name_prefix', "((lower(first_name) || ' ') || lower(last_name))", 'text_pattern_ops'),
)


def upgrade() -> None:
    op.create_index('ix_pq_created_answered', 'pq', ['created_at', 'first_response_at', 'first_response_due_at'])
    op.create_index('ix_pq_first_response_at', 'pq', ['first_response_at'])
    op.create_index('ix_orgrole_role_org', 'orgrole', ['role', 'organization_id'])
    op.create_index('ix_rolerequest_pending_org', 'rolerequest', ['organization_id', 'created_at'],
                    postgresql_where=sa.text(PENDING_ONLY), sqlite_where=sa.text(PENDING_ONLY))
    postgres = op.get_bind().dialect.name == 'postgresql'
    for name, expression, opclass in _USER_PREFIX:
        if postgres:
            op.execute(f'CREATE INDEX {name} ON "user" ({expression} {opclass})')
        else:
            op.create_index(name, 'user', [sa.text(expression)])


def downgrade() -> None:
    for name, _expression, _opclass in reversed(_USER_PREFIX):
        op.drop_index(name, table_name='user')
    op.drop_index('ix_rolerequest_pending_org', table_name='rolerequest')
    op.drop_index('ix_orgrole_role_org', table_name='orgrole')
    op.drop_index('ix_pq_first_response_at', table_name='pq')
    op.drop_index('ix_pq_created_answered', table_name='pq')
