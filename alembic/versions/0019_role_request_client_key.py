"""One role request per form: a request carries the key its form was opened with

As for PQs and notes (0018): the request form's save sent again after its answer was lost (a
node stopped between the commit and the answer) returns the first request instead of the
"You already asked" refusal.

Revision ID: 0019
Revises: 0018
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Must be HAS_CLIENT_KEY in harmony_portal/models/_base.py.
HAS_CLIENT_KEY = "client_key IS NOT NULL"


def upgrade() -> None:
    op.add_column('rolerequest', sa.Column('client_key', sa.String(length=64), nullable=True))
    op.create_index('ux_rolerequest_client_key', 'rolerequest', ['user_id', 'client_key'], unique=True,
                    postgresql_where=sa.text(HAS_CLIENT_KEY), sqlite_where=sa.text(HAS_CLIENT_KEY))


def downgrade() -> None:
    op.drop_index('ux_rolerequest_client_key', table_name='rolerequest')
    with op.batch_alter_table('rolerequest') as batch:
        batch.drop_column('client_key')
