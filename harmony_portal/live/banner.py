"""The maintenance banner and announcements, live on every open page.

Cost first: a shared state linked by every client would be loaded and locked on every
event of every client (one global lock). Instead each worker runs one clock task that
knows the banner and when it changes next. It pushes to the pages connected to *this*
worker only when what they show changes: a window added, changed or cancelled, an
announcement posted or ended, or a moment of the schedule reached (a day before, the
countdown, five minutes before, the start, the end). Between changes it costs nothing
but one small read every few seconds.

How a change reaches the clock: a commit in this process wakes it at once
(``changes.maintenance_changed``); with Redis, the commit is also published so every
other worker and node wakes at once; a change from the command line (no app, no
connection) is seen by the next read, within ``POLL_SECONDS``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

from reflex.istate.manager.token import BaseStateToken
from reflex_base.registry import RegistrationContext

from harmony_portal.db import session_scope
from harmony_portal.live import channels as live_channels
from harmony_portal.models import utc_now
from harmony_portal.services import changes
from harmony_portal.services.maintenance import announcements
from harmony_portal.services.maintenance import windows as maintenance
from harmony_portal.settings import get_settings

log = logging.getLogger(__name__)
POLL_SECONDS = 5.0
CHANNEL = "harmony:maintenance"
_PUSH_AT_ONCE = 20  # pages updated concurrently per push


@dataclass
class Showing:
    """What every page of this worker shows now (the clock's last reading)."""

    banner: maintenance.Banner = maintenance.NO_BANNER
    notices: list[dict[str, str]] = field(default_factory=list)
    changes_at: object = None

    @property
    def key(self) -> tuple:
        return (self.banner.key, tuple(tuple(sorted(n.items())) for n in self.notices))


_showing: Showing | None = None  # None until the clock has read once (or with no clock: tests, tools)
_wake: asyncio.Event | None = None
_loop: asyncio.AbstractEventLoop | None = None


def read_showing(now=None) -> Showing:
    """Read the banner and the announcements in force from the database."""
    now = now or utc_now()
    with session_scope() as session:
        banner = maintenance.banner_at(session, now)
        notices = [announcements.as_row(a) for a in announcements.in_force(session, now)]
        next_notice = announcements.next_start(session, now)
    moments = [m for m in (banner.changes_at, next_notice) if m is not None]
    return Showing(banner, notices, min(moments) if moments else None)


def current() -> Showing:
    """What pages show now: the clock's reading, or a fresh one where no clock runs."""
    return _showing if _showing is not None else read_showing()


def wake() -> None:
    """Ask this worker's clock to read again now (safe from any thread)."""
    if _loop is None or _wake is None or _loop.is_closed():
        return
    _loop.call_soon_threadsafe(_wake.set)


async def _reread() -> None:
    """Redis came back: a change published meanwhile never arrived; the clock reads the schedule now."""
    wake()


async def _woken(_payload: object) -> None:
    if _wake is not None:
        _wake.set()


def _on_commit(committed: changes.Changes) -> None:
    if committed.maintenance:
        wake()
        live_channels.publish(CHANNEL)


changes.subscribe(_on_commit)


_page_state: type | None = None  # the state that shows the banner on every page (registered by it)


def shows_banner(state_cls: type) -> type:
    """Class decorator for the page shell's state: the clock calls its ``_show`` on every open page.

    The state imports this module, so it names itself here rather than being imported.
    """
    global _page_state
    _page_state = state_cls
    return state_cls


async def _push_to_connected(showing: Showing) -> int:
    """Write the new banner into the shell state of every page connected to this worker."""
    app = RegistrationContext.get().app
    if app.event_namespace is None or _page_state is None:
        return 0
    tokens = list(set(app.event_namespace.sid_to_token.values()))
    gate = asyncio.Semaphore(_PUSH_AT_ONCE)

    async def push(token: str) -> bool:
        async with gate:
            try:
                async with app.modify_state(BaseStateToken(ident=token, cls=_page_state)) as root:
                    (await root.get_state(_page_state))._show(showing)
                return True
            except Exception:  # one page that cannot be written must not stop the others
                log.exception("could not update the banner of one page")
                return False

    return sum(await asyncio.gather(*(push(t) for t in tokens)))


async def run_clock() -> None:
    """Lifespan task: keep the banner right on every page of this worker."""
    global _showing, _wake, _loop
    _loop, _wake = asyncio.get_running_loop(), asyncio.Event()
    listener = None
    if url := get_settings().redis_url:
        listener = asyncio.create_task(live_channels.listen(url, CHANNEL, _woken, on_resubscribe=_reread))
    try:
        while True:
            _wake.clear()
            try:
                fresh = await asyncio.to_thread(read_showing)
            except Exception:
                log.exception("could not read the maintenance schedule")
                fresh = None
            if fresh is not None:
                previous, _showing = _showing, fresh
                if previous is not None and previous.key != fresh.key:
                    started = time.perf_counter()
                    pushed = await _push_to_connected(fresh)
                    log.info("banner pushed to %d pages in %.1f ms", pushed, (time.perf_counter() - started) * 1000)
            timeout = POLL_SECONDS
            if fresh is not None and fresh.changes_at is not None:
                timeout = min(timeout, max(0.0, (fresh.changes_at - utc_now()).total_seconds()) + 0.05)
            try:
                await asyncio.wait_for(_wake.wait(), timeout)
            except TimeoutError:
                pass
    finally:
        if listener is not None:
            listener.cancel()


def as_vars(showing: Showing) -> dict[str, object]:
    """The shell state's banner vars for ``showing``."""
    banner = showing.banner
    return {
        "banner_phase": banner.phase,
        "banner_text": banner.text,
        "banner_starts": banner.starts_at.isoformat() if banner.starts_at else "",
        "save_warning": banner.save_warning and banner.phase != "in_progress",
        "notices": showing.notices,
    }


__all__ = ["POLL_SECONDS", "Showing", "as_vars", "current", "read_showing", "run_clock", "shows_banner", "wake"]

