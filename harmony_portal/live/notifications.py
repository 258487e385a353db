"""Live in-app notifications: the navigation's unread count and Home's list, in every open tab.

A page's load fills its tab's ``NotificationFeed`` and has the tab follow its session's
pushes (``NotificationsState.link``, on every protected page's load, once the server checked
who is signed in). A commit that added notifications or marked them read names the users
(``changes.notifications_changed``); after it, one push reads those users' live sessions,
counts and newest rows in a fixed number of statements and sends each session's tabs theirs
straight to the socket (``live_tabs``). An ended session's tabs are emptied. ``live.py``
schedules both, after the queues of the same commit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.events import off_loop
from harmony_portal.live import tabs as live_tabs
from harmony_portal.models import User
from harmony_portal.services.notifications import in_app as notifications
from harmony_portal.services.signin import sessions


class NotificationFeed(rx.State):
    """One tab's unread count and newest notifications; pushed to by ``live_tabs``."""

    unread: int = 0
    rows: list[dict[str, str]] = []

    def _show(self, unread: int, rows: list[dict[str, str]]) -> None:
        self.unread, self.rows = unread, rows


def feed_for(user_id: int) -> tuple[int, list[dict[str, str]]]:
    with session_scope() as session:
        return notifications.feed_of(session, user_id)


async def link_notifications(state: rx.State, session_id: int, user: User, *, listing: bool) -> NotificationFeed:
    """Fill this tab's feed and have it follow its session's pushes. Call only after the server
    checked who this is. ``listing``: the page lists the notifications (Home); other pages show
    the count alone, and are sent nothing else."""
    feed = await state.get_state(NotificationFeed)
    unread, rows = await off_loop.read_off_loop(("notifications", user.id), feed_for, user.id)
    feed._show(unread, rows if listing else [])
    live_tabs.follow(session_id, state.router.session.client_token, listing=listing)
    return feed


async def unlink_notifications(state: rx.State) -> None:
    """This tab follows no feed any more, and drops what it showed (signing out)."""
    live_tabs.unfollow(state.router.session.client_token)
    (await state.get_state(NotificationFeed))._show(0, [])


def notification_groups(user_ids: Iterable[int]) -> tuple[live_tabs.Groups, live_tabs.Groups]:
    """For the live sessions of ``user_ids``: the unread counts, grouped by count (every page
    shows one), and each user's count with their newest rows (for the pages that list them)."""
    with session_scope() as session:
        live = sessions.live_session_ids(session, set(user_ids))
        feeds = notifications.feeds_of(session, [uid for uid, ids in live.items() if ids])
    by_count: dict[int, list[int]] = {}
    for uid, (unread, _rows) in feeds.items():
        by_count.setdefault(unread, []).extend(live[uid])
    counts = [(ids, live_tabs.delta(NotificationFeed, unread=unread)) for unread, ids in by_count.items()]
    lists = [(live[uid], live_tabs.delta(NotificationFeed, unread=unread, rows=rows))
             for uid, (unread, rows) in feeds.items()]
    return counts, lists


async def push_notifications(user_ids: Iterable[int]) -> int:
    """Send every live session of ``user_ids`` its count, and its rows where they are listed;
    returns how many sessions."""
    # Database reads run on a thread, so other clients' events keep flowing.
    counts, lists = await asyncio.to_thread(notification_groups, set(user_ids))
    await live_tabs.push(counts)
    await live_tabs.push(lists, listing_only=True)
    return sum(len(ids) for ids, _ in counts)
