"""Audit Log at scale: an index per filter ending in (at, id), replacing the single-column ones

The Audit Log pages newest first by (at, id), filtered by a time range, actor, organization or
action. Each of these indexes serves one filter, with or without a time range, as a single range
scan at any page depth; the old single-column indexes on at, actor_id and action are their
prefixes, so they go. Measured with 5,000,000 rows in benchmarks/audit_log.py.

Revision ID: 0010
Revises: 0009
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NEW = {
    'ix_auditevent_at_id': ['at', 'id'],
    'ix_auditevent_actor_at_id': ['actor_id', 'at', 'id'],
    'ix_auditevent_org_at_id': ['organization_id', 'at', 'id'],
    'ix_auditevent_action_at_id': ['action', 'at', 'id'],
}
_OLD = {'ix_auditevent_at': ['at'], 'ix_auditevent_actor_id': ['actor_id'], 'ix_auditevent_action': ['action']}


def upgrade() -> None:
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        for name, columns in _NEW.items():
            batch_op.create_index(name, columns, unique=False)
        for name in _OLD:
            batch_op.drop_index(name)


def downgrade() -> None:
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        for name, columns in _OLD.items():
            batch_op.create_index(name, columns, unique=False)
        for name in _NEW:
            batch_op.drop_index(name)
