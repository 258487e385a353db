"""The one place that pushes changes to other connected users.

Security Officials' Role Requests queues: when requests of an organization change, the
officials told (its Security Officials, and the help desk where it decides) are read once,
their queues computed with a fixed number of statements, and each live session's open
dashboards are sent their rows straight to the socket (``live_tabs``), grouped by what they
see; with Redis every other worker and node sends them to its own tabs. A tab follows a
session's pushes only after the server resolved that session from the HttpOnly cookie, and a
push names only live sessions, so nobody can pick a token and read a queue. When a session
ends, its tabs' queues are emptied at once.

The Help Desk queue works the same way with its own feed, ``HelpDeskFeed``, one per
help-desk session (its own HMAC token), linked only after the server knows the user is
an administrator. The feed holds the session's filters, the queue rows those filters
select and the weekly figures. When PQs change, one push reads each open feed's filters,
computes the rows once per distinct set of filters and writes them in; bursts of changes
are coalesced into one push.

Every protected page also has a ``SessionFeed``. When a session ends (the account disabled,
two-factor reset, signed out elsewhere, idle), the last push to its tabs sets ``ended`` (with
the emptied queue and badge) and each open page of that session, on any worker, signs itself
out within moments instead of at its next periodic check.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Iterable

import reflex as rx
from reflex.istate.manager.token import BaseStateToken
from reflex_base.registry import RegistrationContext

from harmony_portal import live_tabs
from harmony_portal.db import session_scope
from harmony_portal.models import User, utc_now
from harmony_portal.services import changes, help_desk_feeds, queue_feeds, sessions
from harmony_portal.services.help_desk_feeds import Filters
from harmony_portal.services.role_queries import decidable_rows
from harmony_portal.services.security import keyed_name

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


def _schedule(coroutine):
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
    session_ids = list(session_ids)
    for session_id in session_ids:
        try:
            await _clear_desk_feed(session_id)
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
        _schedule(clear_feeds(committed.ended_sessions))
    pushes = []  # started in this order, each once the one before has sent
    if committed.request_orgs or committed.deciders:
        pushes.append(functools.partial(push_queue_changed, committed.request_orgs,
                                        also_user_ids=committed.deciders))
    if committed.notified_users:
        pushes.append(functools.partial(live_notifications.push_notifications, committed.notified_users))
    if pushes:
        _schedule(_one_after_another(pushes))
    if committed.pqs_changed:
        help_desk_changed()


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


async def unlink_shared(feed: rx.SharedState) -> None:
    """Detach this tab's copy of ``feed`` from its shared token, if it is linked to one."""
    if feed._reflex_internal_links and feed.get_full_name() in feed._reflex_internal_links:
        await feed._unlink()


async def unlink_feed(state: rx.State) -> None:
    """Detach this tab from whatever feeds it is linked to (signing out)."""
    live_tabs.unfollow(state.router.session.client_token)
    (await state.get_state(QueueFeed)).rows = []
    await unlink_help_desk(state)


# ---- The Help Desk queue -------------------------------------------------------------------


def desk_token(session_id: int) -> str:
    """The unguessable token of one help-desk session's feed."""
    return "desk" + keyed_name("help-desk-feed", session_id)


class HelpDeskFeed(rx.SharedState):
    """One help-desk session's queue, shared by that session's open Help Desk pages.

    The filters live here too, so every tab of the session shows the rows its filters
    select, and the push knows which rows each feed needs.
    """

    status: str = ""
    inquiry_type: str = ""
    provider: str = ""
    rows: list[dict[str, str]] = []
    weeks: list[dict[str, str | int | None]] = []
    summary: str = ""
    in_use: bool = False  # a Help Desk page linked it (the push leaves other sessions' feeds alone)

    def _filters(self) -> Filters:
        return Filters(status=self.status, inquiry_type=self.inquiry_type, provider=self.provider)

    def _show(self, filters: Filters, rows: list[dict[str, str]]) -> None:
        self.status, self.inquiry_type, self.provider = filters.status, filters.inquiry_type, filters.provider
        self.rows = rows

    def _forget(self) -> None:
        self.rows, self.weeks, self.summary, self.in_use = [], [], "", False


def desk_view(user: User, filters: Filters) -> tuple[list[dict[str, str]], list[dict], str]:
    """The queue rows for ``filters`` and the weekly figures, for a help-desk user (NotAllowed otherwise)."""
    now = utc_now()
    with session_scope() as session:
        rows = help_desk_feeds.queue_rows(session, user, filters, now=now)
        weeks, summary = help_desk_feeds.week_rows(session, user, now=now)
    return rows, weeks, summary


async def _link(feed: HelpDeskFeed, token: str) -> HelpDeskFeed:
    # Only inside a real event can a tab link (tests stand in for this one step).
    return await feed._link_to(token)


