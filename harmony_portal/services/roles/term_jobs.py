"""The sweeps behind time-limited roles, on the scheduled-jobs mechanism (``services/jobs.py``): ending roles
whose time is up, the 14- and 3-day warnings, and expiring role requests nobody decided.

Each is one recurring job row (subject "all") that runs as often as the job runner looks for work
(HARMONY_JOB_POLL_SECONDS), and at least every minute; the rows it works on are locked
and skipped by other workers, so running it on every worker of every node ends each role once. While
the portal is down for maintenance no job runs; what fell due then runs when the window ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select, update

from harmony_portal import routes
from harmony_portal.models import Organization, RoleRequest, ScheduledJob, User
from harmony_portal.services import changes, jobs
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.notifications.email_preferences import ROLE_DECISIONS
from harmony_portal.services.notifications.notify import tell
from harmony_portal.services.roles import terms
from harmony_portal.settings import get_settings
from harmony_portal.vocabulary import PENDING, REQUEST_EXPIRED

SWEEP = "all"


def next_run(now: datetime) -> datetime:
    """As often as the runner polls, at least every minute ("Access ends on" is kept to the minute)."""
    return now + timedelta(seconds=min(60.0, get_settings().harmony_job_poll_seconds))


def end_roles(session: Session, _subject: str, now: datetime) -> datetime:
    """Every role due now ends (batch after batch); runs again at the next poll."""
    while terms.end_due(session, now=now) == terms.BATCH:
        pass
    return next_run(now)


def warn_roles(session: Session, _subject: str, now: datetime) -> datetime:
    while terms.send_warnings(session, now=now) >= terms.BATCH:
        pass
    return next_run(now)


def expire_requests(session: Session, _subject: str, now: datetime) -> datetime:
    """Pending requests older than HARMONY_REQUEST_EXPIRY_DAYS expire; each requester is told."""
    cutoff = now - timedelta(days=get_settings().harmony_request_expiry_days)
    stale = list(session.exec(select(RoleRequest).where(RoleRequest.status == PENDING, RoleRequest.created_at < cutoff)
                              .order_by(RoleRequest.id).limit(terms.BATCH).with_for_update(skip_locked=True)))
    for request in stale:
        # Conditional: a decision made meanwhile keeps its status.
        claimed = session.exec(update(RoleRequest).where(RoleRequest.id == request.id, RoleRequest.status == PENDING)
                               .values(status=REQUEST_EXPIRED, decided_at=now)).rowcount
        if not claimed:
            continue
        requester, org = session.get(User, request.user_id), session.get(Organization, request.organization_id)
        audit.record(session, "role.request_expired", subject_user_id=requester.id, organization_id=org.id,
                     target=f"request:{request.id}", now=now, role=request.role)
        what = (f"Your request for the {request.role} role at {org.name} expired: nobody decided it within "
                f"{get_settings().harmony_request_expiry_days} days.")
        tell(session, requester, ROLE_DECISIONS, "Your role request expired",
             email=f"Hello {requester.first_name},\n\n{what}\n\nYou can request it again.\n", note=what,
             link=routes.resubmit_url(request.id), now=now)
    if stale:
        changes.requests_changed(session, {r.organization_id for r in stale})
    return next_run(now)


HANDLERS = {"roles.end_due": end_roles, "roles.warn": warn_roles, "requests.expire": expire_requests}


def ensure_scheduled(session: Session, now: datetime, kinds=HANDLERS) -> None:
    """Each sweep has its (one) recurring job row; a row already there keeps its time."""
    have = set(session.exec(select(ScheduledJob.kind).where(col(ScheduledJob.kind).in_(kinds),
                                                            ScheduledJob.subject == SWEEP)))
    for kind in kinds:
        if kind not in have:
            jobs.schedule(session, kind, SWEEP, now)
