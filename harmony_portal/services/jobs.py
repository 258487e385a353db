"""Scheduled jobs: work due at a time, done once whichever worker or node gets to it.

A job is a row (``ScheduledJob``: kind, subject, due time). Each server process runs
:func:`run_due` now and then (``server/job_runner.py``); a due row is claimed with one conditional
UPDATE that moves its lease forward, so two workers never run the same job, and a worker that
died mid-job leaves a lease that lapses. A handler returns when the job is next due (a reminder
that repeats) or None (done). Downtime gives one catch-up run, never a burst: a handler is called
once for an overdue job and schedules the next run from now. While the portal is down for
maintenance nothing runs; what fell due then runs once it ends.

No queue server: the portal also runs on SQLite without Redis.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from harmony_portal.models import ScheduledJob, utc_now
from harmony_portal.services.maintenance import windows as maintenance

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BATCH = 200

# kind -> handler(session, subject, now) -> next due time, or None when done.
Handler = Callable[[Session, str, datetime], datetime | None]


def schedule(session: Session, kind: str, subject: str, due_at: datetime) -> None:
    """Have ``kind`` run for ``subject`` at ``due_at`` (scheduling it again moves the time)."""
    job = session.exec(select(ScheduledJob).where(ScheduledJob.kind == kind, ScheduledJob.subject == subject)).first()
    if job is None:
        session.add(ScheduledJob(kind=kind, subject=subject, due_at=due_at))
    else:
        job.due_at, job.done_at, job.lease_until = due_at, None, None
        session.add(job)


def cancel(session: Session, kind: str, subject: str) -> None:
    """``kind`` no longer runs for ``subject`` (nothing happens when it was not scheduled)."""
    session.exec(update(ScheduledJob).where(ScheduledJob.kind == kind, ScheduledJob.subject == subject,
                                            col(ScheduledJob.done_at).is_(None)).values(done_at=utc_now()))


def _claimable(now: datetime):
    return (col(ScheduledJob.done_at).is_(None), col(ScheduledJob.due_at) <= now,
            or_(col(ScheduledJob.lease_until).is_(None), col(ScheduledJob.lease_until) < now))


def _claim(engine, job_id: int, now: datetime) -> bool:
    with Session(engine) as session:
        claimed = session.exec(update(ScheduledJob).where(ScheduledJob.id == job_id, *_claimable(now))
                               .values(lease_until=now + LEASE, attempts=ScheduledJob.attempts + 1))
        session.commit()
        return claimed.rowcount == 1


def run_due(engine, handlers: dict[str, Handler], now: datetime | None = None) -> int:
    """Run every job due at ``now`` that no other worker holds; returns how many ran."""
    now = now or utc_now()
    with Session(engine) as session:
        if maintenance.in_maintenance(session, now):
            return 0
        due = session.exec(select(ScheduledJob.id, ScheduledJob.kind, ScheduledJob.subject)
                           .where(*_claimable(now), col(ScheduledJob.kind).in_(list(handlers)))
                           .order_by(col(ScheduledJob.due_at)).limit(BATCH)).all()
    ran = 0
    for job_id, kind, subject in due:
        if not _claim(engine, job_id, now):
            continue  # another worker has it
        try:
            with Session(engine) as session:
                next_due = handlers[kind](session, subject, now)
                job = session.get(ScheduledJob, job_id)
                if job.lease_until is not None:  # not moved by the handler scheduling it again
                    job.lease_until = None
                    if next_due is None:
                        job.done_at = now
                    else:
                        job.due_at = next_due
                session.add(job)
                session.commit()
            ran += 1
        except Exception as exc:  # the lease lapses and the job is tried again
            log.exception("scheduled job %s %s failed", kind, subject)
            with Session(engine) as session:
                session.exec(update(ScheduledJob).where(ScheduledJob.id == job_id)
                             .values(last_error=f"{type(exc).__name__}: {exc}"[:500]))
                session.commit()
    return ran