async def link_help_desk(state: rx.State, session_id: int, user: User) -> HelpDeskFeed:
    """Link this tab to its session's help-desk feed and fill it with the session's filters.

    Call only after the server checked that ``user`` is the help desk.
    """
    feed = await _link(await state.get_state(HelpDeskFeed), desk_token(session_id))
    filters = feed._filters()
    rows, weeks, summary = desk_view(user, filters)
    feed._show(filters, rows)
    feed.weeks, feed.summary, feed.in_use = weeks, summary, True
    return feed


async def unlink_help_desk(state: rx.State) -> None:
    """Detach this tab from its help-desk feed, if linked, and drop what it showed."""
    feed = await state.get_state(HelpDeskFeed)
    await unlink_shared(feed)
    feed._forget()
    feed.status = feed.inquiry_type = feed.provider = ""


async def _clear_desk_feed(session_id: int) -> None:
    app = RegistrationContext.get().app
    async with app.modify_state(BaseStateToken(ident=desk_token(session_id), cls=HelpDeskFeed)) as root:
        feed = await root.get_state(HelpDeskFeed)
        if feed.in_use:
            feed._forget()


_desk_push_waiting = None  # the scheduled help-desk push that has not started yet, and when
_desk_push_lock = threading.Lock()  # commits arrive on worker threads as well as on the loop
# A push starts within milliseconds of being scheduled. One still waiting after this long sits on
# a loop that is not turning (a closed or parked loop): never let it swallow later changes.
_STALE_PUSH_SECONDS = 2.0


def _current_loop() -> asyncio.AbstractEventLoop | None:
    """The loop a push scheduled from here would run on (see ``_schedule``)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return _loop


def _still_waiting(pending) -> bool:
    """A push scheduled on the loop this change would use, not started yet: it will see this change too."""
    if pending is None:
        return False
    future, scheduled_at = pending
    if future is None or future.done() or time.monotonic() - scheduled_at > _STALE_PUSH_SECONDS:
        return False
    if isinstance(future, asyncio.Task):
        return not future.get_loop().is_closed() and future.get_loop() is _current_loop()
    return True


def help_desk_changed() -> None:
    """PQs changed: schedule one push to every open help-desk feed (a burst shares one push)."""
    global _desk_push_waiting
    with _desk_push_lock:
        if _still_waiting(_desk_push_waiting):
            return  # that push has not read the database yet: it will see this change too
        _desk_push_waiting = (_schedule(push_help_desk()), time.monotonic())


def _desk_overview(now) -> tuple[list, list, str]:
    """The live help-desk sessions and the weekly figures they all show."""
    with session_scope() as session:
        desk = help_desk_feeds.live_desk_sessions(session, now=now)
        if not desk:
            return [], [], ""
        weeks, summary = help_desk_feeds.week_rows(session, desk[0][1], now=now)
    return desk, weeks, summary


def _desk_rows(admin: User, filters: Filters, now) -> list[dict[str, str]]:
    with session_scope() as session:
        return help_desk_feeds.queue_rows(session, admin, filters, now=now)


async def push_help_desk() -> None:
    """Refresh every open help-desk feed: rows computed once per distinct set of filters."""
    global _desk_push_waiting
    with _desk_push_lock:
        _desk_push_waiting = None  # from here on a new change needs a new push
    started, now = time.perf_counter(), utc_now()
    # Database reads on a thread: a PQ changes with every note, and the loop serves everyone meanwhile.
    desk, weeks, summary = await asyncio.to_thread(_desk_overview, now)
    if not desk:
        return
    app = RegistrationContext.get().app
    by_filters: dict[Filters, list[dict[str, str]]] = {}
    pushed = 0
    for session_id, admin in desk:
        try:
            async with app.modify_state(BaseStateToken(ident=desk_token(session_id), cls=HelpDeskFeed)) as root:
                feed = await root.get_state(HelpDeskFeed)
                if not feed.in_use:
                    continue
                filters = feed._filters()  # read under the feed's lock: a filter change can't slip between
                if filters not in by_filters:
                    by_filters[filters] = await asyncio.to_thread(_desk_rows, admin, filters, now)
                feed.rows, feed.weeks, feed.summary = by_filters[filters], weeks, summary
                pushed += 1
        except Exception:  # a live push must never undo a committed change
            log.exception("could not update the help-desk queue of session %s", session_id)
    log.info("help-desk queue pushed to %d sessions in %.1f ms", pushed, (time.perf_counter() - started) * 1000)


# ---- Session endings ------------------------------------------------------------------------
# A session's end reaches its open pages in the last push to their tabs (``clear_feeds``), on
# any worker; the page shell then asks the server (AuthState.session_ended), which checks the
# session itself and signs the page out.


class SessionFeed(rx.State):
    """One tab's word that its session ended: ``ended`` arrives True once, pushed by ``live_tabs``.

    Only the browser's copy changes; the server checks the session itself when asked.
    """

    ended: bool = False
