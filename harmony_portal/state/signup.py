"""Sign Up: create an account, then straight on to two-factor enrolment."""

from __future__ import annotations

from dataclasses import fields

import reflex as rx

from harmony_portal import routes
from harmony_portal.db import session_scope
from harmony_portal.events.off_loop import off_loop
from harmony_portal.services.accounts.signup import SignUpForm, sign_up
from harmony_portal.services.errors import DomainError, Invalid
from harmony_portal.services.signin.sessions import sign_in
from harmony_portal.state.base import AuthState
from harmony_portal.state.event_args import form_fields
from harmony_portal.state.feedback import Feedback

_FORM_FIELDS = {f.name for f in fields(SignUpForm)}


def _create_account(data: SignUpForm, ip: str) -> str:
    """The account and an enrol-only session (argon2: run off the event loop); the hand-off code."""
    with session_scope() as session:
        user = sign_up(session, data, ip=ip)
        return sign_in(session, user, ip=ip, second_factor=False)


class SignUpState(Feedback, AuthState):
    errors: dict[str, str] = {}

    @rx.event
    def load(self):
        self.errors = {}
        self.error = ""

    @rx.event
    async def submit(self, form: dict):
        form = form_fields(form)
        values = {k: str(v) for k, v in form.items() if k in _FORM_FIELDS and k != "agree_terms"}
        data = SignUpForm(**values, agree_terms=bool(form.get("agree_terms")))
        ip = self.router.session.client_ip or ""
        try:
            handoff = await off_loop(_create_account, data, ip)
        except Invalid as exc:
            self.errors = exc.errors
            self.error = "Please correct the fields marked below."
            return None
        except DomainError as exc:  # too many sign-ups from this address
            self.errors = {}
            self.error = str(exc)
            return None
        self.errors = {}
        self.error = ""
        return self._load_page(routes.session_handoff_url(handoff, routes.TWO_FACTOR_SETUP))
