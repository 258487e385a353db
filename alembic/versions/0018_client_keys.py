"""One save per form: PQs and notes carry the key their form was opened with

A node that stops (a deploy's SIGTERM, a crash) after committing a save but before the page
heard the answer left the form filled in; the person's second click filed the same PQ again.
Each form now carries a key made when it opened; a unique partial index per author keeps one
row per key, and the service hands back the first one.

Revision ID: 0018
Revises: 0017
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Must be HAS_CLIENT_KEY in harmony_portal/models/_base.py.
HAS_CLIENT_KEY = "client_key IS NOT NULL"


def upgrade() -> None:
    op.add_column('pq', sa.Column('client_key', sa.String(length=64), nullable=True))
    op.add_column('pqnote', sa.Column('client_key', sa.String(length=64), nullable=True))
    op.create_index('ux_pq_client_key', 'pq', ['created_by_id', 'client_key'], unique=True,
                    postgresql_where=sa.text(HAS_CLIENT_KEY), sqlite_where=sa.text(HAS_CLIENT_KEY))
    op.create_index('ux_pqnote_client_key', 'pqnote', ['author_id', 'client_key'], unique=True,
                    postgresql_where=sa.text(HAS_CLIENT_KEY), sqlite_where=sa.text(HAS_CLIENT_KEY))


def downgrade() -> None:
    op.drop_index('ux_pqnote_client_key', table_name='pqnote')
    op.drop_index('ux_pq_client_key', table_name='pq')
    with op.batch_alter_table('pqnote') as batch:
        batch.drop_column('client_key')
    with op.batch_alter_table('pq') as batch:
        batch.drop_column('client_key')
