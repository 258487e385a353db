"""Provider Questions, their notes and attachments, and saved drafts."""

from datetime import datetime

from sqlalchemy import DDL, Index, UniqueConstraint, event, text
from sqlmodel import Field, SQLModel

from harmony_portal.models._base import HAS_CLIENT_KEY, utc_now

# The PQ list's word search (services/pq_queries.py) reads, on PostgreSQL only, a stored
# generated tsvector of subject and details with a GIN index over it (migration 0013). Stored,
# so checking a row is a comparison, not a to_tsvector of its text: a common word's search
# walks the newest PQs and stops at a page. SQLite has neither and searches with LIKE. Neither
# is a model field (SQLite has no tsvector); the migration check leaves them out by these names.
PQ_SEARCH_DOCUMENT = "to_tsvector('english'::regconfig, (subject::text || ' '::text) || details::text)"
PQ_SEARCH_VECTOR = "search_vector"
PQ_SEARCH_VECTOR_INDEX = "ix_pq_search_vector"
PQ_SEARCH_VECTOR_DDL = (f"ALTER TABLE pq ADD COLUMN {PQ_SEARCH_VECTOR} tsvector "
                        f"GENERATED ALWAYS AS ({PQ_SEARCH_DOCUMENT}) STORED")
PQ_SEARCH_VECTOR_INDEX_DDL = f"CREATE INDEX {PQ_SEARCH_VECTOR_INDEX} ON pq USING gin ({PQ_SEARCH_VECTOR})"
# Statuses off the help desk's queue, and the queue's WHERE clause: the partial indexes below
# are built over exactly this predicate, and the queue query states it word for word (not
# as bound parameters) so PostgreSQL can prove the index applies.
PQ_CLOSED_STATUSES = ("Resolved", "Closed")
PQ_OPEN = "status NOT IN ('Resolved', 'Closed')"


class PQ(SQLModel, table=True):
    """A Provider Question filed in the PQ chapter."""

    __table_args__ = (
        # The help desk's queue filtered by a status: that status's PQs by due time.
        Index("ix_pq_status_due", "status", "first_response_due_at"),
        # The help desk's queue: open PQs by due time, and one provider's open PQs (migration 0009).
        Index("ix_pq_open_due", "first_response_due_at", "id",
              postgresql_where=text(PQ_OPEN), sqlite_where=text(PQ_OPEN)),
        Index("ix_pq_open_org_due", "organization_id", "first_response_due_at",
              postgresql_where=text(PQ_OPEN), sqlite_where=text(PQ_OPEN)),
        # The help desk's weekly figures: PQs opened in the last weeks (and whether answered on
        # time: in the index, so the figures read no table rows), and PQs answered in them
        # (migration 0016; was a scan of every PQ on each help-desk change).
        Index("ix_pq_created_answered", "created_at", "first_response_at", "first_response_due_at"),
        Index("ix_pq_first_response_at", "first_response_at"),
        # One PQ per form opened: a save repeated after its answer was lost (a node restarting
        # mid-save) finds the first instead of filing it twice (migration 0018).
        Index("ux_pq_client_key", "created_by_id", "client_key", unique=True,
              postgresql_where=text(HAS_CLIENT_KEY), sqlite_where=text(HAS_CLIENT_KEY)),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: str | None = Field(default=None, foreign_key="organization.id", index=True)
    provider_name: str = Field(max_length=200)
    inquiry_type: str = Field(max_length=40)
    subject: str = Field(max_length=200)
    details: str = Field(max_length=10000)
    status: str = Field(default="Pending", max_length=20)
    assigned_resource: str = Field(default="", max_length=120)
    created_by_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)
    first_response_due_at: datetime | None = Field(default=None, index=True)
    first_response_at: datetime | None = None
    taken_by_id: int | None = Field(default=None, foreign_key="user.id")
    client_key: str | None = Field(default=None, max_length=64)  # made when the form opened


# A schema made from the models (tests, a first start) gets the PostgreSQL search column too.
for _statement in (PQ_SEARCH_VECTOR_DDL, PQ_SEARCH_VECTOR_INDEX_DDL):
    event.listen(PQ.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))


class InquiryRoute(SQLModel, table=True):
    """The queue (Assigned Resource) administrators chose for an inquiry type."""

    inquiry_type: str = Field(primary_key=True, max_length=40)
    resource: str = Field(max_length=120)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utc_now)


class PQNote(SQLModel, table=True):
    """A note on a PQ (an Access Request note carries the signed form)."""

    __table_args__ = (
        Index("ux_pqnote_client_key", "author_id", "client_key", unique=True,
              postgresql_where=text(HAS_CLIENT_KEY), sqlite_where=text(HAS_CLIENT_KEY)),
    )

    id: int | None = Field(default=None, primary_key=True)
    pq_id: int = Field(foreign_key="pq.id", index=True)
    note_type: str = Field(max_length=40)
    status: str = Field(max_length=20)
    text: str = Field(max_length=10000)
    author_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utc_now)
    client_key: str | None = Field(default=None, max_length=64)  # made when the Add Note dialog opened


class Attachment(SQLModel, table=True):
    """Metadata of an uploaded file; the bytes live in the private store."""

    id: int | None = Field(default=None, primary_key=True)
    pq_id: int = Field(foreign_key="pq.id", index=True)
    note_id: int | None = Field(default=None, foreign_key="pqnote.id")
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=120)
    size: int
    sha256: str = Field(max_length=64)
    # Pages of a PDF (None for images and documents).
    pages: int | None = None
    storage_key: str = Field(max_length=128, unique=True)
    uploaded_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utc_now)


class Draft(SQLModel, table=True):
    """Server-side copy of a long form, so nothing typed is lost (one per user, kind and key)."""

    __table_args__ = (UniqueConstraint("user_id", "kind", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    kind: str = Field(max_length=40)
    key: str = Field(default="", max_length=64)
    data: str = Field(default="{}")
    updated_at: datetime = Field(default_factory=utc_now)
