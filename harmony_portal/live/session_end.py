"""A session's end reaches its open pages at once, on any worker.

Every protected page has a ``SessionFeed``. When a session ends (the account disabled,
two-factor reset, signed out elsewhere, idle), the last push to its tabs sets ``ended`` (with
the emptied queue and badge) and each open page of that session signs itself out within
moments instead of at its next periodic check: the page shell then asks the server
(AuthState.session_ended), which checks the session itself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import reflex as rx

from harmony_portal.live import help_desk, queues, tabs
from harmony_portal.live.notifications import NotificationFeed
from harmony_portal.live.queues import QueueFeed

log = logging.getLogger(__name__)


class SessionFeed(rx.State):
    """One tab's word that its session ended: ``ended`` arrives True once, pushed by ``tabs``.

    Only the browser's copy changes; the server checks the session itself when asked.
    """

    ended: bool = False


async def clear_feeds(session_ids: Iterable[int]) -> None:
    """Ended sessions: their tabs' pushed feeds go empty, their help-desk feeds too, and each
    session's open pages are told to sign out."""
    session_ids = list(session_ids)
    for session_id in session_ids:
        try:
            await help_desk.clear_desk_feed(session_id)
        except Exception:
            log.exception("could not clear the help-desk queue of session %s", session_id)
    last = {**queues.empty_delta(), **tabs.delta(NotificationFeed, unread=0, rows=[]),
            **tabs.delta(SessionFeed, ended=True)}
    try:  # one last push empties the queue and the badge and says so; then the sessions' tabs follow nothing
        await tabs.push([(session_ids, last)], forget=True)
    except Exception:
        log.exception("could not tell the pages of ended sessions %s", session_ids)


async def unlink_feed(state: rx.State) -> None:
    """Detach this tab from whatever feeds it is linked to (signing out)."""
    tabs.unfollow(state.router.session.client_token)
    (await state.get_state(QueueFeed)).rows = []
    await help_desk.unlink_help_desk(state)
