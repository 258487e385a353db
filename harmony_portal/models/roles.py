"""Roles people hold at organizations, and their requests for them."""

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from harmony_portal.models._base import HAS_CLIENT_KEY, utc_now
from harmony_portal.vocabulary import PENDING

PENDING_ONLY = f"status = '{PENDING}'"


class OrgRole(SQLModel, table=True):
    """A granted role: who holds it, where, and who granted it when."""

    __table_args__ = (
        UniqueConstraint("user_id", "organization_id", "role"),
        # The organizations with (and without) a Security Official: the help desk decides for
        # those without, so its every page load asks (migration 0016; was a scan of every grant).
        Index("ix_orgrole_role_org", "role", "organization_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    organization_id: str = Field(foreign_key="organization.id", index=True)
    role: str = Field(max_length=40)
    granted_by_id: int | None = Field(default=None, foreign_key="user.id")
    granted_at: datetime = Field(default_factory=utc_now)
    # A time-limited role: the last day of access (Alaska), and the moment it ends (the first minute after
    # that day in Alaska, in UTC): the ending job finds due roles by it. None: until removed.
    ends_on: date | None = None
    ends_at: datetime | None = Field(default=None, index=True)
    notified_days: int = 0  # the last warning sent before the end (14, then 3); 0: none yet


class RoleTerm(SQLModel, table=True):
    """How long a role lasts when its approval names no end date (an administrator's setting)."""

    role: str = Field(primary_key=True, max_length=40)
    days: int
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utc_now)


class RoleRequest(SQLModel, table=True):
    """A request for a role; decisions claim it with a conditional UPDATE on ``status``."""

    __table_args__ = (
        Index("ix_rolerequest_org_status_created", "organization_id", "status", "created_at"),
        # The pending requests of a set of organizations (a decider's queue): a small index
        # that decided requests, which pile up for years, stay out of (migration 0016).
        Index("ix_rolerequest_pending_org", "organization_id", "created_at",
              postgresql_where=text(PENDING_ONLY), sqlite_where=text(PENDING_ONLY)),
        # One pending request per person, organization and role, even when two arrive at once
        # (migration 0017).
        Index("ux_rolerequest_one_pending", "user_id", "organization_id", "role", unique=True,
              postgresql_where=text(PENDING_ONLY), sqlite_where=text(PENDING_ONLY)),
        # One request per form the requester opened (migration 0019; services/once.py).
        Index("ux_rolerequest_client_key", "user_id", "client_key", unique=True,
              postgresql_where=text(HAS_CLIENT_KEY), sqlite_where=text(HAS_CLIENT_KEY)),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    organization_id: str = Field(foreign_key="organization.id")
    role: str = Field(max_length=40)
    justification: str = Field(max_length=1000)
    status: str = Field(default=PENDING, max_length=16)
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = None
    reason: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utc_now)
    # Filed for the user by their organization's Access Coordinator, from an Access Request PQ
    # (None: the user asked for it themselves).
    requested_by_id: int | None = Field(default=None, foreign_key="user.id")
    pq_id: int | None = Field(default=None, foreign_key="pq.id", index=True)
    client_key: str | None = Field(default=None, max_length=64)  # made when the request form opened
    # "Ask for more time": the holder of this role asks to keep it until this last day (None: a new role).
    more_time_until: date | None = None
