"""An open PQ page follows its PQ live: a Response from the help desk, a status change or a
new note shows on the requester's page without reload.

Each worker remembers which of its tabs show which PQ (a tab shows one at a time). When a
commit changes PQs, the tabs of this worker that show one of them re-read it, each as its
own signed-in user: the same reads as a page load, so a provider never receives an Internal
note and a tab whose session ended gets nothing. With Redis, the changed PQ ids are also
published, so tabs on the other workers and nodes re-read too.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from reflex.istate.manager.token import BaseStateToken
from reflex_base.registry import RegistrationContext

from harmony_portal.live import channels as live_channels
from harmony_portal.services import changes
from harmony_portal.settings import get_settings

log = logging.getLogger(__name__)
CHANNEL = "harmony:pqs"
_viewers: dict[int, set[str]] = {}  # PQ id -> client tokens of this worker's tabs showing it
_viewers_lock = threading.Lock()  # page loads run on worker threads (page_open), pushes on the loop
# The tab whose own event is committing a change to a PQ: it reads the PQ again itself, so the
# push after the commit leaves it out (one read instead of two, and no second lock of its state).
_changing_tab: ContextVar[str | None] = ContextVar("harmony_pq_changing_tab", default=None)


@contextmanager
def changed_here(client_token: str) -> Iterator[None]:
    """Changes committed inside this block come from ``client_token``'s tab, which reloads itself."""
    marker = _changing_tab.set(client_token)
    try:
        yield
    finally:
        _changing_tab.reset(marker)
_loop: asyncio.AbstractEventLoop | None = None


def watch(pq_id: int | None, client_token: str) -> None:
    """This tab now shows ``pq_id`` (None: no PQ), and no other."""
    with _viewers_lock:
        for tokens in _viewers.values():
            tokens.discard(client_token)
        if pq_id is not None:
            _viewers.setdefault(pq_id, set()).add(client_token)
        for empty in [k for k, v in _viewers.items() if not v]:
            del _viewers[empty]


def _viewers_of(pq_id: int) -> list[str]:
    with _viewers_lock:
        return list(_viewers.get(pq_id, ()))


def _forget(pq_id: int, client_token: str) -> None:
    with _viewers_lock:
        _viewers.get(pq_id, set()).discard(client_token)


def _on_commit(committed: changes.Changes) -> None:
    if not committed.pqs_changed:
        return
    ids = sorted(committed.pqs_changed)
    if _loop is not None and not _loop.is_closed():
        asyncio.run_coroutine_threadsafe(refresh(ids, skip=_changing_tab.get()), _loop)
    live_channels.publish(CHANNEL, ids)


changes.subscribe(_on_commit)


_page_state: type | None = None  # the PQ page's state (registered by it)


def follows_pq(state_cls: type) -> type:
    """Class decorator for the PQ page's state: ``refresh`` calls its ``_follow`` on each open page.

    The state imports this module, so it names itself here rather than being imported.
    """
    global _page_state
    _page_state = state_cls
    return state_cls


async def refresh(pq_ids: list[int], *, skip: str | None = None) -> int:
    """Re-read every tab of this worker that shows one of ``pq_ids`` (but ``skip``); returns how many."""
    app = RegistrationContext.get().app
    if app.event_namespace is None or _page_state is None:
        return 0
    connected = set(app.event_namespace.sid_to_token.values())
    refreshed = 0
    for pq_id in pq_ids:
        for token in _viewers_of(pq_id):
            if token == skip:
                continue
            if token not in connected:
                _forget(pq_id, token)
                continue
            try:
                async with app.modify_state(BaseStateToken(ident=token, cls=_page_state)) as root:
                    refreshed += await (await root.get_state(_page_state))._follow(pq_id)
            except Exception:  # one tab that cannot be refreshed must not stop the others
                log.exception("could not refresh an open PQ page")
    return refreshed


async def _refresh_all() -> None:
    """Redis came back: changes published meanwhile never arrived, so every open PQ page here re-reads."""
    with _viewers_lock:
        watched = list(_viewers)
    await refresh(watched)


async def _refresh_published(payload: object) -> None:
    await refresh([int(i) for i in payload or []])


async def run() -> None:
    """Lifespan task: remember the loop; with Redis, hear the other workers' changes."""
    global _loop
    _loop = asyncio.get_running_loop()
    if url := get_settings().redis_url:
        await live_channels.listen(url, CHANNEL, _refresh_published, on_resubscribe=_refresh_all)
    else:
        await asyncio.Event().wait()
