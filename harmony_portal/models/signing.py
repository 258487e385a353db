"""The Access Request signed in the portal, and the scheduled jobs that remind and expire it."""

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from harmony_portal.models._base import utc_now

SIGNING_OPEN = "status = 'signing'"


class SigningForm(SQLModel, table=True):
    """One Access Request form going round its three signers, on one PDF.

    Each signature is an incremental revision of the PDF, stored as an attachment of the PQ
    (``attachment_id``: the latest). ``values`` is what the form says (JSON): when the PQ or the
    requester's profile no longer says the same, the form is void. ``status``: signing, signed,
    declined, withdrawn, expired or void. At most one form of a PQ is being signed at a time.
    """

    __table_args__ = (
        Index("ux_signingform_one_open", "pq_id", unique=True,
              postgresql_where=text(SIGNING_OPEN), sqlite_where=text(SIGNING_OPEN)),
    )

    id: int | None = Field(default=None, primary_key=True)
    pq_id: int = Field(foreign_key="pq.id", index=True)
    access_for_id: int = Field(foreign_key="user.id")  # signs as the Requester; the grant goes to them
    started_by_id: int = Field(foreign_key="user.id")
    status: str = Field(default="signing", max_length=16)
    values: str = Field(default="{}")
    attachment_id: int | None = Field(default=None, foreign_key="attachment.id")
    unsigned_sha256: str = Field(default="", max_length=64)  # the form before the first signature
    signed_sha256: str = Field(default="", max_length=64)  # the latest revision
    certificate_sha256: str = Field(default="", max_length=64)  # which portal certificate signed
    end_reason: str = Field(default="", max_length=1000)
    ended_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utc_now)
    expires_at: datetime
    ended_at: datetime | None = None


class FormSigner(SQLModel, table=True):
    """One of a form's three signers, in order: requester, supervisor, agency_signer.

    ``state``: waiting (not their turn yet), asked, signed, declined.
    """

    __table_args__ = (UniqueConstraint("form_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    form_id: int = Field(foreign_key="signingform.id", index=True)
    position: int  # 1, 2, 3: the order they sign in
    role: str = Field(max_length=20)
    user_id: int = Field(foreign_key="user.id", index=True)
    state: str = Field(default="waiting", max_length=10)
    asked_at: datetime | None = None
    opened_at: datetime | None = None
    signed_at: datetime | None = None
    declined_at: datetime | None = None
    reason: str = Field(default="", max_length=1000)
    reminders_sent: int = 0
    resent_at: datetime | None = None


class ScheduledJob(SQLModel, table=True):
    """Work due at a time (a reminder, an expiry), done once across workers and nodes.

    A worker claims a due row by moving ``lease_until`` forward in one conditional UPDATE; a
    worker that dies mid-job leaves a lease that lapses. ``(kind, subject)`` is unique: scheduling
    the same job again moves its time instead of adding a second one.
    """

    __table_args__ = (
        UniqueConstraint("kind", "subject"),
        Index("ix_scheduledjob_due", "done_at", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    subject: str = Field(max_length=80)
    due_at: datetime
    lease_until: datetime | None = None
    done_at: datetime | None = None
    attempts: int = 0
    last_error: str = Field(default="", max_length=500)
