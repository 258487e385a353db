"""The audit log: append-only and hash-chained."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from harmony_portal.models._base import utc_now


class AuditEvent(SQLModel, table=True):
    """One security-relevant event. ``hash`` covers this row and ``prev_hash``."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utc_now, index=True)
    action: str = Field(max_length=60, index=True)
    actor_id: int | None = Field(default=None, index=True)
    subject_user_id: int | None = Field(default=None, index=True)
    organization_id: str | None = Field(default=None, max_length=32)
    # Indexed: a PQ's history is every row whose target is "pq:<id>".
    target: str = Field(default="", max_length=120, index=True)
    ip: str = Field(default="", max_length=64)
    detail: str = Field(default="{}")
    prev_hash: str = Field(default="", max_length=64)
    hash: str = Field(default="", max_length=64)
