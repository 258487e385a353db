"""The app's scheduled-job runner: one task per server process (``services/jobs.py``).

Every HARMONY_JOB_POLL_SECONDS it runs the jobs that are due (signing reminders and expiries, the sweeps
that end time-limited roles, warn of their end and expire old role requests) on a worker thread. Jobs
are claimed with a lease, so every worker on every node may run this.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import IntegrityError

from harmony_portal import db
from harmony_portal.models import utc_now
from harmony_portal.services import jobs
from harmony_portal.services.reviews.sweeps import HANDLERS as REVIEW_JOBS
from harmony_portal.services.roles.term_jobs import HANDLERS as ROLE_JOBS
from harmony_portal.services.roles.term_jobs import ensure_scheduled
from harmony_portal.services.signing.endings import HANDLERS as SIGNING_JOBS
from harmony_portal.settings import get_settings

log = logging.getLogger(__name__)

HANDLERS = {**SIGNING_JOBS, **ROLE_JOBS, **REVIEW_JOBS}


def _ensure_sweeps() -> None:
    """The recurring sweeps' rows exist (one look; another worker may have added them at the same moment)."""
    try:
        with db.session_scope() as session:
            ensure_scheduled(session, utc_now(), kinds=[*ROLE_JOBS, *REVIEW_JOBS])
    except IntegrityError:
        pass


def _run_all_due() -> None:
    """A full batch means more are due: run batches until the due work is done."""
    while jobs.run_due(db.get_engine(), HANDLERS) >= jobs.BATCH:
        pass


async def run_jobs() -> None:
    """Lifespan task: run due jobs until the server stops."""
    while True:
        try:
            await asyncio.to_thread(_ensure_sweeps)
            await asyncio.to_thread(_run_all_due)
        except Exception:  # the jobs stay due; the next round tries again
            log.exception("scheduled jobs failed")
        await asyncio.sleep(get_settings().harmony_job_poll_seconds)
