"""Administration, Outbox: each email's state, and "Retry" for a failed one."""

from __future__ import annotations

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.services.errors import DomainError
from harmony_portal.services.mail import outbox_admin
from harmony_portal.state.base import AuthState
from harmony_portal.state.feedback import Feedback

__all__ = ["AdminOutboxState"]


class AdminOutboxState(Feedback, AuthState):
    emails: list[dict[str, str]] = []
    delivery_note: str = ""  # no mail server set: what that means here

    def _reload(self) -> None:
        user = self._require_user()
        with session_scope() as session:
            self.emails = outbox_admin.outbox_rows(session, user)
        self.delivery_note = outbox_admin.delivery_note()

    @rx.event
    def load(self):
        self.message = self.error = ""
        if refused := self._refused(self._reload):
            self.emails, self.error = [], str(refused)

    @rx.event
    def retry(self, email_id: str):
        """Send a failed email again (the service checks this is an administrator)."""
        self.message = self.error = ""
        if refused := self._attempt_on(email_id, "There is no such email.", outbox_admin.retry_email):
            self.error = str(refused)
        else:
            self.message = "The email is queued again: the sender tries it at once."
        try:
            self._reload()
        except DomainError:
            self.emails = []
