"""The admin Outbox: what became of each email, and sending a failed one again (administrators only)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from harmony_portal.models import OutboxEmail, User, utc_now
from harmony_portal.services import changes
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.clock import format_local
from harmony_portal.services.errors import Conflict, NotAllowed
from harmony_portal.services.guards import require_admin
from harmony_portal.services.mail.outbox import LEASE, RetryPolicy, sanitized_error
from harmony_portal.services.notifications.email_preferences import LABELS
from harmony_portal.services.notifications.notify import rendered_body
from harmony_portal.settings import get_settings

NOT_FAILED = "That email is not waiting for a retry: it was sent, or it is already queued again."
LINK_GONE = ("That email held a one-time link, erased when the email failed: it can't be sent again. "
             "The person asks for a new one.")
_PLACEHOLDER = re.compile(r"\{\{\w+\}\}")


def _attempts(n: int) -> str:
    return f"{n} attempt" if n == 1 else f"{n} attempts"


def state_of(email: OutboxEmail, now: datetime, policy: RetryPolicy) -> tuple[str, str]:
    """The email's state as the Outbox shows it: (key, sentence)."""
    if email.sent_at:
        return "sent", f"Sent {format_local(email.sent_at)}"
    if email.failed_at:
        return "failed", f"Failed after {_attempts(email.attempts)}"
    if email.claimed_at and email.claimed_at >= now - LEASE:
        return "sending", "Sending"
    if email.attempts:
        when = format_local(email.next_attempt_at) if email.next_attempt_at else "now"
        return "retrying", (f"Retrying (attempt {email.attempts + 1} of {policy.max_attempts}, "
                            f"next try at {when})")
    return "queued", "Queued"


def _link_erased(email: OutboxEmail) -> bool:
    return not email.sealed and bool(_PLACEHOLDER.search(email.body))


def shows_whole_messages() -> bool:
    """A demo machine with no mail server: the Outbox shows each message whole, links and all, or a
    reset link could never reach anyone. Production (which refuses demo data) never does."""
    settings = get_settings()
    return settings.harmony_demo and not settings.is_production and not settings.smtp_address()


def delivery_note() -> str:
    """What the Outbox says of delivery itself: nothing while a mail server is set."""
    if get_settings().smtp_address():
        return ""
    if shows_whole_messages():
        return ("No mail server is set (SMTP_URL), so nothing is sent: on this demo machine each message is "
                "shown whole below, links included.")
    return ("No mail server is set, so emails wait here and are not sent. Set SMTP_URL=smtp://USER:PASSWORD@HOST:"
            "PORT (README, Settings) and restart: the waiting emails then go out.")


def outbox_rows(session: Session, actor: User, *, now: datetime | None = None, limit: int = 50) -> list[dict]:
    """The newest emails with their state and (sanitized) last error.

    Raises:
        NotAllowed: the actor is not an administrator.
    """
    require_admin(session, actor)
    now, policy, smtp_url = now or utc_now(), RetryPolicy.from_settings(), get_settings().smtp_address()
    whole = shows_whole_messages()
    rows = []
    for e in session.exec(select(OutboxEmail).order_by(col(OutboxEmail.id).desc()).limit(limit)):
        key, state = state_of(e, now, policy)
        rows.append({"id": str(e.id), "to": e.to_address, "subject": e.subject,
                     "category": LABELS.get(e.category, ""), "queued": format_local(e.created_at),
                     "state": state, "error": sanitized_error(e.last_error, smtp_url) if key != "sent" else "",
                     "retryable": "yes" if key == "failed" and not _link_erased(e) else "",
                     "body": rendered_body(e) if whole else ""})
    return rows


def retry_email(session: Session, actor: User, email_id: int, *, now: datetime | None = None) -> OutboxEmail:
    """Put a failed email back in the outbox with a fresh set of attempts; audited.

    Race-safe: a conditional UPDATE, so a double click (or two administrators) queues it once.

    Raises:
        NotAllowed: the actor is not an administrator.
        Conflict: no such failed email (sent, queued already), or its one-time link is gone.
    """
    require_admin(session, actor)
    now = now or utc_now()
    email = session.get(OutboxEmail, email_id)
    if email is None:
        raise NotAllowed("There is no such email.")
    if email.failed_at is not None and _link_erased(email):
        raise Conflict(LINK_GONE)
    previous_attempts, previous_error = email.attempts, email.last_error
    won = session.execute(
        update(OutboxEmail).where(col(OutboxEmail.id) == email_id, col(OutboxEmail.failed_at).is_not(None),
                                  col(OutboxEmail.sent_at).is_(None))
        .values(failed_at=None, attempts=0, next_attempt_at=None, claimed_at=None, claimed_by="", last_error=""))
    if won.rowcount != 1:
        raise Conflict(NOT_FAILED)
    session.refresh(email)
    audit.record(session, "outbox.retried", actor_id=actor.id, target=f"email:{email.id}", now=now,
                 to=email.to_address, subject=email.subject, attempts=previous_attempts,
                 error=sanitized_error(previous_error, get_settings().smtp_address())[:200])
    changes.mail_queued(session)  # the sender tries it as soon as this commits
    return email
