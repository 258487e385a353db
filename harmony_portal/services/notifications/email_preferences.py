"""Which emails each person gets: one choice per category; security emails are never optional."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from harmony_portal.models import EmailPreference, User, utc_now
from harmony_portal.services.audit import trail as audit

# The categories every email and in-app notification is filed under (OutboxEmail.category).
ROLE_DECISIONS = "role_decisions"
ROLE_REQUESTS = "role_requests"
PQ_UPDATES = "pq_updates"
ANNOUNCEMENTS = "announcements"
SECURITY = "security"


@dataclass(frozen=True)
class Category:
    key: str
    label: str  # the checkbox's label on the User Profile (an outside contract: tests find it by name)
    hint: str


# The choices, in the order the User Profile lists them.
CHOICES = (
    Category(ROLE_DECISIONS, "Role request decisions",
             "Your role requests approved or denied, and roles granted to you or removed."),
    Category(ROLE_REQUESTS, "New role requests to decide",
             "Someone asks for a role at an organization you approve requests for."),
    Category(PQ_UPDATES, "PQ responses and updates",
             "Your PQ was received or answered, or your Access Request was denied."),
    Category(ANNOUNCEMENTS, "Announcements", "News from the Harmony Help Desk."),
)
CHOICE_KEYS = frozenset(c.key for c in CHOICES)
LABELS = {c.key: c.label for c in CHOICES} | {SECURITY: "Security"}
SECURITY_NOTE = ("Security emails are always sent and can't be turned off: password resets, changes of your "
                 "email address, two-factor changes, sign-in alerts and a disabled account.")


def choices_of(session: Session, user_id: int) -> dict[str, bool]:
    """Every optional category with whether ``user_id`` gets its emails (on unless turned off)."""
    stored = {p.category: p.send for p in session.exec(
        select(EmailPreference).where(EmailPreference.user_id == user_id))}
    return {c.key: stored.get(c.key, True) for c in CHOICES}


def recipients_wanting(session: Session, user_ids: set[int], category: str) -> set[int]:
    """Those of ``user_ids`` who get emails of ``category`` (everyone, for security emails)."""
    if category not in CHOICE_KEYS or not user_ids:
        return set(user_ids)
    off = set(session.exec(select(EmailPreference.user_id).where(
        col(EmailPreference.user_id).in_(user_ids), EmailPreference.category == category,
        EmailPreference.send.is_(False))))
    return set(user_ids) - off


def save_choices(session: Session, actor: User, wanted: dict[str, bool], *,
                 now: datetime | None = None) -> dict[str, bool]:
    """Store the actor's own choices (only their own: there is no user argument), audited.

    Categories missing from ``wanted`` are turned off (an unticked checkbox is not sent);
    anything that is not an optional category (security, say) is ignored.
    """
    now = now or utc_now()
    before = choices_of(session, actor.id)
    after = {key: bool(wanted.get(key, False)) for key in before}
    if after == before:
        return after
    stored = {p.category: p for p in session.exec(
        select(EmailPreference).where(EmailPreference.user_id == actor.id))}
    for key, send in after.items():
        row = stored.get(key) or EmailPreference(user_id=actor.id, category=key)
        row.send, row.updated_at = send, now
        session.add(row)
    audit.record(session, "account.email_preferences_changed", actor_id=actor.id, subject_user_id=actor.id,
                 now=now, off=sorted(k for k, send in after.items() if not send))
    return after
