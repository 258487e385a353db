"""The one place that pushes changes to other connected users.

Security Officials' Role Requests queues: when requests of an organization change, the
officials told (its Security Officials, and the help desk where it decides) are read once,
their queues computed with a fixed number of statements, and each live session's open
dashboards are sent their rows straight to the socket (``live_tabs``), grouped by what they
see; with Redis every other worker and node sends them to its own tabs. A tab follows a
session's pushes only after the server resolved that session from the HttpOnly cookie, and a
push names only live sessions, so nobody can pick a token and read a queue. When a session
ends, its tabs' queues are emptied at once.

The Help Desk queue has its own feed (``live_help_desk``).

Every protected page also has a ``SessionFeed``. When a session ends (the account disabled,
two-factor reset, signed out elsewhere, idle), the last push to its tabs sets ``ended`` (with
the emptied queue and badge) and each open page of that session, on any worker, signs itself
out within moments instead of at its next periodic check.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Iterable

import reflex as rx

from harmony_portal import live_tabs
from harmony_portal.db import session_scope
from harmony_portal.models import User
from harmony_portal.services import changes, queue_feeds, sessions
from harmony_portal.services.role_queries import decidable_rows

log = logging.getLogger(__name__)
_PENDING_PUSHES: set[asyncio.Task] = set()
_loop: asyncio.AbstractEventLoop | None = None


class QueueFeed(rx.State):
    """One tab's view of its official's pending requests, oldest first.

    Filled by the page's load and then pushed to by ``live_tabs`` (a delta straight to the
    tab's socket). One list and nothing derived from it on the server: handlers read the
    queue from the database, never from here.
    """

    rows: list[dict[str, str]] = []


def rows_for(user: User) -> list[dict[str, str]]:
    """Everything ``user`` may decide now."""
    with session_scope() as session:
        return decidable_rows(session, user)


async def bind_loop() -> None:
    """Lifespan task: remember the server's loop, so a change committed on a worker
    thread (blocking work runs off the loop) can still schedule its push."""
    global _loop
    _loop = asyncio.get_running_loop()


def schedule(coroutine):
    """Run ``coroutine`` soon on the server's loop; returns its task or future (None: not run)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is not None:
        task = loop.create_task(coroutine)
        _PENDING_PUSHES.add(task)
        task.add_done_callback(_PENDING_PUSHES.discard)
        return task
    if _loop is not None and not _loop.is_closed():
        return asyncio.run_coroutine_threadsafe(coroutine, _loop)
    coroutine.close()  # no server running (a command-line tool): nobody is connected to tell
    return None


async def clear_feeds(session_ids: Iterable[int]) -> None:
    """Ended sessions: their tabs' pushed feeds go empty, their help-desk feeds too, and each
    session's open pages are told to sign out."""
    from harmony_portal import live_help_desk  # it imports this module's scheduler

    session_ids = list(session_ids)
    for session_id in session_ids:
        try:
            await live_help_desk.clear_desk_feed(session_id)
        except Exception:
            log.exception("could not clear the help-desk queue of session %s", session_id)
    from harmony_portal.live_notifications import NotificationFeed  # it imports this module's scheduler

    last = {**live_tabs.delta(QueueFeed, rows=[]), **live_tabs.delta(NotificationFeed, unread=0, rows=[]),
            **live_tabs.delta(SessionFeed, ended=True)}
    try:  # one last push empties the queue and the badge and says so; then the sessions' tabs follow nothing
        await live_tabs.push([(session_ids, last)], forget=True)
    except Exception:
        log.exception("could not tell the pages of ended sessions %s", session_ids)


def _on_commit(committed: changes.Changes) -> None:
    from harmony_portal import live_notifications  # it imports this module's scheduler

    if committed.ended_sessions:
        schedule(clear_feeds(committed.ended_sessions))
    pushes = []  # started in this order, each once the one before has sent
    if committed.request_orgs or committed.deciders:
        pushes.append(functools.partial(push_queue_changed, committed.request_orgs,
                                        also_user_ids=committed.deciders))
    if committed.notified_users:
        pushes.append(functools.partial(live_notifications.push_notifications, committed.notified_users))
    if pushes:
        schedule(_one_after_another(pushes))
    if committed.pqs_changed:
        from harmony_portal import live_help_desk  # it imports this module's scheduler

        live_help_desk.help_desk_changed()


async def _one_after_another(pushes) -> None:
    """The queues first (what officials watch for), then the notification badges: run side by
    side, the badges of hundreds of officials would hold up the rows on their dashboards."""
    for push in pushes:
        try:
            await push()
        except Exception:  # a live push must never stop the next one
            log.exception("a live push failed")


changes.subscribe(_on_commit)


def queue_groups(org_ids: Iterable[str], also_user_ids: Iterable[int] = ()) -> live_tabs.Groups:
    """The push for a change: each live session of each official told, grouped by the rows they see."""
    with session_scope() as session:
        told = queue_feeds.who_to_tell(session, org_ids, also_user_ids)
        queues = queue_feeds.queues_of(session, told)
        live = sessions.live_session_ids(session, told)
    by_rows: dict[tuple[str, ...], tuple[list[int], list[dict[str, str]]]] = {}
    for uid, rows in queues.items():
        if live.get(uid):
            by_rows.setdefault(tuple(r["id"] for r in rows), ([], rows))[0].extend(live[uid])
    return [(ids, live_tabs.delta(QueueFeed, rows=rows)) for ids, rows in by_rows.values()]


async def push_queue_changed(org_ids: Iterable[str], *, also_user_ids: Iterable[int] = ()) -> None:
    """Requests of ``org_ids`` changed: send every deciding official's open dashboards their queue.

    ``also_user_ids`` are officials whose set of organizations may have changed (a role
    granted or removed).
    """
    started = time.perf_counter()
    # The reads are plain database work: a thread, so other clients' events keep flowing.
    groups = await asyncio.to_thread(queue_groups, set(org_ids), set(also_user_ids))
    tabs = await live_tabs.push(groups)
    log.info("live queue pushed to %d sessions (%d tabs here) in %.1f ms", sum(len(ids) for ids, _ in groups),
             tabs, (time.perf_counter() - started) * 1000)


async def link_feed(state: rx.State, session_id: int, user: User) -> None:
    """Fill this tab's queue and have it follow its session's pushes. Call only after the
    server checked who this is."""
    feed = await state.get_state(QueueFeed)
    feed.rows = await asyncio.to_thread(rows_for, user)
    live_tabs.follow(session_id, state.router.session.client_token)


async def unlink_feed(state: rx.State) -> None:
    """Detach this tab from whatever feeds it is linked to (signing out)."""
    live_tabs.unfollow(state.router.session.client_token)
    from harmony_portal import live_help_desk  # it imports this module's scheduler

    (await state.get_state(QueueFeed)).rows = []
    await live_help_desk.unlink_help_desk(state)


# ---- Session endings ------------------------------------------------------------------------
# A session's end reaches its open pages in the last push to their tabs (``clear_feeds``), on
# any worker; the page shell then asks the server (AuthState.session_ended), which checks the
# session itself and signs the page out.


class SessionFeed(rx.State):
    """One tab's word that its session ended: ``ended`` arrives True once, pushed by ``live_tabs``.

    Only the browser's copy changes; the server checks the session itself when asked.
    """

    ended: bool = False
