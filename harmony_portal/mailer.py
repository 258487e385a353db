"""The app's email sender: woken after every commit that queued mail, never inside a click.

Delivery runs on one thread of its own: SMTP never holds a user's state lock or
the event loop, a slow mail server never delays a sign-in, and this process
never runs two deliveries at once. Wake-ups that arrive while one is waiting to
start fold into it (approving 500 requests queues 500 emails and one delivery).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from harmony_portal.db import get_engine
from harmony_portal.services import changes, notify
from harmony_portal.settings import get_settings

log = logging.getLogger(__name__)
_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="harmony-mail")
_waiting = threading.Event()  # a delivery is queued and has not started yet


def _deliver() -> None:
    _waiting.clear()
    try:
        notify.deliver_outbox(get_engine(), get_settings().smtp_url)
    except Exception:  # the outbox keeps the mail; the next wake-up tries again
        log.exception("email delivery failed")


def wake() -> None:
    """Deliver what is in the outbox soon (a no-op without SMTP_URL)."""
    if not get_settings().smtp_url or _waiting.is_set():
        return
    _waiting.set()
    _thread.submit(_deliver)


changes.subscribe(lambda committed: wake() if committed.mail_queued else None)
