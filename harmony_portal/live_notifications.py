"""Live in-app notifications: the navigation's unread count and Home's list, in every open tab.

Built like the queues in ``live.py``: each signed-in session has its own shared feed,
``NotificationFeed``, whose token is an HMAC of the session id under the secret key (a
websocket client picks its own token, so a guessable one would show anybody's
notifications). A page links to it only after the server has checked who is signed in
(``NotificationsState.link``, on every protected page's load). A commit that added
notifications or marked them read names the users (``changes.notifications_changed``);
after it, one push reads each user's count and newest rows once and writes them into the
feed of every live session of theirs. An ended session's feed is emptied.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

import reflex as rx
from reflex.istate.manager.token import BaseStateToken
from reflex_base.registry import RegistrationContext

from harmony_portal.db import session_scope
from harmony_portal.live import _schedule, unlink_shared  # the server loop's scheduler; one way to unlink
from harmony_portal.models import User
from harmony_portal.services import changes, notifications, sessions
from harmony_portal.services.security import keyed_name

log = logging.getLogger(__name__)


def notification_token(session_id: int) -> str:
    """The unguessable token of one session's notification feed (no "_" allowed in it)."""
    return "note" + keyed_name("notification-feed", session_id)


class NotificationFeed(rx.SharedState):
    """One session's unread count and newest notifications, shared by all of its open tabs."""

    unread: int = 0
    rows: list[dict[str, str]] = []

    def _show(self, unread: int, rows: list[dict[str, str]]) -> None:
        self.unread, self.rows = unread, rows


def feed_for(user_id: int) -> tuple[int, list[dict[str, str]]]:
    with session_scope() as session:
        return notifications.feed_of(session, user_id)


async def _link(feed: NotificationFeed, token: str) -> NotificationFeed:
    # Only inside a real event can a tab link (tests stand in for this one step).
    return await feed._link_to(token)


async def link_notifications(state: rx.State, session_id: int, user: User) -> NotificationFeed:
    """Link this tab to its session's feed and fill it. Call only after the server checked who this is."""
    feed = await _link(await state.get_state(NotificationFeed), notification_token(session_id))
    feed._show(*await asyncio.to_thread(feed_for, user.id))
    return feed


async def unlink_notifications(state: rx.State) -> None:
    """Detach this tab from its feed, if linked, and drop what it showed (signing out)."""
    feed = await state.get_state(NotificationFeed)
    await unlink_shared(feed)
    feed._show(0, [])


async def _write(session_id: int, read) -> bool:
    """Write ``await read()`` (unread count, rows) into one session's feed.

    The read happens under the feed's lock: of two pushes racing for a feed, the later one
    writes what it read later, so a stale count never overwrites a fresh one.
    """
    app = RegistrationContext.get().app
    try:
        async with app.modify_state(BaseStateToken(ident=notification_token(session_id), cls=NotificationFeed)) \
                as root:
            (await root.get_state(NotificationFeed))._show(*await read())
    except Exception:  # a live push must never undo a committed change
        log.exception("could not update the notifications of session %s", session_id)
        return False
    return True


def _live_sessions(user_ids: set[int]) -> dict[int, list[int]]:
    with session_scope() as session:
        return sessions.live_session_ids(session, user_ids)


async def push_notifications(user_ids: Iterable[int]) -> int:
    """Refresh the feeds of every live session of ``user_ids``; returns how many were written."""
    # Database reads run on a thread, so other clients' events keep flowing.
    live = await asyncio.to_thread(_live_sessions, set(user_ids))
    written = 0
    for user_id, session_ids in live.items():
        for session_id in session_ids:
            written += await _write(session_id, lambda uid=user_id: asyncio.to_thread(feed_for, uid))
    return written


async def _nothing() -> tuple[int, list[dict[str, str]]]:
    return 0, []


async def clear_notifications(session_ids: Iterable[int]) -> None:
    """Ended sessions: every tab still linked to one shows no notification."""
    for session_id in session_ids:
        await _write(session_id, _nothing)


def _on_commit(committed: changes.Changes) -> None:
    if committed.notified_users:
        _schedule(push_notifications(committed.notified_users))
    if committed.ended_sessions:
        _schedule(clear_notifications(committed.ended_sessions))


changes.subscribe(_on_commit)
