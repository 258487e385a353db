"""The signed-in user's notifications: the live feed's link (every protected page) and "Mark all as read"."""

from __future__ import annotations

import reflex as rx

from harmony_portal import routes
from harmony_portal.live.notifications import link_notifications, unlink_notifications
from harmony_portal.services.errors import DomainError
from harmony_portal.services.notifications import in_app as notifications
from harmony_portal.state.base import AuthState
from harmony_portal.state.feedback import Feedback

__all__ = ["NotificationsState"]


class NotificationsState(Feedback, AuthState):
    """The list and the count themselves live in NotificationFeed; this keeps one page's message."""


    @rx.event
    async def link(self):
        """on_load of every protected page, after require_login: the feed is this session's alone."""
        self.error = ""
        try:
            active = self._require_session()
        except DomainError:
            await unlink_notifications(self)  # a tab whose session ended keeps nothing
            return
        on_home = self._current_path().partition("?")[0] == routes.HOME  # the one page that lists them
        await link_notifications(self, active.record.id, active.user, listing=on_home)

    @rx.event
    def mark_all_read(self):
        """Every open tab's badge and list follow through the push this commit schedules."""
        self.error = ""
        if refused := self._attempt(lambda session, user: notifications.mark_all_read(session, user)):
            self.error = str(refused)
