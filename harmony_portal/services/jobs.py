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
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from harmony_portal import db
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


def _claim_batch(session: Session, kinds: list[str], now: datetime) -> list[tuple[int, str, str]]:
    """Lease up to BATCH due jobs in one statement; rows another worker holds are skipped
    (PostgreSQL's SKIP LOCKED; SQLite runs one writer at a time)."""
    due = (select(ScheduledJob.id).where(*_claimable(now), col(ScheduledJob.kind).in_(kinds))
           .order_by(col(ScheduledJob.due_at)).limit(BATCH).with_for_update(skip_locked=True))
    claimed = session.exec(update(ScheduledJob).where(col(ScheduledJob.id).in_(due.scalar_subquery()),
                                                       *_claimable(now))
                           .values(lease_until=now + LEASE, attempts=ScheduledJob.attempts + 1)
                           .returning(ScheduledJob.id, ScheduledJob.kind, ScheduledJob.subject))
    return [tuple(row) for row in claimed]


def run_due(engine, handlers: dict[str, Handler], now: datetime | None = None) -> int:
    """Run the jobs due at ``now`` that no other worker holds (a batch); returns how many ran.

    The batch is claimed in one transaction, then run in another, each job in a savepoint: a job
    that fails is rolled back alone, keeps its error and is tried again once its lease lapses.
    """
    now = now or utc_now()
    with Session(engine) as session:
        if maintenance.in_maintenance(session, now):
            return 0
        claimed = _claim_batch(session, list(handlers), now)
        session.commit()
    finished: dict[datetime | None, list[int]] = defaultdict(list)  # next due time (None: done) -> jobs
    with Session(engine) as session:
        for job_id, kind, subject in claimed:
            effects = db.pending_effects(session)
            try:
                with session.begin_nested():
                    finished[handlers[kind](session, subject, now)].append(job_id)
            except Exception as exc:  # the lease lapses and the job is tried again
                db.drop_effects_after(session, effects)  # its pushes and mail never happened
                log.exception("scheduled job %s %s failed", kind, subject)
                session.exec(update(ScheduledJob).where(ScheduledJob.id == job_id)
                             .values(last_error=f"{type(exc).__name__}: {exc}"[:500]))
        for next_due, ids in finished.items():
            # A job its handler scheduled again (lease cleared by ``schedule``) keeps that time.
            held = (col(ScheduledJob.id).in_(ids), col(ScheduledJob.lease_until).is_not(None))
            values = {"done_at": now} if next_due is None else {"due_at": next_due}
            session.exec(update(ScheduledJob).where(*held).values(lease_until=None, **values))
        session.commit()
        db.run_after_commit(session)  # the open pages' live updates and the mail sender's wake-up
    return sum(len(ids) for ids in finished.values())
