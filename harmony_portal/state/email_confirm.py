"""The link emailed to a new address: confirm it, and the account's email changes."""

from __future__ import annotations

import reflex as rx

from harmony_portal.db import session_scope
from harmony_portal.services.accounts import email_change
from harmony_portal.services.errors import DomainError
from harmony_portal.state.base import AuthState
from harmony_portal.state.feedback import Feedback


class EmailConfirmState(Feedback, AuthState):
    status: str = ""  # ready | done | refused
    new_email: str = ""

    def _token(self) -> str:
        return self.router.url.query_parameters.get("token", "")

    @rx.event
    def load(self):
        """Show which address the link would confirm; nothing changes until the button."""
        self.status, self.new_email, self.error = "", "", ""
        try:
            with session_scope() as session:
                self.new_email = email_change.email_change_for(session, self._token())
        except DomainError as exc:
            self.status, self.error = "refused", str(exc)
            return
        self.status = "ready"

    @rx.event
    async def confirm(self):
        self.error = ""
        try:
            # Whoever holds the link may open it signed out; signed in, it must be their own account.
            actor = self._require_user(enrolling=True)
        except DomainError:
            actor = None
        try:
            with session_scope() as session:
                user = email_change.confirm_email_change(session, self._token(), actor=actor,
                                                         ip=self.router.session.client_ip or "")
                self.new_email = user.email
        except DomainError as exc:
            self.status, self.error = "refused", str(exc)
            return
        self.status, self.error = "done", ""
