"""The Help Desk queue, live: one feed per help-desk session, shared by its open Help Desk pages.

The feed (its own HMAC token, linked only after the server knows the user is an administrator)
holds the session's filters, the queue rows those filters select and the weekly figures. When
PQs change, one push reads each open feed's filters, computes the rows once per distinct set of
filters and writes them in; bursts of changes are coalesced into one push. A PQ also turns
overdue with nothing else changing: each worker keeps a timer for the next due time and pushes
then, so the "Overdue" badge appears on time.

Few tabs listen here (the help desk's), so the feed is a Reflex shared state; the crowded feeds
(officials' queues, notification badges) are pushed straight to the sockets (``tabs``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from datetime import datetime

import reflex as rx
from reflex.istate.manager.token import BaseStateToken
from reflex_base.registry import RegistrationContext

from harmony_portal.db import session_scope
from harmony_portal.live import scheduler
from harmony_portal.models import User, utc_now
from harmony_portal.services.pq import help_desk_feeds
from harmony_portal.services.pq import queries as pq_queries
from harmony_portal.services.pq.help_desk_feeds import Filters
from harmony_portal.services.security import keyed_name

log = logging.getLogger(__name__)


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


def desk_view(user: User, filters: Filters) -> tuple[list[dict[str, str]], list[dict], str, datetime | None]:
    """The queue rows for ``filters``, the weekly figures and when the next PQ turns overdue, for a
    help-desk user (NotAllowed otherwise)."""
    now = utc_now()
    with session_scope() as session:
        rows = help_desk_feeds.queue_rows(session, user, filters, now=now)
        weeks, summary = help_desk_feeds.week_rows(session, user, now=now)
        return rows, weeks, summary, pq_queries.next_overdue_at(session, now=now)


async def _link(feed: HelpDeskFeed, token: str) -> HelpDeskFeed:
    # Only inside a real event can a tab link (tests stand in for this one step).
    return await feed._link_to(token)


async def link_help_desk(state: rx.State, session_id: int, user: User) -> HelpDeskFeed:
    """Link this tab to its session's help-desk feed and fill it with the session's filters.

    Call only after the server checked that ``user`` is the help desk.
    """
    feed = await _link(await state.get_state(HelpDeskFeed), desk_token(session_id))
    filters = feed._filters()
    rows, weeks, summary, next_due = await asyncio.to_thread(desk_view, user, filters)
    feed._show(filters, rows)
    feed.weeks, feed.summary, feed.in_use = weeks, summary, True
    _arm_overdue_clock(next_due)
    return feed


async def unlink_shared(feed: rx.SharedState) -> None:
    """Detach this tab's copy of ``feed`` from its shared token, if it is linked to one."""
    if feed._reflex_internal_links and feed.get_full_name() in feed._reflex_internal_links:
        await feed._unlink()


async def unlink_help_desk(state: rx.State) -> None:
    """Detach this tab from its help-desk feed, if linked, and drop what it showed."""
    feed = await state.get_state(HelpDeskFeed)
    await unlink_shared(feed)
    feed._forget()
    feed.status = feed.inquiry_type = feed.provider = ""


async def clear_desk_feed(session_id: int) -> None:
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


def _still_waiting(pending) -> bool:
    """A push scheduled on the loop this change would use, not started yet: it will see this change too."""
    if pending is None:
        return False
    future, scheduled_at = pending
    if future is None or future.done() or time.monotonic() - scheduled_at > _STALE_PUSH_SECONDS:
        return False
    if isinstance(future, asyncio.Task):
        return not future.get_loop().is_closed() and future.get_loop() is scheduler.server_loop()
    return True


def help_desk_changed() -> None:
    """PQs changed: schedule one push to every open help-desk feed (a burst shares one push)."""
    global _desk_push_waiting
    with _desk_push_lock:
        if _still_waiting(_desk_push_waiting):
            return  # that push has not read the database yet: it will see this change too
        _desk_push_waiting = (scheduler.schedule(push_help_desk()), time.monotonic())


def _desk_overview(now) -> tuple[list, list, str, datetime | None]:
    """The live help-desk sessions, the weekly figures they all show, and when the next PQ turns overdue."""
    with session_scope() as session:
        desk = help_desk_feeds.live_desk_sessions(session, now=now)
        if not desk:
            return [], [], "", None
        weeks, summary = help_desk_feeds.week_rows(session, desk[0][1], now=now)
        return desk, weeks, summary, pq_queries.next_overdue_at(session, now=now)


# A PQ turns overdue at its due time, whether or not anything else changes: each worker keeps one
# timer for the next such moment and pushes the help desk's queues then (re-armed by each push).
_OVERDUE_GRACE_S = 1.0  # fire just after the due time, so the push's own "now" is past it
_overdue_timer: asyncio.TimerHandle | None = None
_overdue_at: datetime | None = None


def _arm_overdue_clock(due: datetime | None, *, replace: bool = False) -> None:
    """Push the help desk's queues when ``due`` passes. ``replace``: this is the freshest next due
    time (a push just read it); otherwise only an earlier moment than the armed one counts."""
    global _overdue_timer, _overdue_at
    if not replace and due is not None and _overdue_at is not None and _overdue_at <= due:
        return
    if _overdue_timer is not None:
        _overdue_timer.cancel()
    _overdue_timer, _overdue_at = None, due
    if due is None:
        return
    delay = max(0.0, (due - utc_now()).total_seconds()) + _OVERDUE_GRACE_S
    _overdue_timer = asyncio.get_running_loop().call_later(delay, _overdue_now)


def _overdue_now() -> None:
    global _overdue_timer, _overdue_at
    _overdue_timer, _overdue_at = None, None
    help_desk_changed()


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
    desk, weeks, summary, next_due = await asyncio.to_thread(_desk_overview, now)
    if not desk:
        return  # nobody watches: the clock stops until a Help Desk page opens again
    _arm_overdue_clock(next_due, replace=True)
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
