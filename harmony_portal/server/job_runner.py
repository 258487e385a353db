"""The app's scheduled-job runner: one task per server process (``services/jobs.py``).

Every HARMONY_JOB_POLL_SECONDS it runs the jobs that are due (signing reminders and expiries) on a
worker thread. Jobs are claimed with a lease, so every worker on every node may run this.
"""

from __future__ import annotations

import asyncio
import logging

from harmony_portal import db
from harmony_portal.services import jobs
from harmony_portal.services.signing.endings import HANDLERS as SIGNING_JOBS
from harmony_portal.settings import get_settings

log = logging.getLogger(__name__)

HANDLERS = {**SIGNING_JOBS}


async def run_jobs() -> None:
    """Lifespan task: run due jobs until the server stops."""
    while True:
        try:
            await asyncio.to_thread(jobs.run_due, db.get_engine(), HANDLERS)
        except Exception:  # the jobs stay due; the next round tries again
            log.exception("scheduled jobs failed")
        await asyncio.sleep(get_settings().harmony_job_poll_seconds)
