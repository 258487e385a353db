"""The app's email sender: one task per server process, woken after every commit that queued mail.

It claims a batch from the outbox and sends it on a worker thread (SMTP never runs
on the event loop), one batch at a time; then it looks again at once after a commit
that queued mail, or otherwise after HARMONY_MAIL_POLL_SECONDS. Claims make it safe
in every worker on every node: each email leaves once, whichever sender took it.
Without SMTP_URL it sends nothing and the emails wait in the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from harmony_portal import db
from harmony_portal.services import changes
from harmony_portal.services.mail import outbox
from harmony_portal.settings import get_settings

log = logging.getLogger(__name__)
_loop: asyncio.AbstractEventLoop | None = None
_wakeup: asyncio.Event | None = None  # set: look at the outbox now


def wake() -> None:
    """Ask this process's sender to look at the outbox now; safe from any thread."""
    loop, wakeup = _loop, _wakeup
    if loop is None or wakeup is None or loop.is_closed():
        return  # no sender here (a command-line tool): a server's next poll sends the mail
    loop.call_soon_threadsafe(wakeup.set)


async def _deliver_batch(worker: str) -> int:
    smtp_url = get_settings().smtp_address() or None
    if not smtp_url:
        return 0
    try:
        return await asyncio.to_thread(outbox.deliver_outbox, db.get_engine(), smtp_url, worker=worker)
    except Exception:  # the outbox keeps the mail; the next round tries again
        log.exception("email delivery failed")
        return 0


async def run_sender() -> None:
    """Lifespan task: deliver the outbox until the server stops."""
    global _loop, _wakeup
    _loop, _wakeup = asyncio.get_running_loop(), asyncio.Event()
    wakeup, worker = _wakeup, outbox.default_worker()
    try:
        while True:
            wakeup.clear()  # a commit during the batch sets it again: then there is another round
            if await _deliver_batch(worker):
                continue  # there may be more than one batch waiting
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), get_settings().harmony_mail_poll_seconds)
    finally:
        if _wakeup is wakeup:
            _loop = _wakeup = None


changes.subscribe(lambda committed: wake() if committed.mail_queued else None)
