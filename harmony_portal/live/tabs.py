"""The busiest live feeds, written straight to the open tabs' sockets.

Reflex's shared states fan a change out by loading, locking, diffing and saving the state of
each linked tab, one after another (with Redis, a fetch and a store each). An official's queue
and a person's unread count change for hundreds of tabs at once (a request filed at an
organization with many officials), and that fan-out cost most of a second at 500 dashboards.
So these two feeds are sent as a state delta to each tab's socket, encoded once per group of
sessions that see the same thing.

Each worker knows which of its tabs show which session's feeds: a page's load registers its tab
(``follow``) only after the server resolved the session from the HttpOnly cookie. A push names
the sessions and what they now see; the pusher computed both from the database, for live
sessions only, so an ended session's tab receives nothing. With Redis the push also goes to
every other worker and node, and each sends it to its own tabs. A tab's server-side copy of a
pushed var is not updated: handlers never trust it (they read the database), and the next page
load sets it afresh.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Iterable

from reflex.state import StateUpdate
from reflex_base.constants import SocketEvent
from reflex_base.constants.state import FIELD_MARKER
from reflex_base.registry import RegistrationContext

from harmony_portal.live import channels as live_channels
from harmony_portal.settings import get_settings

log = logging.getLogger(__name__)
CHANNEL = "harmony:tabs"
# session id -> this worker's client tokens that show that session's pushed feeds
_tabs: dict[int, set[str]] = {}
_listing: set[str] = set()  # the tabs that show a list pushed only to where it is seen (Home's notifications)
_lock = threading.Lock()  # page loads run on worker threads (page_open); pushes on the loop

# One push: [(session ids, {state full name: {var: value}})]
Groups = list[tuple[list[int], dict[str, dict[str, object]]]]


def follow(session_id: int, client_token: str, *, listing: bool = False) -> None:
    """This tab shows session ``session_id``'s feeds (and no other session's); ``listing``: it is
    on the page that lists the notifications too."""
    with _lock:
        for tokens in _tabs.values():
            tokens.discard(client_token)
        _tabs.setdefault(session_id, set()).add(client_token)
        if listing:
            _listing.add(client_token)
        else:
            _listing.discard(client_token)
        for empty in [k for k, v in _tabs.items() if not v]:
            del _tabs[empty]


def unfollow(client_token: str) -> None:
    """This tab signed out: it hears no feed any more."""
    with _lock:
        for tokens in _tabs.values():
            tokens.discard(client_token)
        _listing.discard(client_token)


def forget_sessions(session_ids: Iterable[int]) -> None:
    with _lock:
        for session_id in session_ids:
            _tabs.pop(session_id, None)


def followed_sessions() -> list[int]:
    """The sessions whose feeds this worker's tabs show."""
    with _lock:
        return [session_id for session_id, tokens in _tabs.items() if tokens]


_resync: Callable[[], Awaitable[None]] | None = None  # re-reads every feed here (set by live.dispatch)


def resync_with(reread: Callable[[], Awaitable[None]]) -> None:
    """What to run when this worker's subscription comes back: the pushes it missed are lost."""
    global _resync
    _resync = reread


async def _resubscribed() -> None:
    if _resync is not None:
        try:
            await _resync()
        except Exception:  # the listener must go on whatever happens here
            log.exception("could not re-read this worker's feeds after Redis came back")


def followers(session_id: int) -> set[str]:
    with _lock:
        return set(_tabs.get(session_id, ()))


def followed_by(client_token: str) -> set[int]:
    """The sessions whose pushes this tab hears (at most one)."""
    with _lock:
        return {session_id for session_id, tokens in _tabs.items() if client_token in tokens}


def delta(state_cls, **values: object) -> dict[str, dict[str, object]]:
    """A delta that sets ``values`` on ``state_cls`` in the browser, as Reflex would send it."""
    return {state_cls.get_full_name(): {name + FIELD_MARKER: value for name, value in values.items()}}


async def send(groups: Groups, *, forget: bool = False, listing_only: bool = False) -> int:
    """Send each group's delta to this worker's tabs of its sessions; returns how many tabs.

    ``forget``: the sessions ended; after this last push their tabs follow nothing.
    ``listing_only``: only to the tabs on the page with the list (see ``follow``).
    """
    app = RegistrationContext.get().app
    namespace = app.event_namespace
    if namespace is None:
        return 0
    manager = namespace._token_manager
    sent = 0
    for session_ids, changes in groups:
        sids = []
        for session_id in session_ids:
            for token in followers(session_id):
                if listing_only and token not in _listing:
                    continue
                record = manager.token_to_socket.get(token)
                if record is None or record.instance_id != manager.instance_id:
                    with _lock:  # gone, or reconnected to another worker (which registered it there)
                        _tabs.get(session_id, set()).discard(token)
                    continue
                sids.append(record.sid)
        if sids:
            # One encoding for the whole group; socket.io writes it to each socket.
            await namespace.emit(str(SocketEvent.EVENT), StateUpdate(delta=changes), to=sids)
            sent += len(sids)
        if forget:
            forget_sessions(session_ids)
    return sent


async def push(groups: Groups, *, forget: bool = False, listing_only: bool = False) -> int:
    """``send`` here, and on every other worker and node through Redis."""
    if not groups:
        return 0
    if get_settings().redis_url:
        payload = {"groups": [[ids, changes] for ids, changes in groups], "forget": forget,
                   "listing_only": listing_only}
        live_channels.publish(CHANNEL, payload)
    return await send(groups, forget=forget, listing_only=listing_only)


async def _published(payload: object) -> None:
    payload = payload if isinstance(payload, dict) else {}
    groups = [([int(i) for i in ids], changes) for ids, changes in payload.get("groups") or []]
    try:
        await send(groups, forget=bool(payload.get("forget")), listing_only=bool(payload.get("listing_only")))
    except Exception:  # a live push must never stop the listener
        log.exception("could not send a published push to this worker's tabs")


async def run() -> None:
    """Lifespan task: with Redis, hear the other workers' pushes for this worker's tabs."""
    if url := get_settings().redis_url:
        await live_channels.listen(url, CHANNEL, _published, on_resubscribe=_resubscribed)
    else:
        await asyncio.Event().wait()
