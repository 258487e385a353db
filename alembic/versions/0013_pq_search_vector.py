"""PQ word search on PostgreSQL: a stored generated tsvector column with a GIN index,
replacing the expression index ix_pq_search

With the expression index, every row the newest-first walk of a common word's search
passed had its to_tsvector computed again (about 50 microseconds each), and counting
1,001 matches cost a thousand of them; a stored document makes each check a comparison.
SQLite keeps its LIKE search and gets nothing here. Adding a stored column rewrites the
table (about a minute per million PQs), then the index is built.

Revision ID: 0013
Revises: 0012
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in harmony_portal/models/pq.py (PQ_SEARCH_DOCUMENT and friends), written out so this
# migration keeps meaning what it meant when the model moves on.
DOCUMENT = "to_tsvector('english'::regconfig, (subject::text || ' '::text) || details::text)"


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(f"ALTER TABLE pq ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({DOCUMENT}) STORED")
    op.execute("CREATE INDEX ix_pq_search_vector ON pq USING gin (search_vector)")
    op.drop_index('ix_pq_search', table_name='pq')
    # The rewrite leaves the new column without statistics, and the search chooses its plan
    # from the planner's estimate of a word's frequency (services/pq_queries.py).
    op.execute("ANALYZE pq")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.create_index('ix_pq_search', 'pq', [sa.text(DOCUMENT)], unique=False, postgresql_using='gin')
    op.drop_index('ix_pq_search_vector', table_name='pq')
    op.drop_column('pq', 'search_vector')
