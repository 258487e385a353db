"""Having trouble logging in? Ask for a reset link; then set a new password."""

from __future__ import annotations

import reflex as rx

from harmony_portal import routes
from harmony_portal.db import session_scope
from harmony_portal.events.off_loop import off_loop
from harmony_portal.services.accounts import password_reset
from harmony_portal.services.errors import DomainError, Invalid
from harmony_portal.settings import get_settings
from harmony_portal.state.base import AuthState
from harmony_portal.state.event_args import form_fields
from harmony_portal.state.feedback import Feedback


def _complete_reset(token: str, form: dict[str, str], ip: str) -> None:
    with session_scope() as session:
        password_reset.complete_reset(
            session, token, answer=form.get("challenge_answer", ""), code=form.get("security_code", ""),
            new_password=form.get("new_password", ""), confirm_password=form.get("confirm_new_password", ""), ip=ip)


class ForgotState(Feedback, AuthState):
    token_valid: bool = False
    challenge_question: str = ""
    sent_message: str = ""
    errors: dict[str, str] = {}

    def _token(self) -> str:
        return self.router.url.query_parameters.get("token", "")

    @rx.event
    def load(self):
        self.sent_message = self.error = ""
        self.errors = {}
        self.token_valid = False
        token = self._token()
        if not token:
            return
        try:
            with session_scope() as session:
                user = password_reset.reset_user(session, token)
                self.challenge_question = user.challenge_question
            self.token_valid = True
        except Invalid as exc:
            self.error = str(exc)

    @rx.event
    def request_link(self, form: dict):
        form = form_fields(form)
        self.error = self.sent_message = ""
        # Only queued, never sent here: sending would make a known address answer slower.
        try:
            with session_scope() as session:
                self.sent_message = password_reset.request_reset(
                    session, str(form.get("email", "")), base_url=get_settings().harmony_base_url,
                    ip=self.router.session.client_ip or "")
        except DomainError as exc:  # too many requests
            self.error = str(exc)

    @rx.event
    async def complete(self, form: dict):
        form = form_fields(form)
        self.error, self.errors = "", {}
        try:
            # The answer check and the new hash are argon2: off the event loop.
            await off_loop(_complete_reset, self._token(), form, self.router.session.client_ip or "")
        except Invalid as exc:
            self.errors = exc.errors
            self.error = str(exc)
            return None
        except DomainError as exc:
            self.error = str(exc)
            return None
        # replace: the used token leaves the address bar and the history (Back does not bring it back).
        return rx.redirect(routes.login_url(reason="reset"), replace=True)
