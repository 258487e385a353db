"""Opening a page is one event: the shell, the sign-in check and the page's own loaders together.

Reflex runs each on-load handler as an event of its own (state lock, delta, message), and each
of ours asked the database again who is signed in. A protected page had four or five of them.
Now every page has one on-load handler, ``PageOpenState.open_page(<page>)``, which runs the
page's loaders in order inside one event, with the session resolved once (``events/reads``):
what the sign-in check and the notification count need is read in one trip to a worker thread.
The loaders stay ordinary handlers, each checking who asks on its own, so one sent alone by a
client still refuses what it must.

Loaders that are plain functions do database work only, so they run on a worker thread: the
event loop keeps answering other clients' events meanwhile. Async loaders (those that link a
live feed) run on the loop and move their own reads off it.
"""

from __future__ import annotations

import inspect

import reflex as rx
from reflex_base.event import EventHandler

from harmony_portal.db import session_scope
from harmony_portal.events import reads as event_reads
from harmony_portal.events.off_loop import off_loop
from harmony_portal.services.notifications import in_app as notifications
from harmony_portal.state.base import AuthState
from harmony_portal.state.event_args import as_text

_LOADERS: dict[str, tuple[EventHandler, ...]] = {}


def on_open(page: str, *loaders: EventHandler):
    """The one on-load event of ``page``, which runs ``loaders`` in this order."""
    _LOADERS[page] = loaders
    return PageOpenState.open_page(page)


def _run_plain(steps: list[tuple[rx.State, EventHandler]]):
    """Plain loaders one after another (on a worker thread); the first answer stops them."""
    for state, handler in steps:
        if (answer := handler.fn(state)) is not None:
            return answer
    return None


def _read_ahead(token: str) -> None:
    """What the sign-in check and the notification count will ask, read in one trip and one transaction."""
    with session_scope() as session:
        active, _device, _who = event_reads.read(("opening", token), AuthState._opening_in, session, token)
        if active is not None:
            event_reads.read(("notifications", active.user.id), notifications.feed_of, session, active.user.id)


class PageOpenState(AuthState):
    """Holds nothing: its handler drives the other states' loaders."""

    @rx.event
    async def open_page(self, page: str):
        loaders = _LOADERS.get(as_text(page))
        if loaders is None:  # a name no page registered (a forged event): nothing to run
            return None
        with event_reads.once_per_event():
            if AuthState.require_login in loaders:
                await off_loop(_read_ahead, self._session_token())
            plain: list[tuple[rx.State, EventHandler]] = []  # consecutive plain loaders share one thread hop
            for handler in [*loaders, None]:
                if handler is not None and not inspect.iscoroutinefunction(handler.fn):
                    plain.append((await self.get_state(handler.state), handler))
                    continue
                if plain:
                    answer, plain = await off_loop(_run_plain, plain), []
                    if answer is not None:  # a redirect or a sign-out: the rest of this page is moot
                        return answer
                if handler is not None:
                    answer = await handler.fn(await self.get_state(handler.state))
                    if answer is not None:
                        return answer
        return None
