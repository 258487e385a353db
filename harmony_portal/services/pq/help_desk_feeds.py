"""What the help desk's live queue shows: its rows for a choice of filters, and the weekly figures.

``live/help_desk`` writes these into each help-desk session's feed; the Help Desk page fills its
own feed with the same functions. Every read goes through ``pq_queries``, which refuses
anyone but the help desk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from harmony_portal.models import Organization, User
from harmony_portal.services.accounts.identity import users_by_ids
from harmony_portal.services.clock import to_local
from harmony_portal.services.errors import Invalid
from harmony_portal.services.pq.queries import help_desk_queue, weekly_stats
from harmony_portal.services.pq.sla import format_due
from harmony_portal.services.roles.requests import administrator_ids, full_name
from harmony_portal.services.signin import sessions
from harmony_portal.services.signing.queries import signature_counts
from harmony_portal.vocabulary import ACCESS_REQUEST, INQUIRY_TYPES, PQ_STATUSES

Row = dict[str, str]
WEEKS = 8


@dataclass(frozen=True)
class Filters:
    """The queue's filters; "" means any."""

    status: str = ""
    inquiry_type: str = ""
    provider: str = ""  # an organization id


def clean_filters(session: Session, *, status: str = "", inquiry_type: str = "", provider: str = "") -> Filters:
    """Filters from what a page sent, each one known or empty.

    Raises:
        Invalid: a status, inquiry type or organization the portal does not have.
    """
    if status and status not in PQ_STATUSES:
        raise Invalid("status", "Choose a Status from the list.")
    if inquiry_type and inquiry_type not in INQUIRY_TYPES:
        raise Invalid("inquiry_type", "Choose an Inquiry Type from the list.")
    if provider and (len(provider) > 64 or session.get(Organization, provider) is None):
        raise Invalid("provider", "Choose a Provider from the list.")
    return Filters(status=status, inquiry_type=inquiry_type, provider=provider)


def _name(user: User | None) -> str:
    return full_name(user) if user else ""


def queue_rows(session: Session, admin: User, filters: Filters, *, now: datetime) -> list[Row]:
    """The queue as the page shows it: by first-response due time, with the due time in Alaska time.

    Raises:
        NotAllowed: ``admin`` is not the help desk.
    """
    queue = help_desk_queue(session, admin, status=filters.status or None,
                            inquiry_type=filters.inquiry_type or None, provider=filters.provider or None, now=now)
    takers = {u.id: u for u in users_by_ids(session, {r.taken_by_id for r in queue if r.taken_by_id})}
    signatures = signature_counts(session, [r.id for r in queue if r.inquiry_type == ACCESS_REQUEST])
    return [{"id": str(r.id), "provider": r.provider_name, "inquiry_type": r.inquiry_type, "subject": r.subject,
             "status": r.status, "due": format_due(r.first_response_due_at) if r.first_response_due_at else "",
             "overdue": "yes" if r.overdue else "", "taken_by": _name(takers.get(r.taken_by_id)),
             "signatures": f"Signatures: {signatures[r.id]} of 3" if r.id in signatures else ""}
            for r in queue]


def week_rows(session: Session, admin: User, *, now: datetime) -> tuple[list[dict], str]:
    """PQs opened and answered per week, and the share answered within 24 business hours,
    oldest week first; with one sentence summing them up (the chart's accessible name).

    Each row: ``week`` ("Mar 2"), ``opened``, ``answered`` (numbers, for the chart),
    ``on_time`` (a whole percent, or None when no PQ was opened) and ``on_time_text``.

    Raises:
        NotAllowed: ``admin`` is not the help desk.
    """
    stats = weekly_stats(session, admin, WEEKS, now=now)
    rows = []
    for week in stats:
        start = to_local(week.week_start)
        share = week.on_time_share
        percent = None if share is None else round(share * 100)
        rows.append({"week": f"{start:%b} {start.day}", "opened": week.opened, "answered": week.answered,
                     "on_time": percent, "on_time_text": "No PQs opened" if percent is None else f"{percent}%"})
    opened = sum(w.opened for w in stats)
    answered = sum(w.answered for w in stats)
    on_time = sum(w.answered_on_time for w in stats)
    share = f"{round(on_time * 100 / opened)}% of them" if opened else "none"
    summary = (f"PQs per week, last {len(stats)} weeks from {rows[0]['week']}: {opened} opened, {answered} answered; "
               f"{share} answered within 24 business hours. The table PQs per week below has each week's figures.")
    return rows, summary


def live_desk_sessions(session: Session, *, now: datetime | None = None) -> list[tuple[int, User]]:
    """Every open, second-factor session of an active help-desk administrator: (session id, user)."""
    admins = {u.id: u for u in users_by_ids(session, administrator_ids(session))}
    live = sessions.live_session_ids(session, admins, now=now)
    return [(session_id, admins[uid]) for uid, ids in sorted(live.items()) for session_id in sorted(ids)]
