"""After a commit: which live pushes a change starts, and in what order; after Redis comes back,
the re-read of every feed this worker's tabs show.

Importing this module subscribes it to committed changes (``services.changes``); the app
module imports it once. Each push module stays ignorant of the others: this is the one place
that knows them all.
"""

from __future__ import annotations

import asyncio
import functools
import logging

from harmony_portal.db import session_scope
from harmony_portal.live import help_desk, home_roles, notifications, queues, reviews, scheduler, session_end, tabs
from harmony_portal.services import changes
from harmony_portal.services.signin import sessions

log = logging.getLogger(__name__)


def _on_commit(committed: changes.Changes) -> None:
    if committed.ended_sessions:
        scheduler.schedule(session_end.clear_feeds(committed.ended_sessions))
    pushes = []  # started in this order, each once the one before has sent
    if committed.request_orgs or committed.deciders:
        pushes.append(functools.partial(queues.push_queue_changed, committed.request_orgs,
                                        also_user_ids=committed.deciders))
    if committed.review_orgs:
        pushes.append(functools.partial(reviews.push_reviews_changed, committed.review_orgs))
    if committed.notified_users:
        pushes.append(functools.partial(notifications.push_notifications, committed.notified_users))
    if committed.role_holders:
        pushes.append(functools.partial(home_roles.push_roles_changed, committed.role_holders))
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


async def reread_this_workers_feeds() -> None:
    """Redis came back after an outage: pushes published meanwhile never arrived here. Every
    session this worker's tabs follow gets its queue (and badge) and its notifications again."""
    users = await asyncio.to_thread(_users_followed_here)
    if not users:
        return
    # Sent to this worker's tabs only: every worker re-reads its own when its subscription is
    # back, so publishing these to the others too would send each tab its feeds once per worker.
    queue = await asyncio.to_thread(queues.queue_groups, set(), users)
    counts, lists = await asyncio.to_thread(notifications.notification_groups, users)
    await tabs.send(queue)
    await tabs.send(counts)
    await tabs.send(lists, listing_only=True)


def _users_followed_here() -> set[int]:
    with session_scope() as session:
        return sessions.users_of_sessions(session, tabs.followed_sessions())


changes.subscribe(_on_commit)
tabs.resync_with(reread_this_workers_feeds)
