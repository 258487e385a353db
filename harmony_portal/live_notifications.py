"""Live in-app notifications: the navigation's unread count and Home's list, in every open tab.

A page's load fills its tab's ``NotificationFeed`` and has the tab follow its session's
pushes (``NotificationsState.link``, on every protected page's load, once the server checked
who is signed in). A commit that added notifications or marked them read names the users
(``changes.notifications_changed``); after it, one push reads those users' live sessions,
counts and newest rows in a fixed number of statements and sends each session's tabs theirs
straight to the socket (``live_tabs``). An ended session's tabs are emptied.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import reflex as rx

from harmony_portal import live_tabs
from harmony_portal.db import session_scope
from harmony_portal.live import _schedule  # the server loop's scheduler
from harmony_portal.models import User
from harmony_portal.services import changes, notifications, sessions


class NotificationFeed(rx.State):
    """One tab's unread count and newest notifications; pushed to by ``live_tabs``."""

    unread: int = 0
    rows: list[dict[str, str]] = []

    def _show(self, unread: int, rows: list[dict[str, str]]) -> None:
        self.unread, self.rows = unread, rows


def feed_for(user_id: int) -> tuple[int, list[dict[str, str]]]:
    with session_scope() as session:
        return notifications.feed_of(session, user_id)


async def link_notifications(state: rx.State, session_id: int, user: User) -> NotificationFeed:
    """Fill this tab's feed and have it follow its session's pushes. Call only after the server
    checked who this is."""
    feed = await state.get_state(NotificationFeed)
    feed._show(*await asyncio.to_thread(feed_for, user.id))
    live_tabs.follow(session_id, state.router.session.client_token)
    return feed


async def unlink_notifications(state: rx.State) -> None:
    """This tab follows no feed any more, and drops what it showed (signing out)."""
    live_tabs.unfollow(state.router.session.client_token)
    (await state.get_state(NotificationFeed))._show(0, [])


def notification_groups(user_ids: Iterable[int]) -> live_tabs.Groups:
    """Each live session of ``user_ids`` with its user's unread count and newest rows."""
    with session_scope() as session:
        live = sessions.live_session_ids(session, set(user_ids))
        feeds = notifications.feeds_of(session, [uid for uid, ids in live.items() if ids])
    return [(live[uid], live_tabs.delta(NotificationFeed, unread=unread, rows=rows))
            for uid, (unread, rows) in feeds.items()]


async def push_notifications(user_ids: Iterable[int]) -> int:
    """Send every live session of ``user_ids`` its count and rows; returns how many sessions."""
    # Database reads run on a thread, so other clients' events keep flowing.
    groups = await asyncio.to_thread(notification_groups, set(user_ids))
    await live_tabs.push(groups)
    return sum(len(ids) for ids, _ in groups)


async def clear_notifications(session_ids: Iterable[int]) -> None:
    """Ended sessions: every tab still showing one shows no notification."""
    await live_tabs.push([(list(session_ids), live_tabs.delta(NotificationFeed, unread=0, rows=[]))])


def _on_commit(committed: changes.Changes) -> None:
    if committed.notified_users:
        _schedule(push_notifications(committed.notified_users))
    if committed.ended_sessions:
        _schedule(clear_notifications(committed.ended_sessions))


changes.subscribe(_on_commit)
