"""Security Officials' Role Requests queues, live.

When requests of an organization change, the officials told (its Security Officials, and the
help desk where it decides) are read once, their queues computed with a fixed number of
statements, and each live session's open dashboards are sent their rows straight to the socket
(``tabs``), grouped by what they see; with Redis every other worker and node sends them to its
own tabs. A tab follows a session's pushes only after the server resolved that session from the
HttpOnly cookie, and a push names only live sessions, so nobody can pick a token and read a queue.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.live import tabs
from harmony_portal.models import User
from harmony_portal.services.roles import queue_feeds
from harmony_portal.services.roles.queries import decidable_rows
from harmony_portal.services.signin import sessions

log = logging.getLogger(__name__)


class QueueFeed(rx.State):
    """One tab's view of its official's pending requests, oldest first.

    Filled by the page's load and then pushed to by ``tabs`` (a delta straight to the
    tab's socket). One list and nothing derived from it on the server: handlers read the
    queue from the database, never from here.
    """

    rows: list[dict[str, str]] = []


_badge_state: type | None = None  # the state whose ``pending_count`` is the navigation badge (registered by it)


def counts_pending(state_cls: type) -> type:
    """Class decorator for the state that holds the navigation badge: each queue push sets its
    ``pending_count`` with the rows, so the badge and the list never disagree.

    The state imports this package, so it names itself here rather than being imported.
    """
    global _badge_state
    _badge_state = state_cls
    return state_cls


def _queue_delta(rows: list[dict[str, str]]) -> dict[str, dict[str, object]]:
    """The rows, and the badge's count of them, in one delta."""
    badge = tabs.delta(_badge_state, pending_count=len(rows)) if _badge_state is not None else {}
    return {**tabs.delta(QueueFeed, rows=rows), **badge}


def empty_delta() -> dict[str, dict[str, object]]:
    """An emptied queue and badge (a session that ended)."""
    return _queue_delta([])


def rows_for(user: User) -> list[dict[str, str]]:
    """Everything ``user`` may decide now."""
    with session_scope() as session:
        return decidable_rows(session, user)


def queue_groups(org_ids: Iterable[str], also_user_ids: Iterable[int] = ()) -> tabs.Groups:
    """The push for a change: each live session of each official told, grouped by the rows they see."""
    with session_scope() as session:
        told = queue_feeds.who_to_tell(session, org_ids, also_user_ids)
        queues = queue_feeds.queues_of(session, told)
        live = sessions.live_session_ids(session, told)
    by_rows: dict[tuple[str, ...], tuple[list[int], list[dict[str, str]]]] = {}
    for uid, rows in queues.items():
        if live.get(uid):
            by_rows.setdefault(tuple(r["id"] for r in rows), ([], rows))[0].extend(live[uid])
    return [(ids, _queue_delta(rows)) for ids, rows in by_rows.values()]


async def push_queue_changed(org_ids: Iterable[str], *, also_user_ids: Iterable[int] = ()) -> None:
    """Requests of ``org_ids`` changed: send every deciding official's open dashboards their queue.

    ``also_user_ids`` are officials whose set of organizations may have changed (a role
    granted or removed).
    """
    started = time.perf_counter()
    # The reads are plain database work: a thread, so other clients' events keep flowing.
    groups = await asyncio.to_thread(queue_groups, set(org_ids), set(also_user_ids))
    pushed_tabs = await tabs.push(groups)
    log.info("live queue pushed to %d sessions (%d tabs here) in %.1f ms", sum(len(ids) for ids, _ in groups),
             pushed_tabs, (time.perf_counter() - started) * 1000)


async def link_feed(state: rx.State, session_id: int, user: User) -> None:
    """Fill this tab's queue and have it follow its session's pushes. Call only after the
    server checked who this is."""
    feed = await state.get_state(QueueFeed)
    feed.rows = await asyncio.to_thread(rows_for, user)
    tabs.follow(session_id, state.router.session.client_token)
