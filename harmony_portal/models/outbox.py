"""Emails queued in the same transaction as the change that causes them."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from harmony_portal.models._base import utc_now


class OutboxEmail(SQLModel, table=True):
    """One email; ``sent_at`` is set once an SMTP server accepted it, ``failed_at`` once it
    was given up on (refused, or too many attempts).

    ``sealed`` holds values too sensitive to sit in ``body`` (a reset link), encrypted;
    they are filled in at send time and erased once sent.

    A sender claims a row (``claimed_at``, ``claimed_by``) before it sends it; the claim
    lapses after a lease, so a sender that died mid-send leaves nothing stranded. A
    temporary refusal sets ``next_attempt_at`` further out each time.

    ``category`` is the kind of email (services/email_preferences): the admin Outbox shows it.
    """

    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(max_length=254, index=True)
    subject: str = Field(max_length=200)
    body: str
    created_at: datetime = Field(default_factory=utc_now)
    sent_at: datetime | None = Field(default=None, index=True)
    attempts: int = 0
    last_error: str = Field(default="", max_length=500)
    failed_at: datetime | None = Field(default=None, index=True)
    sealed: str = ""
    next_attempt_at: datetime | None = None
    claimed_at: datetime | None = None
    claimed_by: str = Field(default="", max_length=100)
    category: str = Field(default="", max_length=30)
