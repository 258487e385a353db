"""After a commit: which live pushes a change starts, and in what order.

Importing this module subscribes it to committed changes (``services.changes``); the app
module imports it once. Each push module stays ignorant of the others: this is the one place
that knows them all.
"""

from __future__ import annotations

import functools
import logging

from harmony_portal.live import help_desk, notifications, queues, scheduler, session_end
from harmony_portal.services import changes

log = logging.getLogger(__name__)


def _on_commit(committed: changes.Changes) -> None:
    if committed.ended_sessions:
        scheduler.schedule(session_end.clear_feeds(committed.ended_sessions))
    pushes = []  # started in this order, each once the one before has sent
    if committed.request_orgs or committed.deciders:
        pushes.append(functools.partial(queues.push_queue_changed, committed.request_orgs,
                                        also_user_ids=committed.deciders))
    if committed.notified_users:
        pushes.append(functools.partial(notifications.push_notifications, committed.notified_users))
    if pushes:
        scheduler.schedule(_one_after_another(pushes))
    if committed.pqs_changed:
        help_desk.help_desk_changed()


async def _one_after_another(pushes) -> None:
    """The queues first (what officials watch for), then the notification badges: run side by
    side, the badges of hundreds of officials would hold up the rows on their dashboards."""
    for push in pushes:
        try:
            await push()
        except Exception:  # a live push must never stop the next one
            log.exception("a live push failed")


changes.subscribe(_on_commit)
