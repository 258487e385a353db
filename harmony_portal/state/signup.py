"""Sign Up: create an account, then straight on to two-factor enrolment."""

from __future__ import annotations

from dataclasses import fields

import reflex as rx

from harmony_portal import routes
from harmony_portal.db import session_scope
from harmony_portal.services.accounts import SignUpForm, sign_up
from harmony_portal.services.errors import DomainError, Invalid
from harmony_portal.services.sessions import start_session
from harmony_portal.state.base import AuthState

_FORM_FIELDS = {f.name for f in fields(SignUpForm)}


class SignUpState(AuthState):
    errors: dict[str, str] = {}
    error: str = ""

    @rx.event
    def load(self):
        self.errors = {}
        self.error = ""

    @rx.event
    def submit(self, form: dict):
        values = {k: str(v) for k, v in form.items() if k in _FORM_FIELDS and k != "agree_terms"}
        data = SignUpForm(**values, agree_terms=bool(form.get("agree_terms")))
        ip = self.router.session.client_ip or ""
        try:
            with session_scope() as session:
                user = sign_up(session, data, ip=ip)
                self.session_token = start_session(session, user, ip=ip)
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
        return rx.redirect(routes.TWO_FACTOR_SETUP)
