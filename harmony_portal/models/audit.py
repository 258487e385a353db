"""The audit log: append-only and hash-chained."""

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from harmony_portal.models._base import utc_now


class AuditEvent(SQLModel, table=True):
    """One security-relevant event. ``hash`` covers this row and ``prev_hash``."""

    # The Audit Log pages newest first by (at, id), each filter alone or with a time range:
    # every filter has an index that ends in (at, id), so a page is one index range scan
    # at any depth (benchmarks/audit_log.py, 5,000,000 rows).
    __table_args__ = (
        Index("ix_auditevent_at_id", "at", "id"),
        Index("ix_auditevent_actor_at_id", "actor_id", "at", "id"),
        Index("ix_auditevent_org_at_id", "organization_id", "at", "id"),
        Index("ix_auditevent_action_at_id", "action", "at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utc_now)
    action: str = Field(max_length=60)
    actor_id: int | None = Field(default=None)
    subject_user_id: int | None = Field(default=None, index=True)
    organization_id: str | None = Field(default=None, max_length=32)
    # Indexed: a PQ's history is every row whose target is "pq:<id>".
    target: str = Field(default="", max_length=120, index=True)
    ip: str = Field(default="", max_length=64)
    detail: str = Field(default="{}")
    prev_hash: str = Field(default="", max_length=64)
    hash: str = Field(default="", max_length=64)
