"""Websocket events get an event id in their log lines (the user is added once the session resolves)."""

from __future__ import annotations

import reflex as rx

from harmony_portal.server import log_context


class EventLogContext(rx.Middleware):
    """Runs first for every event, in the event's own task: what it binds ends with the event."""

    async def preprocess(self, app, state, event):
        log_context.bind_event(event.name)
        return None  # anything else would drop the event
